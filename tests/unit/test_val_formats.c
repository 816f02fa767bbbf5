/* tests/unit/test_val_formats.c — the string formats (validators/formats.h):
 * valid and invalid examples of each, as docs/cleaning.md lists them. */
#include "tests/unit/test_val_unicode_util.h"
#include "validators/formats.h"
#include "validators/string.h"

static assay_rules *r;
static pcre2_match_data *md;

static void expect(size_t field, const char *const *list, size_t n, int want)
{
    const rules_field *f = &r->fields[field];
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(val_format_check(f, md, list[i], strlen(list[i])) == want,
                  "%s \"%s\" should %s", val_format_name(f->strfmt), list[i],
                  want ? "pass" : "fail");
}
#define PASS(field, ...)                                                       \
    do {                                                                       \
        const char *const l_[] = {__VA_ARGS__};                                \
        expect((field), l_, sizeof l_ / sizeof *l_, 1);                        \
    } while (0)
#define FAIL(field, ...)                                                       \
    do {                                                                       \
        const char *const l_[] = {__VA_ARGS__};                                \
        expect((field), l_, sizeof l_ / sizeof *l_, 0);                        \
    } while (0)

enum { EMAIL, URI, UUID, IPV4, IPV6, HOSTNAME, NONE };

static void test_email(void)
{
    PASS(EMAIL, "name@example.com", "first.last@example.co.uk", "x+tag@sub.example.org",
         "o'brien@example.ie", "user_1-2@ex-ample.com", "a!#$%&*/=?^`{|}~@example.com",
         "info@bücher.de", "info@пример.рф", "info@例子.中国", "info@xn--bcher-kva.de",
         "user@example.xn--p1ai", "info@παράδειγμα.ελ", "x@123.example.com",
         "info@मराठी.भारत");
    FAIL(EMAIL, "", "plainaddress", "@example.com", "name@", "name@example",
         "name@localhost", "name@example.c", "name@@example.com", ".name@example.com",
         "name.@example.com", "na..me@example.com", "name@-example.com",
         "name@example-.com", "name@example..com", "name@.example.com",
         "name@example.com.", "na me@example.com", "\"quoted\"@example.com",
         "name@[192.168.0.1]", "имя@example.com", "почта@пример.рф", /* local: ASCII */ "name@example.123",
         "name@exa_mple.com", " name@example.com", "name@example.com\n",
         "name@example.com\xff");
    /* 64 characters in the local part at most, 254 in all */
    char buf[400];
    memset(buf, 'a', 64);
    strcpy(buf + 64, "@example.com");
    PASS(EMAIL, buf);
    memset(buf, 'a', 65);
    strcpy(buf + 65, "@example.com");
    FAIL(EMAIL, buf);
    strcpy(buf, "a@");
    for (int i = 0; i < 4; i++)
        strcat(buf, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.");
    strcat(buf, "com"); /* 2 + 4 * 62 + 3 = 253 */
    PASS(EMAIL, buf);
    strcat(buf, "x");
    PASS(EMAIL, buf);
    strcat(buf, "x");
    FAIL(EMAIL, buf);
}

static void test_uri(void)
{
    PASS(URI, "https://example.com", "https://example.com/a/b?c=d&e=f#frag",
         "http://user:pass@example.com:8080/path", "ftp://ftp.example.org/file.txt",
         "mailto:name@example.com", "urn:isbn:0451450523", "file:///etc/hosts",
         "http://[2001:db8::1]:80/", "http://[v7.fe80::1]/", "http://192.168.0.1/",
         "https://example.com/%E6%97%A5%E6%9C%AC", "data:,hello", "tel:+1-555-0100",
         "news:comp.lang.c", "a:", "https://example.com/?", "https://ex.com/#a?b/c",
         "git+ssh://git@example.com/repo.git", "http://example.com:/");
    FAIL(URI, "", "example.com", "/relative/path", "//example.com", "1http://x",
         "http://exa mple.com", "https://example.com/日本", "http://example.com/%zz",
         "http://[::1", "http://[192.168.0.1]/", "http://example.com:80a/",
         "https://example.com/a b", "https://example.com/<x>", ":nothing",
         "http://ex\\ample.com", "https://example.com/#a#b");
}

static void test_uuid(void)
{
    PASS(UUID, "123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000",
         "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
         "018F6B2E-7C4A-7Abc-9def-0123456789ab");
    FAIL(UUID, "", "{123e4567-e89b-12d3-a456-426614174000}",
         "urn:uuid:123e4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000",
         "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000",
         "123e4567-e89b-12d3-a456_426614174000", "g23e4567-e89b-12d3-a456-426614174000",
         " 123e4567-e89b-12d3-a456-426614174000");
}

static void test_ipv4(void)
{
    PASS(IPV4, "0.0.0.0", "192.168.0.1", "255.255.255.255", "10.0.0.10", "1.2.3.4",
         "100.64.0.199");
    FAIL(IPV4, "", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "00.0.0.0",
         "1.2.3.4 ", "1..3.4", "a.b.c.d", "1.2.3.-4", "+1.2.3.4", "1.2.3.4/24", "０.0.0.0",
         "192.168.0.1\n", "999.0.0.0");
}

static void test_ipv6(void)
{
    PASS(IPV6, "::", "::1", "1::", "2001:db8::1", "2001:0db8:0000:0000:0000:ff00:0042:8329",
         "2001:db8:0:0:1:0:0:1", "fe80::1ff:fe23:4567:890a", "FE80::ABCD", "1:2:3:4:5:6:7:8",
         "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::8", "1:2::7:8", "::ffff:192.0.2.1",
         "::192.0.2.1", "64:ff9b::192.0.2.33", "1:2:3:4:5:6:192.0.2.1", "1::5:6:192.0.2.1");
    FAIL(IPV6, "", ":", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3",
         "12345::", "g::1", "::1%eth0", "[::1]", "::ffff:192.0.2.256", "::ffff:192.0.02.1",
         "1:2:3:4:5:6:7:192.0.2.1", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", " ::1",
         "2001:db8::1/64", "1.2.3.4");
}

static void test_hostname(void)
{
    PASS(HOSTNAME, "example.com", "www.example.com", "localhost", "a", "xn--bcher-kva.de",
         "my-host.example-domain.org", "1.2.3.4", "123abc.com", "A.B.C");
    FAIL(HOSTNAME, "", "-example.com", "example-.com", "exa_mple.com", "example..com",
         ".example.com", "example.com.", "bücher.de", "exa mple.com", "example.com/x",
         "host:80");
    char buf[300];
    memset(buf, 'a', 63);
    buf[63] = '\0';
    PASS(HOSTNAME, buf);
    memset(buf, 'a', 64);
    buf[64] = '\0';
    FAIL(HOSTNAME, buf);
    buf[0] = '\0';
    for (int i = 0; i < 4; i++)
        strcat(buf, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."); /* 63 */
    strcat(buf, "a");  /* 253 */
    PASS(HOSTNAME, buf);
    strcat(buf, "b");
    FAIL(HOSTNAME, buf);
}

static void test_plan_and_messages(void)
{
    CHECK(r->fields[EMAIL].strfmt == RF_EMAIL && r->fields[EMAIL].format_re &&
          r->fields[EMAIL].format_jit);
    CHECK(r->fields[NONE].strfmt == RF_NONE && !r->fields[NONE].format_re);
    CHECK_EQ_INT(val_format_check(&r->fields[NONE], md, "anything", 8), 1);
    CHECK(strstr(val_format_message(&r->fields[EMAIL]), "email address"));
    CHECK(strstr(val_format_message(&r->fields[IPV6]), "IPv6"));
    CHECK(strcmp(val_format_name(RF_HOSTNAME), "hostname") == 0);
    CHECK(val_format_kind("uuid", 4) == RF_UUID && val_format_kind("binary", 6) == RF_NONE);
    /* NULL match data works too */
    CHECK_EQ_INT(val_format_check(&r->fields[UUID], NULL,
                                  "123e4567-e89b-12d3-a456-426614174000", 36), 1);
    /* binary stays unchecked; formats on other types are not string formats */
    size_t warnings = 0;
    assay_rules *b = u_load("[{'name': 'b', 'format': 'binary'},"
                            " {'name': 'i', 'type': 'integer', 'format': 'default'}]", &warnings);
    CHECK(b && warnings == 1 && b->fields[0].strfmt == RF_NONE && b->fields[1].strfmt == RF_NONE);
    assay_rules_free(b);
    assay_status st;
    const char *m = u_first_diag("[{'name': 'e', 'format': 'emial'}]", &st);
    CHECK_MSG(st == ASSAY_E_RULES && strstr(m, "did you mean \"email\""), "%s", m);
}

int main(void)
{
    r = u_load("[{'name': 'e', 'format': 'email'}, {'name': 'u', 'format': 'uri'},"
               " {'name': 'id', 'format': 'uuid'}, {'name': 'v4', 'format': 'ipv4'},"
               " {'name': 'v6', 'format': 'ipv6'}, {'name': 'h', 'format': 'hostname'},"
               " {'name': 'n', 'format': 'default'}]", NULL);
    md = val_match_data_new(r);
    if (r && md) {
        test_email();
        test_uri();
        test_uuid();
        test_ipv4();
        test_ipv6();
        test_hostname();
        test_plan_and_messages();
    }
    val_match_data_free(md);
    assay_rules_free(r);
    return t_done();
}
