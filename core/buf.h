/* core/buf.h — a growable byte buffer with a ceiling.
 *
 * Every buffer that grows with input has a limit: past it the append fails with
 * ASSAY_E_LIMIT and the caller decides (usually: quarantine the record). The
 * buffer owns its memory; core_buf_free releases it. */
#ifndef ASSAY_CORE_BUF_H
#define ASSAY_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"

typedef struct core_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit; /* 0: SIZE_MAX/2 */
} core_buf;

void core_buf_init(core_buf *b, size_t limit);
void core_buf_free(core_buf *b);
/* Ensures room for n more bytes. */
assay_status core_buf_reserve(core_buf *b, size_t n);
assay_status core_buf_append(core_buf *b, const void *p, size_t n);
assay_status core_buf_putc(core_buf *b, char c);
assay_status core_buf_puts(core_buf *b, const char *s);
/* printf-style append; output truncated only by the limit. */
assay_status core_buf_printf(core_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (with quotes). Bytes that are not valid
 * UTF-8 are written as \u00XX of the byte, so the result is always valid JSON. */
assay_status core_buf_json_str(core_buf *b, const char *s, size_t n);
/* Ensures data[len] == '\0' (not counted in len). */
assay_status core_buf_nul(core_buf *b);
static inline void core_buf_clear(core_buf *b) { b->len = 0; }

#endif
