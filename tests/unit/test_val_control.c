/* test_val_control.c — val_control_at's word-at-a-time skip agrees with a
 * byte-by-byte reference on random text, at every alignment and length, and
 * on every byte value (and every C2 xx pair) at every position of every
 * length 0..64: the whole words, the overlapping last word and the gathered
 * short word each see it. */
#include <stdint.h>
#include <stdlib.h>

#include "t.h"
#include "validators/unicode.h"

static size_t reference(const unsigned char *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned c = u[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return i;
        if (c == 0x7F)
            return i;
        if (c == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F)
            return i;
    }
    return n;
}

int main(void)
{
    static const unsigned char alphabet[] = {'a', 'Z', ' ', '~', '\t', '\n', '\r', 0x00,
                                             0x07, 0x1F, 0x7F, 0xC2, 0x85, 0x9F, 0xA0,
                                             0xC3, 0xA9, 0xE2, 0x80, 0xFF};
    uint64_t seed = 42;
    unsigned char buf[80];
    int mismatches = 0;
    for (int round = 0; round < 200000; round++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = (size_t)(seed >> 58); /* 0..63 */
        size_t off = (size_t)(seed >> 40) % 8;
        int rare = (int)(seed >> 20) % 4; /* mostly printable ASCII, like real data */
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(seed >> 33);
            buf[off + i] = (r % 16 < (unsigned)rare) ? alphabet[r % sizeof alphabet]
                                                      : (unsigned char)(' ' + r % 95);
        }
        if (val_control_at((const char *)buf + off, n) != reference(buf + off, n))
            mismatches++;
    }
    CHECK_EQ_INT(mismatches, 0);
    int exhaustive = 0;
    for (size_t n = 0; n <= 64; n++)
        for (size_t off = 0; off < 8; off++)
            for (size_t pos = 0; pos < n; pos++)
                for (unsigned b = 0; b < 256; b++) {
                    for (size_t i = 0; i < n; i++)
                        buf[off + i] = (unsigned char)('!' + (i * 7) % 94);
                    buf[off + pos] = (unsigned char)b;
                    if (val_control_at((const char *)buf + off, n) != reference(buf + off, n))
                        exhaustive++;
                    if (pos + 1 < n) {
                        buf[off + pos] = 0xC2;
                        buf[off + pos + 1] = (unsigned char)b;
                        if (val_control_at((const char *)buf + off, n) !=
                            reference(buf + off, n))
                            exhaustive++;
                    }
                }
    CHECK_EQ_INT(exhaustive, 0);
    for (size_t n = 0; n <= 64; n++) { /* clean values of every length */
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(' ' + i % 95);
        CHECK_EQ_INT(val_control_at((const char *)buf, n), n);
    }
    CHECK_EQ_INT(val_control_at("abcdefghijklmnop\x07", 17), 16);
    CHECK_EQ_INT(val_control_at("abcdefgh\tijklmno", 16), 16);
    return t_done();
}
