/* tests/unit/test_val_unicode_util.h — load a plan from JSON text and run a
 * field's clean list, for the tests of the Unicode cleaning steps. */
#ifndef ASSAY_TESTS_VAL_UNICODE_UTIL_H
#define ASSAY_TESTS_VAL_UNICODE_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "tests/unit/t.h"
#include "validators/clean.h"

static core_buf u_scratch;
static const char *u_out;
static size_t u_out_n;
static uint32_t u_changed;

/* Tests write JSON with ' for ": this turns them back. */
static inline void u_quotes(char *s)
{
    for (; *s; s++)
        if (*s == '\'')
            *s = '"';
}

/* The plan of {"fields": FIELDS}; NULL (and a failed check) when it does not
 * load. Warnings are counted into *warnings when not NULL. */
static inline assay_rules *u_load(const char *fields, size_t *warnings)
{
    size_t len = strlen(fields) + 32;
    char *text = malloc(len);
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    if (!text || !d) {
        free(text);
        assay_diags_free(d);
        return NULL;
    }
    snprintf(text, len, "{\"fields\": %s}", fields);
    u_quotes(text);
    assay_status st = assay_rules_load_buffer("t.json", text, strlen(text), d, &r);
    CHECK_MSG(st == ASSAY_OK, "rules do not load: %s", text);
    for (size_t i = 0; st && i < assay_diags_count(d); i++)
        fprintf(stderr, "    %s\n", assay_diags_get(d, i)->message);
    if (warnings)
        *warnings = assay_diags_count(d) - assay_diags_errors(d);
    free(text);
    assay_diags_free(d);
    return r;
}

/* The first diagnostic's message for {"fields": FIELDS} (static). */
static inline const char *u_first_diag(const char *fields, assay_status *st)
{
    static char msg[512];
    char text[2048];
    snprintf(text, sizeof text, "{\"fields\": %s}", fields);
    u_quotes(text);
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    *st = assay_rules_load_buffer("t.json", text, strlen(text), d, &r);
    msg[0] = '\0';
    if (d && assay_diags_count(d) > 0)
        snprintf(msg, sizeof msg, "%s", assay_diags_get(d, 0)->message);
    assay_rules_free(r);
    assay_diags_free(d);
    return msg;
}

/* Cleans (in, n) with field i of r through worker w. */
static inline void u_apply(const assay_rules *r, size_t i, val_clean_worker *w, const char *in,
                    size_t n)
{
    assay_status st = val_clean_apply_w(&r->fields[i], r, w, in, n, &u_scratch, &u_out,
                                        &u_out_n, &u_changed);
    CHECK_EQ_INT(st, ASSAY_OK);
}

/* Field i of r cleans in to want (C strings). */
#define U_CLEAN(r, i, w, in, want)                                             \
    do {                                                                       \
        u_apply((r), (i), (w), (in), strlen(in));                              \
        CHECK_EQ_MEM(u_out, u_out_n, (want));                                  \
        CHECK_MSG((u_changed != 0) == (strcmp((in), (want)) != 0),             \
                  "changed %u for \"%s\"", (unsigned)u_changed, (in));         \
    } while (0)

#endif
