/* tests/unit/test_rules_enum.c — the enum set against a linear search: random
 * value sets (lengths 0..12, so both the packed table of values up to 8 bytes
 * and the hashed one), every member found, random probes answered alike,
 * including probes that share a value's first and last bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/ctx.h"
#include "rules/rules.h"
#include "t.h"

static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static size_t make(uint32_t *x, char *buf, int alphabet)
{
    size_t n = rnd(x) % 13;
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet ? (char)('a' + rnd(x) % 3) : (char)(rnd(x) % 256);
    return n;
}

int main(void)
{
    uint32_t x = 12345;
    int bad = 0;
    for (int round = 0; round < 400; round++) {
        size_t want = 1 + rnd(&x) % 300;
        int alphabet = round % 2; /* a tiny alphabet makes near misses */
        rules_enum *e = rules_enum_new(want);
        CHECK(e != NULL);
        if (!e)
            return t_done();
        char vals[300][16];
        size_t lens[300], nv = 0;
        for (size_t i = 0; i < want; i++) {
            char b[16];
            size_t n = make(&x, b, alphabet);
            int r = rules_enum_add_as(e, b, n, b, n);
            bool dup = false;
            for (size_t k = 0; k < nv && !dup; k++)
                dup = lens[k] == n && memcmp(vals[k], b, n) == 0;
            if (r != (dup ? 0 : 1))
                bad++;
            if (!dup) {
                memcpy(vals[nv], b, n);
                lens[nv++] = n;
            }
        }
        for (size_t k = 0; k < nv; k++)
            bad += !rules_enum_has(e, vals[k], lens[k]);
        for (int probe = 0; probe < 2000; probe++) {
            char b[16];
            size_t n = make(&x, b, alphabet);
            bool in = false;
            for (size_t k = 0; k < nv && !in; k++)
                in = lens[k] == n && memcmp(vals[k], b, n) == 0;
            bad += rules_enum_has(e, b, n) != in;
        }
        rules_enum_free(e);
    }
    CHECK_EQ_INT(bad, 0);
    return t_done();
}
