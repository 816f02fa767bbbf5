/* tests/unit/test_rules_quote.c — rules_quote, which quotes a value in a
 * diagnostic without allocating (so that a message never degrades when
 * memory runs short), writes exactly what core_buf_json_str writes, cut
 * after 48 bytes with "..." before the closing quote. */
#include <stdlib.h>

#include "core/buf.h"
#include "rules/ctx.h"
#include "t.h"

/* The expected text: core_buf_json_str of the first `keep` bytes, and for a
 * cut value the closing quote replaced by ..." */
static void expect(const char *s, size_t keep, int cut, char *out, size_t cap)
{
    core_buf b;
    core_buf_init(&b, 0);
    if (core_buf_json_str(&b, s, keep) || core_buf_nul(&b)) {
        out[0] = '\0';
        core_buf_free(&b);
        return;
    }
    if (cut)
        b.data[b.len - 1] = '\0';
    snprintf(out, cap, "%s%s", b.data, cut ? "...\"" : "");
    core_buf_free(&b);
}

static void same(const char *s, size_t n)
{
    char got[512], want[512];
    size_t keep = n;
    int cut = n > 48;
    if (cut) {
        keep = 48;
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
            keep--;
    }
    expect(s, keep, cut, want, sizeof want);
    rules_quote(got, sizeof got, s, n);
    CHECK_MSG(strcmp(got, want) == 0, "got %s, want %s", got, want);
}

int main(void)
{
    static const char *const plain[] = {
        "", "yes", "a\"b", "back\\slash", "tab\there", "nl\ncr\r", "\x01\x1f\x7f",
        "caf\xc3\xa9", "bad \xff\xfe byte", "cut \xe2\x82", "\xf0\x9f\x98\x80 emoji",
    };
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        same(plain[i], strlen(plain[i]));
    same("nul\0inside", 10);

    /* Long values: cut at 48 bytes, never inside a character. */
    char longv[200];
    for (size_t k = 0; k < sizeof longv; k++)
        longv[k] = (char)('a' + k % 26);
    same(longv, 48);
    same(longv, 49);
    same(longv, sizeof longv);
    for (size_t at = 44; at < 52; at++) { /* a 3-byte character across the cut */
        memcpy(longv + at, "\xe2\x82\xac", 3);
        same(longv, sizeof longv);
        for (size_t k = at; k < at + 3; k++)
            longv[k] = 'x';
    }
    char ctl[60]; /* every byte escaped to six: the longest quote */
    memset(ctl, 0x01, sizeof ctl);
    same(ctl, sizeof ctl);

    /* A small buffer truncates, still NUL-terminated. */
    char tiny[6];
    rules_quote(tiny, sizeof tiny, "abcdefgh", 8);
    CHECK(strcmp(tiny, "\"abcd") == 0);
    return t_done();
}
