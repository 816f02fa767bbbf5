/* core/jsonmem.h — jansson's parsers, with an out-of-memory failure told
 * apart from a syntax error.
 *
 * jansson reports an allocation failure inside json_load* inconsistently:
 * often with an empty message, sometimes as a syntax error near the token it
 * could not store, rarely with json_error_out_of_memory. These wrappers route
 * jansson's allocator through a function that notes a failed allocation of
 * the calling thread, so that a failed parse caused by it sets *nomem (exit 3)
 * instead of being reported as invalid JSON (exit 2, or a record violation).
 *
 * The allocator is installed once per process and chains to the functions
 * that were installed before it (json_get_alloc_funcs), so a host program's
 * own jansson allocator keeps working. The assay command line installs one
 * first (cli/libmem.c) that ends the run with exit 3 when an allocation
 * fails, since jansson's own out-of-memory paths are not safe (an assert in
 * its lexer); *nomem is then seen only by other programs that link libassay. */
#ifndef ASSAY_CORE_JSONMEM_H
#define ASSAY_CORE_JSONMEM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Documents built with jansson's json_object_set_new, json_pack and the like
 * check few results; instead, the builder calls core_json_watch() first and
 * core_json_failed() once the document is dumped: true when any allocation
 * of jansson in this thread failed in between (a member may be missing), or
 * when core_json_note_nomem() was called (the builder's own allocation). */
void core_json_watch(void);
bool core_json_failed(void);
void core_json_note_nomem(void);

json_t *core_json_loadb(const char *text, size_t len, size_t flags, json_error_t *je,
                        bool *nomem);
json_t *core_json_loadf(FILE *fp, size_t flags, json_error_t *je, bool *nomem);
json_t *core_json_load_file(const char *path, size_t flags, json_error_t *je,
                            bool *nomem);

#endif
