/* rules/jsonpos.h — where every value of a JSON text sits.
 *
 * jansson keeps positions only for syntax errors, so this small tokenizer walks
 * the same text and maps each JSON path ("$.fields[3].constraints.minimum") to
 * the line and column of its key (object members) and of its value, and to the
 * byte span of the value's source text (the exact digits of a number). Paths
 * are spelled by rules_path_key/rules_path_index, which the loader uses too, so
 * both sides agree. Lines and columns are 1-based; columns count code points,
 * as jansson's do. */
#ifndef ASSAY_RULES_JSONPOS_H
#define ASSAY_RULES_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"
#include "core/buf.h"

/* Paths deeper than this many keys and indexes are not recorded: the loader
 * never looks below it, and a deeply nested "x-" value must not cost memory. */
#define RULES_POS_MAX_DEPTH 8

typedef struct rules_pos {
    bool has_key;         /* an object member (else an array item or the root) */
    int key_line, key_col;
    int val_line, val_col;
    size_t val_off, val_len; /* the value's bytes in the text */
} rules_pos;

typedef struct rules_posmap rules_posmap;

/* Maps a JSON text that jansson accepted. A text the tokenizer cannot follow
 * gives a partial map (lookups then fail), never an error; only memory can
 * fail. */
assay_status rules_posmap_build(const char *text, size_t len, rules_posmap **out);
void rules_posmap_free(rules_posmap *m);
/* The entry for a path as spelled by rules_path_*, or NULL. */
const rules_pos *rules_posmap_find(const rules_posmap *m, const char *path, size_t n);

/* The path of the last key or value that starts before byte offset stop: names
 * where a syntax error happened. Writes "$" when nothing precedes it. */
assay_status rules_path_at(const char *text, size_t len, size_t stop, core_buf *out);

/* Append ".key" (or ["key"] when the key is not a plain name) / "[i]". */
assay_status rules_path_key(core_buf *b, const char *key, size_t n);
assay_status rules_path_index(core_buf *b, size_t i);

/* A strong 64-bit hash of bytes (FNV-1a, then a multiply-xorshift finish). */
uint64_t rules_hash(const void *p, size_t n);

#endif
