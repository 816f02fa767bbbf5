/* core/swar.h — eight bytes at a time in a plain 64-bit word ("SIMD within a
 * register"), for the scans of the per-record hot path.
 *
 * Masks have bit 7 of byte k set when byte k matches, exactly: no false
 * positives in any byte, so every set bit may be used (not only the first).
 * Byte k of a word is the k-th byte in memory on a little-endian machine;
 * CORE_SWAR_LE says whether that holds, and callers that turn a mask into a
 * position keep a byte-by-byte path for other machines. */
#ifndef ASSAY_CORE_SWAR_H
#define ASSAY_CORE_SWAR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CORE_SWAR_LE 1
#else
#define CORE_SWAR_LE 0
#endif

#define CORE_SWAR_ONES 0x0101010101010101ULL
#define CORE_SWAR_HIGH 0x8080808080808080ULL
#define CORE_SWAR_LOW7 0x7F7F7F7F7F7F7F7FULL

static inline uint64_t core_swar_load(const void *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Bytes of w equal to c. */
static inline uint64_t core_swar_eq(uint64_t w, unsigned char c)
{
    uint64_t t = w ^ (CORE_SWAR_ONES * c);
    return ~(((t & CORE_SWAR_LOW7) + CORE_SWAR_LOW7) | t) & CORE_SWAR_HIGH;
}

/* Bytes of w equal to the byte repeated in cc (CORE_SWAR_ONES * c). */
static inline uint64_t core_swar_eq_word(uint64_t w, uint64_t cc)
{
    uint64_t t = w ^ cc;
    return ~(((t & CORE_SWAR_LOW7) + CORE_SWAR_LOW7) | t) & CORE_SWAR_HIGH;
}

/* core_swar_eq_word for a word with no byte >= 0x80, in fewer operations:
 * 0x80 - (b ^ c) keeps bit 7 only when b == c, and never borrows. */
static inline uint64_t core_swar_eq_ascii(uint64_t w, uint64_t cc)
{
    return (CORE_SWAR_HIGH - (w ^ cc)) & CORE_SWAR_HIGH;
}

/* Non-zero exactly when some byte of w equals the byte repeated in cc, and
 * its first marked byte is the first that does; bytes after a matching one
 * may be marked wrongly (the borrow), so use it only for those two. */
static inline uint64_t core_swar_has_word(uint64_t w, uint64_t cc)
{
    uint64_t t = w ^ cc;
    return (t - CORE_SWAR_ONES) & ~t & CORE_SWAR_HIGH;
}

/* Bytes of w below c, for c <= 0x80 (bytes >= 0x80 never count). */
static inline uint64_t core_swar_lt(uint64_t w, unsigned char c)
{
    uint64_t t = (w & CORE_SWAR_LOW7) + CORE_SWAR_ONES * (unsigned char)(0x80 - c);
    return ~(t | w) & CORE_SWAR_HIGH;
}

/* Bytes of w below 0x20 or above 0x7E: controls, DEL and every byte of a
 * multi-byte UTF-8 sequence (bit 7 of w itself). */
static inline uint64_t core_swar_unprintable(uint64_t w)
{
    uint64_t t = w & CORE_SWAR_LOW7;
    return (w | (t + CORE_SWAR_ONES) | ~(t + CORE_SWAR_ONES * 0x60)) & CORE_SWAR_HIGH;
}

/* Like core_swar_unprintable, one operation shorter, for a yes/no and the
 * first byte: non-zero exactly when w holds an unprintable byte, and its
 * first marked byte is the first one; bytes after a byte >= 0x80 may be
 * marked wrongly (the additions carry out of such a byte only). */
static inline uint64_t core_swar_unprintable_lead(uint64_t w)
{
    return (w | (w + CORE_SWAR_ONES) | ~(w + CORE_SWAR_ONES * 0x60)) & CORE_SWAR_HIGH;
}

/* The bits of a mask below the first byte a mask m marks (all bits when m
 * is 0): m's first byte and those after it are cleared. */
static inline uint64_t core_swar_before(uint64_t m)
{
    return (m & (0 - m)) - 1;
}

/* The index (0..7) of the first byte a non-zero mask marks. */
static inline size_t core_swar_first(uint64_t m)
{
    return (size_t)((unsigned)__builtin_ctzll(m) >> 3);
}

#endif
