/* validators/formats.c — the string formats (see formats.h). The patterns
 * follow the RFCs' ABNF closely; possessive quantifiers where the next
 * character cannot continue the repetition keep every match linear. */
#include "validators/formats.h"

#include <string.h>

#include "core/utf8.h"

/* A decimal octet 0-255 without leading zeros. */
#define OCTET "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#define IPV4 OCTET "(?:\\." OCTET "){3}"
#define H16 "[0-9A-Fa-f]{1,4}"
#define LS32 "(?:" H16 ":" H16 "|" IPV4 ")"
/* RFC 3986 §3.2.2 IPv6address, all nine forms. */
#define IPV6                                                                   \
    "(?:(?:" H16 ":){6}" LS32                                                  \
    "|::(?:" H16 ":){5}" LS32                                                  \
    "|(?:" H16 ")?::(?:" H16 ":){4}" LS32                                      \
    "|(?:(?:" H16 ":){0,1}" H16 ")?::(?:" H16 ":){3}" LS32                     \
    "|(?:(?:" H16 ":){0,2}" H16 ")?::(?:" H16 ":){2}" LS32                     \
    "|(?:(?:" H16 ":){0,3}" H16 ")?::" H16 ":" LS32                            \
    "|(?:(?:" H16 ":){0,4}" H16 ")?::" LS32                                    \
    "|(?:(?:" H16 ":){0,5}" H16 ")?::" H16                                     \
    "|(?:(?:" H16 ":){0,6}" H16 ")?::)"

/* RFC 3986 URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]. */
#define UNRES "A-Za-z0-9._~\\-"
#define SUBD "!$&'()*+,;="
#define PCT "%[0-9A-Fa-f]{2}"
#define PCHAR "(?:[" UNRES SUBD ":@]|" PCT ")"
#define REGNAME "(?:[" UNRES SUBD "]|" PCT ")*+"
#define USERINFO "(?:[" UNRES SUBD ":]|" PCT ")*+@"
#define IPFUTURE "[vV][0-9A-Fa-f]++\\.[" UNRES SUBD ":]++"
#define HOST "(?:\\[(?:" IPV6 "|" IPFUTURE ")\\]|" REGNAME ")"
#define SEGS "(?:/" PCHAR "*+)*+"
#define URI                                                                    \
    "[A-Za-z][A-Za-z0-9+.\\-]*+:"                                              \
    "(?://(?:" USERINFO ")?" HOST "(?::[0-9]*+)?" SEGS                         \
    "|/(?:" PCHAR "++" SEGS ")?"                                               \
    "|" PCHAR "++" SEGS                                                        \
    "|)"                                                                       \
    "(?:\\?(?:" PCHAR "|[/?])*+)?"                                             \
    "(?:#(?:" PCHAR "|[/?])*+)?"

/* RFC 1123 host names: labels of 1-63 letters, digits and inner hyphens. */
#define LABEL "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#define HOSTNAME "(?=.{1,253}\\z)" LABEL "(?:\\." LABEL ")*+"

/* A practical RFC 5321/5322 subset: a dot-atom local part of at most 64
 * characters, "@", and a domain of at least two labels whose letters may be
 * of any script (IDN); the top-level label is letters (two or more) or an
 * A-label (xn--...). At most 254 characters in all. */
#define ATEXT "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
#define ULABEL "[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N}-]{0,61}[\\p{L}\\p{M}\\p{N}])?"
#define EMAIL                                                                  \
    "(?=.{1,254}\\z)(?=[^@]{1,64}@)" ATEXT "++(?:\\." ATEXT "++)*+@"          \
    "(?:" ULABEL "\\.)+(?:\\p{L}[\\p{L}\\p{M}]{1,62}|[Xx][Nn]--[A-Za-z0-9-]{1,59})"

#define UUID                                                                   \
    "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"

typedef struct fmt_def {
    const char *name;
    const char *pattern;
    const char *message;
} fmt_def;

static const fmt_def defs[] = {
    [RF_NONE] = {"default", NULL, NULL},
    [RF_EMAIL] = {"email", EMAIL, "not a valid email address (expected local@domain, "
                  "e.g. name@example.com)"},
    [RF_URI] = {"uri", URI, "not a valid URI (expected an absolute URI with a scheme, "
                "e.g. https://example.com/a?b=c)"},
    [RF_UUID] = {"uuid", UUID, "not a valid UUID (expected 8-4-4-4-12 hexadecimal "
                 "digits, e.g. 123e4567-e89b-12d3-a456-426614174000)"},
    [RF_IPV4] = {"ipv4", IPV4, "not a valid IPv4 address (expected four numbers 0-255 "
                 "without leading zeros, e.g. 192.168.0.1)"},
    [RF_IPV6] = {"ipv6", IPV6, "not a valid IPv6 address (e.g. 2001:db8::1 or "
                 "::ffff:192.0.2.1)"},
    [RF_HOSTNAME] = {"hostname", HOSTNAME, "not a valid hostname (expected labels of "
                     "letters, digits and hyphens, e.g. www.example.com)"},
};

rules_strfmt val_format_kind(const char *p, size_t n)
{
    for (size_t k = RF_EMAIL; k < sizeof defs / sizeof defs[0]; k++)
        if (strlen(defs[k].name) == n && memcmp(defs[k].name, p, n) == 0)
            return (rules_strfmt)k;
    return RF_NONE;
}

const char *val_format_name(rules_strfmt k)
{
    return (size_t)k < sizeof defs / sizeof defs[0] ? defs[k].name : "default";
}

pcre2_code *val_format_compile(rules_strfmt k, bool *jit)
{
    *jit = false;
    if (k == RF_NONE || (size_t)k >= sizeof defs / sizeof defs[0])
        return NULL;
    int err = 0;
    PCRE2_SIZE off = 0;
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ANCHORED |
                    PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)defs[k].pattern, PCRE2_ZERO_TERMINATED,
                                   opts, &err, &off, NULL);
    if (re)
        *jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    return re;
}

int val_format_check(const rules_field *f, pcre2_match_data *md, const char *p, size_t n)
{
    if (f->strfmt == RF_NONE || !f->format_re)
        return 1;
    if (!core_utf8_valid(p, n))
        return 0;
    pcre2_match_data *own = NULL;
    if (!md && !(md = own = pcre2_match_data_create(1, NULL)))
        return -1;
    PCRE2_SPTR s = (PCRE2_SPTR)(n ? p : "");
    int r = f->format_jit ? pcre2_jit_match(f->format_re, s, n, 0, 0, md, NULL)
                          : pcre2_match(f->format_re, s, n, 0, 0, md, NULL);
    pcre2_match_data_free(own);
    if (r >= 0)
        return 1;
    return r == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

const char *val_format_message(const rules_field *f)
{
    size_t k = (size_t)f->strfmt;
    return k && k < sizeof defs / sizeof defs[0] ? defs[k].message : "";
}
