/* core/jsonmem.c — see jsonmem.h. */
#include "core/jsonmem.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

static json_malloc_t core_json_prev_malloc;

/* Per thread: a jansson allocation of this thread failed since the last
 * reset. Thread-local, so concurrent parses never see each other's state. */
static _Thread_local bool core_json_failed_flag;

static void *core_json_malloc(size_t n)
{
    void *p = core_json_prev_malloc ? core_json_prev_malloc(n) : malloc(n);
    if (!p)
        core_json_failed_flag = true;
    return p;
}

static pthread_once_t core_json_once = PTHREAD_ONCE_INIT;

static void core_json_install(void)
{
    json_malloc_t m = NULL;
    json_free_t f = NULL;
    json_get_alloc_funcs(&m, &f);
    core_json_prev_malloc = m;
    json_set_alloc_funcs(core_json_malloc, f ? f : free);
}

static void core_json_begin(void)
{
    (void)pthread_once(&core_json_once, core_json_install);
    core_json_failed_flag = false;
}

void core_json_watch(void)
{
    core_json_begin();
}

bool core_json_failed(void)
{
    return core_json_failed_flag;
}

void core_json_note_nomem(void)
{
    core_json_failed_flag = true;
}

static json_t *core_json_end(json_t *root, json_error_t *je, bool *nomem)
{
    *nomem = !root && (core_json_failed_flag || json_error_code(je) == json_error_out_of_memory);
    return root;
}

json_t *core_json_loadb(const char *text, size_t len, size_t flags, json_error_t *je,
                        bool *nomem)
{
    core_json_begin();
    return core_json_end(json_loadb(text, len, flags, je), je, nomem);
}

json_t *core_json_loadf(FILE *fp, size_t flags, json_error_t *je, bool *nomem)
{
    core_json_begin();
    return core_json_end(json_loadf(fp, flags, je), je, nomem);
}

json_t *core_json_load_file(const char *path, size_t flags, json_error_t *je,
                            bool *nomem)
{
    core_json_begin();
    json_t *root = core_json_end(json_load_file(path, flags, je), je, nomem);
    /* fopen's own allocation: not jansson's, but the same out of memory. */
    if (!root && json_error_code(je) == json_error_cannot_open_file && errno == ENOMEM)
        *nomem = true;
    return root;
}
