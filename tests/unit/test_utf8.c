/* tests/unit/test_utf8.c — core_utf8_* held equal to ICU.
 *
 * ICU's u_strFromUTF8 is the reference: a byte string is valid UTF-8 exactly
 * when ICU converts it without error. core_utf8_invalid_at(s, n) == k < n
 * must mean that ICU accepts s[0..k) and rejects s[0..k+1) (the byte at k
 * starts no valid sequence); k == n that ICU accepts all of s. Checked on
 * every sequence of one to three bytes, on many random sequences (biased to
 * the bytes where UTF-8 is subtle) and on long ASCII runs that exercise the
 * eight-bytes-at-a-time path. core_utf8_count equals ICU's code point count.
 * The word-at-a-time paths (sixteen and eight bytes, the overlapping last
 * word) are also held equal to a byte-by-byte walk on every byte value at
 * every position of every length 0..64, at every alignment. */
#include <stdint.h>
#include <stdlib.h>

#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include "core/utf8.h"
#include "t.h"

static UChar u16[4096];

/* ICU's verdict; *cps gets the number of code points when valid. */
static bool icu_valid(const char *s, size_t n, size_t *cps)
{
    UErrorCode e = U_ZERO_ERROR;
    int32_t len = 0;
    u_strFromUTF8(u16, (int32_t)(sizeof u16 / sizeof u16[0]), &len, s, (int32_t)n, &e);
    if (U_FAILURE(e))
        return false;
    if (cps)
        *cps = (size_t)u_countChar32(u16, len);
    return true;
}

static size_t failures;

static void check_one(const char *s, size_t n)
{
    size_t cps = 0;
    bool valid = icu_valid(s, n, &cps);
    size_t at = core_utf8_invalid_at(s, n);
    bool ok = valid == (at == n) && core_utf8_valid(s, n) == valid;
    if (ok && at < n)
        ok = icu_valid(s, at, NULL) && !icu_valid(s, at + 1, NULL);
    if (ok && valid)
        ok = core_utf8_count(s, n) == cps;
    if (!ok && failures++ < 10) {
        fprintf(stderr, "differs from ICU on:");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %02X", (unsigned char)s[i]);
        fprintf(stderr, " (invalid_at %zu, ICU %s)\n", at, valid ? "valid" : "invalid");
    }
    CHECK(ok || failures > 10);
}

static void test_exhaustive(void)
{
    char s[3];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (char)a;
        check_one(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (char)b;
            check_one(s, 2);
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (char)c;
                check_one(s, 3);
            }
        }
    }
}

static uint64_t rng = 0x243F6A8885A308D3ULL;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)((rng >> 11) % n);
}

static const unsigned char subtle[] = {
    0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
    0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF
};

static void test_random(void)
{
    char s[64];
    for (int iter = 0; iter < 1000000; iter++) {
        size_t n = 1 + rnd(12);
        for (size_t i = 0; i < n; i++)
            s[i] = rnd(3) ? (char)subtle[rnd(sizeof subtle)] : (char)rnd(256);
        check_one(s, n);
    }
    /* Long ASCII runs with valid or invalid sequences at every alignment. */
    for (int iter = 0; iter < 100000; iter++) {
        size_t n = 1 + rnd(60);
        for (size_t i = 0; i < n; i++)
            s[i] = (char)(0x20 + rnd(0x5F));
        size_t at = rnd((unsigned)n);
        static const char *const seqs[] = { "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                            "\xFF", "\xC3", "\xED\xA0\x80", "\x80" };
        const char *q = seqs[rnd(7)];
        size_t qn = strlen(q);
        if (at + qn <= n)
            memcpy(s + at, q, qn);
        check_one(s, n);
    }
}

/* The byte-by-byte walk the word paths must agree with. */
static size_t walk(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t len = core_utf8_seq(s + i, n - i);
        if (!len)
            return i;
        i += len;
    }
    return n;
}

static void test_words(void)
{
    static const char *const seqs[] = { "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                        "\xC3", "\xED\xA0\x80" };
    char buf[64 + 16];
    size_t bad = 0, runs = 0;
    for (size_t n = 0; n <= 64; n++)
        for (size_t off = 0; off < 8; off++)
            for (size_t pos = 0; pos < n; pos++) {
                for (unsigned b = 0; b < 256; b++) {
                    for (size_t i = 0; i < n; i++)
                        buf[off + i] = (char)('!' + (i * 5) % 94);
                    buf[off + pos] = (char)b;
                    bad += core_utf8_invalid_at(buf + off, n) != walk(buf + off, n);
                    runs++;
                }
                for (size_t k = 0; k < sizeof seqs / sizeof seqs[0]; k++) {
                    size_t qn = strlen(seqs[k]);
                    for (size_t i = 0; i < n; i++)
                        buf[off + i] = 'x';
                    memcpy(buf + off + pos, seqs[k], pos + qn <= n ? qn : n - pos);
                    bad += core_utf8_invalid_at(buf + off, n) != walk(buf + off, n);
                    runs++;
                }
            }
    CHECK_EQ_INT(bad, 0);
    CHECK(runs > 1000000);
}

static void test_count(void)
{
    CHECK_EQ_INT(core_utf8_count("", 0), 0);
    CHECK_EQ_INT(core_utf8_count("abc", 3), 3);
    CHECK_EQ_INT(core_utf8_count("\xC3\xA9t\xC3\xA9", 5), 3);
    CHECK_EQ_INT(core_utf8_count("\xF0\x9F\x98\x80\xE2\x82\xAC", 7), 2);
    CHECK_EQ_INT(core_utf8_invalid_at("abcdefghij\xFF", 11), 10);
    CHECK_EQ_INT(core_utf8_invalid_at("abcdefgh\xE2\x82", 10), 8);
}

int main(void)
{
    test_exhaustive();
    test_random();
    test_words();
    test_count();
    return t_done();
}
