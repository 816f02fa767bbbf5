/* tests/unit/test_val_dfa.c — the pattern DFA gives pcre2's answers.
 *
 * (a) which patterns the DFA takes and which it leaves to pcre2;
 * (b) a differential test: random patterns of the subset's grammar (and
 *     random mutations of them, which may leave the subset), each matched
 *     against random subjects — samples of the pattern's own language,
 *     mutated, with newlines, NUL, non-ASCII and broken UTF-8 — and every
 *     answer of the DFA must equal pcre2's under the field options
 *     (interpreter and JIT) whenever pcre2 gives one;
 * (c) the benchmark's four patterns on values shaped like its data.
 * The generator is seeded: every run tests the same cases. The number of
 * random patterns can be changed with ASSAY_DFA_ROUNDS (default 2000). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/utf8.h"
#include "t.h"
#include "validators/dfa.h"

#define FIELD_OPTS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ANCHORED | \
                    PCRE2_ENDANCHORED)

/* ---- pcre2, as the rules loader compiles and the validator matches ---- */

typedef struct ref {
    pcre2_code *re;
    bool jit;
    pcre2_match_data *md;
    pcre2_match_context *mc;
} ref;

static bool ref_compile(ref *r, const char *pat, size_t n)
{
    int err;
    PCRE2_SIZE off;
    r->re = pcre2_compile((PCRE2_SPTR)pat, n, FIELD_OPTS, &err, &off, NULL);
    if (!r->re)
        return false;
    r->jit = pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) == 0;
    r->md = pcre2_match_data_create_from_pattern(r->re, NULL);
    r->mc = pcre2_match_context_create(NULL);
    if (!r->md || !r->mc) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    pcre2_set_match_limit(r->mc, 200000);
    pcre2_set_depth_limit(r->mc, 200000);
    return true;
}

static void ref_free(ref *r)
{
    pcre2_match_data_free(r->md);
    pcre2_match_context_free(r->mc);
    pcre2_code_free(r->re);
}

/* pcre2's answer: 1 match, 0 none, -1 no answer (a limit). */
static int ref_match(const ref *r, const char *s, size_t n, uint32_t opts)
{
    int rc = pcre2_match(r->re, (PCRE2_SPTR)s, n, 0, opts, r->md, r->mc);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return -1;
}

static long compared, dfa_taken, dfa_steps[4], pcre_only, refused, interp_quirks;

/* Both engines of pcre2 against the DFA on one subject. */
static void differ(const ref *r, const val_dfa *d, const char *pat, size_t pn,
                   const char *s, size_t n)
{
    int interp = ref_match(r, s, n, PCRE2_NO_JIT);
    int jit = r->jit ? ref_match(r, s, n, 0) : interp;
    int want = jit;
    if (interp < 0 || jit < 0)
        return;
    if (core_utf8_valid(s, n)) {
        CHECK_MSG(interp == jit, "pcre2 interpreter and JIT differ on /%.*s/", (int)pn,
                  pat);
    } else {
        /* Broken UTF-8 never matches an ASCII pattern. The JIT agrees; the
         * interpreter matches a pattern that matches "" on a value that
         * starts with a broken byte (it matches each valid fragment as a
         * subject of its own). */
        if (interp != jit)
            interp_quirks++;
        CHECK(!r->jit || jit == 0);
        want = 0;
    }
    int got = val_dfa_match(d, s, n);
    compared++;
    if (got != want) {
        fprintf(stderr, "pattern /");
        fwrite(pat, 1, pn, stderr);
        fprintf(stderr, "/ subject \"");
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c < 0x7f && c != '\\')
                fputc(c, stderr);
            else
                fprintf(stderr, "\\x%02x", c);
        }
        fprintf(stderr, "\": pcre2 %d, dfa %d\n", want, got);
    }
    CHECK(got == want);
}

/* ---- (a) the subset ------------------------------------------------------ */

static bool takes(const char *pat)
{
    val_dfa *d = val_dfa_compile(pat, strlen(pat));
    val_dfa_free(d);
    return d != NULL;
}

static void test_subset(void)
{
    static const char *const in[] = {
        "", "^", "$", "^$", "abc", "^abc$", "a|b|", "(|a)", "()", "(?:a|bc)*",
        "\\d\\w\\s", "\\.\\+\\-\\(\\)\\[\\]\\{\\}\\\\\\$\\^\\|\\*\\?\\/", "\\t\\n\\r\\f\\a\\e",
        "[a-z]", "[]a]", "[-a]", "[a-]", "[-]", "[\\d.]", "[\\]\\\\]", "[a^]", "[$.|()*+?{]",
        "[\\--/]", "[!--]", "a}", "]", "a{3}", "a{0}", "a{2,}", "a{2,5}", "a{0,0}",
        "a??", "a*?", "a+?", "a{2,3}?", "(ab){1,2}", "\\$", "a\\$b", "\\\\$",
        "[a-z]{250}", "(?:a|b|c|d|e|f|g|h){30}", "[0-9]{5}", "^-?[0-9]+(\\.[0-9]{1,2})?$",
        "^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$",
        "^\\+?[0-9][0-9 ()-]{6,19}$", "a b#c", "((((a))))",
    };
    static const char *const out[] = {
        ".", "a.b", "[^a]", "\\D", "\\W", "\\S", "\\b", "\\B", "\\A", "\\z", "\\Z",
        "\\h", "\\v", "\\R", "\\N", "\\X", "\\p{L}", "\\x41", "\\x{41}", "\\101", "\\0",
        "(a)\\1", "\\k<a>", "\\Qa\\E", "\\K", "\\G", "\\c", "\\", "a*+", "a++", "a?+",
        "a{2}+", "a**", "a{2}{3}", "(?i)a", "(?=a)", "(?!a)", "(?<=a)", "(?<!a)", "(?>a)",
        "(?<n>a)", "(?P<n>a)", "(?#c)", "(?|a)", "(*UTF)a", "(*ACCEPT)", "(?C1)a",
        "(?R)", "a^", "a^b", "a$b", "(a$)", "$a", "^*", "^{2}", "*a", "+a", "?a",
        "{2}", "a{", "a{2", "a{2,", "a{x}", "a{,3}", "a{3,2}", "a{ 2}", "a{70000}",
        "[[:alpha:]]", "[[]", "[a", "[]", "[]-a]", "[--a]", "[a-\\d]", "[\\d-a]",
        "[z-a]", "[a-c-e]", "[\\b]", "[\\x41]", "\xc3\xa9", "[\xc3\xa9]", "a\x80",
        "(a", "a)", ")", "x{4001}", "x{300}", "[.a.]", "[:a:]", "[=a=]", "[.\\].]", "(ab){2001}", "(a|b)*a(a|b){10}",
        "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))",
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        CHECK_MSG(takes(in[i]), "refused /%s/", in[i]);
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        CHECK_MSG(!takes(out[i]), "took /%s/", out[i]);
    /* Past VAL_DFA_MAX_PATTERN bytes a pattern is not looked at, even one of
     * no positions at all. */
    char *big = malloc(VAL_DFA_MAX_PATTERN + 2);
    if (!big)
        exit(2);
    for (size_t i = 0; i + 1 < VAL_DFA_MAX_PATTERN + 2; i += 2)
        memcpy(big + i, "()", 2);
    val_dfa *d = val_dfa_compile(big, VAL_DFA_MAX_PATTERN);
    CHECK(d && val_dfa_match(d, "", 0) == 1 && val_dfa_match(d, "a", 1) == 0);
    val_dfa_free(d);
    CHECK(val_dfa_compile(big, VAL_DFA_MAX_PATTERN + 2) == NULL);
    free(big);
    /* A NUL byte of the pattern is a literal. */
    d = val_dfa_compile("a\0b", 3);
    CHECK(d && val_dfa_match(d, "a\0b", 3) == 1 && val_dfa_match(d, "a", 1) == 0);
    val_dfa_free(d);
    /* A few answers by hand (the differential test does the rest). */
    d = val_dfa_compile("^[0-9]{2,3}$", 12);
    CHECK(d && !val_dfa_match(d, "1", 1) && val_dfa_match(d, "12", 2) &&
          val_dfa_match(d, "123", 3) && !val_dfa_match(d, "1234", 4) &&
          !val_dfa_match(d, "12\n", 3) && !val_dfa_match(d, "", 0));
    val_dfa_free(d);
}

/* ---- (b) random patterns ------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n) /* 0 .. n-1 */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717u) >> 33) % n;
}

typedef enum tkind { T_EMPTY, T_SET, T_CAT, T_ALT, T_GROUP, T_REP } tkind;

typedef struct tnode {
    tkind kind;
    int a, b;              /* children */
    uint32_t min, max;     /* T_REP; max UINT32_MAX: unbounded */
    bool lazy, capture;
    uint64_t set[2];       /* T_SET: members */
    char text[64];         /* T_SET: as written */
} tnode;

typedef struct tgen {
    tnode nodes[256];
    int nn;
    char pat[1024];
    size_t pn;
} tgen;

static const char lit_pool[] = "ab0-.@ +(}]%\n\t/";
static const char *const special[] = {
    "\n", "\r", "\t", "\v", "\f", " ", "\0", "\x7f", "\x80", "\xc3\xa9", "\xc2\xa0",
    "\xc2\x85", "\xff", "\xc3", "\xe2\x80\xa8", "\xf0\x9f\x98\x80", "\xed\xa0\x80",
};

static void set_add(uint64_t set[2], unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        set[c >> 6] |= (uint64_t)1 << (c & 63);
}

static bool in_set(const uint64_t set[2], unsigned c)
{
    return c < 128 && ((set[c >> 6] >> (c & 63)) & 1u);
}

static int tnew(tgen *g, tkind kind)
{
    if (g->nn == (int)(sizeof g->nodes / sizeof g->nodes[0]))
        return -1;
    tnode *t = &g->nodes[g->nn];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->a = t->b = -1;
    return g->nn++;
}

/* A literal character outside a class, escaped when it must be or by
 * chance. */
static void lit_text(char *out, unsigned c)
{
    if (c == '\n' && rnd(2)) {
        strcpy(out, "\\n");
    } else if (c == '\t' && rnd(2)) {
        strcpy(out, "\\t");
    } else if (strchr("\\^$.|?*+()[{", (int)c) && c) {
        out[0] = '\\', out[1] = (char)c, out[2] = 0;
    } else if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
               !(c >= 'A' && c <= 'Z') && c >= 0x20 && rnd(3) == 0) {
        out[0] = '\\', out[1] = (char)c, out[2] = 0;
    } else {
        out[0] = (char)c, out[1] = 0;
    }
}

static int gen_set(tgen *g)
{
    int id = tnew(g, T_SET);
    if (id < 0)
        return -1;
    tnode *t = &g->nodes[id];
    unsigned c;
    switch (rnd(8)) {
    case 0:
        strcpy(t->text, "\\d");
        set_add(t->set, '0', '9');
        return id;
    case 1:
        strcpy(t->text, "\\w");
        set_add(t->set, '0', '9'), set_add(t->set, 'A', 'Z'), set_add(t->set, 'a', 'z');
        set_add(t->set, '_', '_');
        return id;
    case 2:
        strcpy(t->text, "\\s");
        set_add(t->set, '\t', '\r'), set_add(t->set, ' ', ' ');
        return id;
    case 3:
    case 4: { /* a bracket class */
        static const char *const items[] = {
            "a-c", "0-9", "A-Z", "\\d", "\\w", "\\s", "a", "b", ".", "@", "+", " ",
            "\\-", "\\]", "\\\\", "(", ")", "!-/", "\\n", "$", "^", "|", "*", "\\--0", ":", "=",
        };
        size_t len = 1;
        strcpy(t->text, "[");
        if (rnd(6) == 0) {
            strcat(t->text, "]");
            set_add(t->set, ']', ']');
            len++;
        } else if (rnd(6) == 0) {
            strcat(t->text, "-");
            set_add(t->set, '-', '-');
            len++;
        }
        for (unsigned k = 0, m = 1 + rnd(3); k < m; k++) {
            const char *it = items[rnd(sizeof items / sizeof items[0])];
            if (len == 1 && it[0] == '^')
                it = "a";
            strcat(t->text, it);
            len += strlen(it);
            if (!strcmp(it, "\\d"))
                set_add(t->set, '0', '9');
            else if (!strcmp(it, "\\w"))
                set_add(t->set, '0', '9'), set_add(t->set, 'A', 'Z'),
                    set_add(t->set, 'a', 'z'), set_add(t->set, '_', '_');
            else if (!strcmp(it, "\\s"))
                set_add(t->set, '\t', '\r'), set_add(t->set, ' ', ' ');
            else if (!strcmp(it, "\\n"))
                set_add(t->set, '\n', '\n');
            else if (!strcmp(it, "\\--0"))
                set_add(t->set, '-', '0');
            else if (it[0] == '\\')
                set_add(t->set, (unsigned char)it[1], (unsigned char)it[1]);
            else if (it[1] == '-')
                set_add(t->set, (unsigned char)it[0], (unsigned char)it[2]);
            else
                set_add(t->set, (unsigned char)it[0], (unsigned char)it[0]);
        }
        if (rnd(6) == 0) {
            strcat(t->text, "-");
            set_add(t->set, '-', '-');
        }
        strcat(t->text, "]");
        return id;
    }
    default:
        c = rnd(50) == 0 ? (unsigned)rnd(128) : (unsigned char)lit_pool[rnd(sizeof lit_pool - 1)];
        set_add(t->set, c, c);
        lit_text(t->text, c);
        return id;
    }
}

static int gen_re(tgen *g, int depth);

static int gen_atom(tgen *g, int depth)
{
    if (depth < 4 && rnd(4) == 0) {
        int id = tnew(g, T_GROUP);
        if (id < 0)
            return -1;
        g->nodes[id].capture = rnd(2);
        g->nodes[id].a = gen_re(g, depth + 1);
        return g->nodes[id].a < 0 ? -1 : id;
    }
    return gen_set(g);
}

static int gen_piece(tgen *g, int depth)
{
    int atom = gen_atom(g, depth);
    if (atom < 0 || rnd(3))
        return atom;
    int id = tnew(g, T_REP);
    if (id < 0)
        return -1;
    tnode *t = &g->nodes[id];
    t->a = atom;
    t->lazy = rnd(4) == 0;
    switch (rnd(6)) {
    case 0: t->min = 0, t->max = 1; break;
    case 1: t->min = 0, t->max = UINT32_MAX; break;
    case 2: t->min = 1, t->max = UINT32_MAX; break;
    case 3: t->min = t->max = rnd(4); break;
    case 4: t->min = rnd(4), t->max = UINT32_MAX; break;
    default: t->min = rnd(3), t->max = t->min + rnd(4); break;
    }
    t->b = (int)rnd(3); /* how {m} and {m,m} ... are written: see render */
    return id;
}

static int gen_re(tgen *g, int depth)
{
    int n = (int)rnd(4), acc = tnew(g, T_EMPTY);
    for (int i = 0; acc >= 0 && i < n; i++) {
        int p = gen_piece(g, depth), cat = tnew(g, T_CAT);
        if (p < 0 || cat < 0)
            return -1;
        g->nodes[cat].a = acc, g->nodes[cat].b = p;
        acc = cat;
    }
    if (acc >= 0 && depth < 4 && rnd(5) == 0) {
        int other = gen_re(g, depth + 1), alt = tnew(g, T_ALT);
        if (other < 0 || alt < 0)
            return -1;
        g->nodes[alt].a = acc, g->nodes[alt].b = other;
        acc = alt;
    }
    return acc;
}

static void emit(tgen *g, const char *s)
{
    size_t n = strlen(s);
    if (g->pn + n < sizeof g->pat) {
        memcpy(g->pat + g->pn, s, n);
        g->pn += n;
    } else {
        g->pn = sizeof g->pat; /* too long: the caller drops it */
    }
}

static void render(tgen *g, int id)
{
    const tnode *t = &g->nodes[id];
    char buf[48];
    switch (t->kind) {
    case T_EMPTY:
        return;
    case T_SET:
        if (!t->text[0] && g->pn < sizeof g->pat) /* a NUL literal */
            g->pat[g->pn++] = 0;
        emit(g, t->text);
        return;
    case T_CAT:
        render(g, t->a);
        render(g, t->b);
        return;
    case T_ALT:
        render(g, t->a);
        emit(g, "|");
        render(g, t->b);
        return;
    case T_GROUP:
        emit(g, t->capture ? "(" : "(?:");
        render(g, t->a);
        emit(g, ")");
        return;
    case T_REP:
        render(g, t->a);
        if (t->min == 0 && t->max == 1 && t->b)
            emit(g, "?");
        else if (t->min == 0 && t->max == UINT32_MAX && t->b)
            emit(g, "*");
        else if (t->min == 1 && t->max == UINT32_MAX && t->b)
            emit(g, "+");
        else if (t->max == UINT32_MAX)
            snprintf(buf, sizeof buf, "{%u,}", t->min), emit(g, buf);
        else if (t->min == t->max && t->b != 2)
            snprintf(buf, sizeof buf, "{%u}", t->min), emit(g, buf);
        else
            snprintf(buf, sizeof buf, "{%u,%u}", t->min, t->max), emit(g, buf);
        if (t->lazy)
            emit(g, "?");
        return;
    }
}

/* A random member of the node's language, appended to out. */
static void sample(const tgen *g, int id, char *out, size_t *n, size_t cap)
{
    const tnode *t = &g->nodes[id];
    switch (t->kind) {
    case T_EMPTY:
        return;
    case T_SET: {
        unsigned c;
        do
            c = rnd(128);
        while (!in_set(t->set, c));
        if (*n < cap)
            out[(*n)++] = (char)c;
        return;
    }
    case T_CAT:
        sample(g, t->a, out, n, cap);
        sample(g, t->b, out, n, cap);
        return;
    case T_ALT:
        sample(g, rnd(2) ? t->a : t->b, out, n, cap);
        return;
    case T_GROUP:
        sample(g, t->a, out, n, cap);
        return;
    case T_REP: {
        uint32_t hi = t->max == UINT32_MAX ? t->min + 3 : t->max;
        for (uint32_t k = 0, m = t->min + rnd(hi - t->min + 1); k < m; k++)
            sample(g, t->a, out, n, cap);
        return;
    }
    }
}

static void append_special(char *s, size_t *n, size_t cap)
{
    const char *sp = special[rnd(sizeof special / sizeof special[0])];
    size_t len = sp[0] ? strlen(sp) : 1;
    size_t at = rnd((uint32_t)*n + 1);
    if (*n + len > cap)
        return;
    memmove(s + at + len, s + at, *n - at);
    memcpy(s + at, sp, len);
    *n += len;
}

/* Subjects for one pattern: samples of its language, mutated or not, and
 * strings of the pattern's own bytes with special ones mixed in. */
static void check_subjects(const tgen *g, int root, const ref *r, const val_dfa *d)
{
    char s[256] = {0}; /* all set: pcre2's JIT reads past a subject's end */
    for (int k = 0; k < 150; k++) {
        size_t n = 0;
        if (k < 90) {
            sample(g, root, s, &n, 200);
            switch (rnd(6)) {
            case 0: if (n) s[rnd((uint32_t)n)] = lit_pool[rnd(sizeof lit_pool - 1)]; break;
            case 1: if (n) { size_t at = rnd((uint32_t)n); memmove(s + at, s + at + 1, n - at - 1); n--; } break;
            case 2: append_special(s, &n, 250); break;
            case 3: if (n < 250) s[n++] = '\n'; break;
            default: break;
            }
        } else {
            for (size_t m = rnd(12); n < m;) {
                if (rnd(6) == 0)
                    append_special(s, &n, 250);
                else if (g->pn)
                    s[n++] = g->pat[rnd((uint32_t)g->pn)];
                else
                    s[n++] = 'a';
            }
        }
        differ(r, d, g->pat, g->pn, s, n);
    }
}

static void one_pattern(const char *pat, size_t pn, const tgen *g, int root)
{
    ref r;
    val_dfa *d = val_dfa_compile(pat, pn);
    if (!ref_compile(&r, pat, pn)) {
        CHECK_MSG(d == NULL, "DFA for /%.*s/, which pcre2 refuses", (int)pn, pat);
        val_dfa_free(d);
        return;
    }
    if (d) {
        dfa_taken++;
        /* The wide tables are tried one way in three each. */
        val_dfa_limit_step(d, (int)(dfa_taken % 3) + 1);
        dfa_steps[val_dfa_step(d)]++;
        if (g)
            check_subjects(g, root, &r, d);
        differ(&r, d, pat, pn, "", 0);
        differ(&r, d, pat, pn, "\n", 1);
        /* Strings of the pattern's own bytes. */
        char s[32] = {0};
        for (int k = 0; k < (g ? 0 : 200); k++) {
            size_t n = 0;
            for (size_t m = rnd(10); n < m;)
                if (rnd(8) == 0)
                    append_special(s, &n, 24);
                else
                    s[n++] = pn ? pat[rnd((uint32_t)pn)] : 'a';
            differ(&r, d, pat, pn, s, n);
        }
    } else {
        pcre_only++;
    }
    val_dfa_free(d);
    ref_free(&r);
}

static void test_random(long rounds)
{
    static tgen g;
    for (long i = 0; i < rounds; i++) {
        g.nn = 0;
        g.pn = 0;
        int root = gen_re(&g, 0);
        if (root < 0)
            continue;
        if (rnd(4) == 0)
            emit(&g, "^");
        render(&g, root);
        if (rnd(4) == 0)
            emit(&g, "$");
        if (g.pn >= sizeof g.pat)
            continue;
        long before = dfa_taken;
        one_pattern(g.pat, g.pn, &g, root);
        if (dfa_taken == before) /* in the subset, but too many states */
            refused++;
        /* The same text mutated: may leave the subset, never pcre2's
         * answers. */
        char mut[1100];
        for (int m = 0; m < 3; m++) {
            size_t mn = g.pn;
            memcpy(mut, g.pat, mn);
            static const char chars[] = "\\^$.|?*+()[]{}-,:=!<>#0123abdswDSWbBQExk";
            size_t at = rnd((uint32_t)mn + 1);
            if (rnd(2) && mn) {
                mut[at < mn ? at : mn - 1] = chars[rnd(sizeof chars - 1)];
            } else {
                memmove(mut + at + 1, mut + at, mn - at);
                mut[at] = chars[rnd(sizeof chars - 1)];
                mn++;
            }
            one_pattern(mut, mn, NULL, -1);
        }
    }
}

/* ---- (c) the benchmark's patterns --------------------------------------- */

static void test_bench(void)
{
    static const char *const pats[] = {
        "^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$",
        "^-?[0-9]+(\\.[0-9]{1,2})?$",
        "^\\+?[0-9][0-9 ()-]{6,19}$",
        "^[0-9]{5}$",
    };
    static const char *const values[] = {
        "inesrossi25@mail.de", "linda_schmidt2@outlook.com", "emmamiller67@example.org",
        "a.b-c%d+e@sub-1.example.co.uk", "x@y.z", "x@y.zz", "x@.com", "@example.com",
        "x@example", "x@example.c0m", "x y@example.com", "x@@example.com",
        "jos\xc3\xa9@example.com", "x@example.com\n", "x@example.com ", "",
        "6.90", "16.73", "43.21", "-0.5", "1.234", "1.", ".5", "--1", "1e5", "12,50",
        "0", "-", "1\n", "+1-809-002-4453", "+76 58 8602897", "(555) 123-4567",
        "+1 (555) 123-4567", "123456", "1234567", "+123456", "12345678901234567890",
        "123456789012345678901", "+1-800-FLOWERS", "54141", "72148", "1234", "123456",
        "5414a", "54141\n", "\xef\xbc\x95\x34\x31\x34\x31", ("5\0" "141"),
    };
    for (size_t i = 0; i < 4; i++) {
        ref r;
        val_dfa *d = val_dfa_compile(pats[i], strlen(pats[i]));
        CHECK_MSG(d != NULL, "benchmark pattern %zu refused", i);
        if (!d || !ref_compile(&r, pats[i], strlen(pats[i]))) {
            val_dfa_free(d);
            continue;
        }
        size_t before = (size_t)compared;
        for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
            differ(&r, d, pats[i], strlen(pats[i]), values[k],
                   k + 1 == sizeof values / sizeof values[0] ? 5 : strlen(values[k]));
        CHECK((size_t)compared == before + sizeof values / sizeof values[0]);
        val_dfa_free(d);
        ref_free(&r);
    }
    /* Answers known by hand, so that pcre2 and the DFA cannot both be
     * wrong the same way. */
    val_dfa *d = val_dfa_compile(pats[0], strlen(pats[0]));
    CHECK(d && val_dfa_match(d, "a.b@c-d.example.org", 19) == 1 &&
          val_dfa_match(d, "a@b.c", 5) == 0);
    val_dfa_free(d);
    d = val_dfa_compile(pats[2], strlen(pats[2]));
    CHECK(d && val_dfa_match(d, "+1-809-002-4453", 15) == 1 &&
          val_dfa_match(d, "+1-80", 5) == 0);
    val_dfa_free(d);
}

int main(void)
{
    const char *env = getenv("ASSAY_DFA_ROUNDS");
    long rounds = env ? strtol(env, NULL, 10) : 2000;
    test_subset();
    test_bench();
    test_random(rounds);
    printf("dfa: %ld patterns taken (stepping 1/2/3 bytes at a time: %ld/%ld/%ld), %ld "
           "left to pcre2 (%ld of the subset), %ld subjects compared (%ld broken ones "
           "the pcre2 interpreter matched)\n",
           dfa_taken, dfa_steps[1], dfa_steps[2], dfa_steps[3], pcre_only, refused,
           compared, interp_quirks);
    /* Every way of stepping is compared, each on a good share of patterns. */
    for (int k = 1; k <= 3; k++)
        CHECK(rounds < 100 || dfa_steps[k] > dfa_taken / 5);
    /* The generator stays in the subset: nearly all of it is taken. */
    CHECK(refused <= rounds / 100 + 2);
    CHECK(rounds < 100 || compared > rounds * 100);
    return t_done();
}
