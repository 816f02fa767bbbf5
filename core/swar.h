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

/* Bytes of w below c, for c <= 0x80 (bytes >= 0x80 never count). */
static inline uint64_t core_swar_lt(uint64_t w, unsigned char c)
{
    uint64_t t = (w & CORE_SWAR_LOW7) + CORE_SWAR_ONES * (unsigned char)(0x80 - c);
    return ~(t | w) & CORE_SWAR_HIGH;
}

/* The index (0..7) of the first byte a non-zero mask marks. */
static inline size_t core_swar_first(uint64_t m)
{
    return (size_t)__builtin_ctzll(m) >> 3;
}

#endif
