/* tests/unit/test_val_date_util.h — building a field's formats in one call
 * and reading one value, for the date unit tests. */
#ifndef ASSAY_TESTS_VAL_DATE_UTIL_H
#define ASSAY_TESTS_VAL_DATE_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "tests/unit/t.h"
#include "validators/datefmt.h"
#include "validators/daterange.h"

/* 2024-03-05T10:11:12Z, a fixed clock for today/now. */
#define T_NOW_US (1709633472LL * 1000000LL)

typedef struct t_opts {
    const char *locale, *prefer, *output, *tz, *min, *max, *ts_format;
    int pivot;
} t_opts;

static char t_err[512];

/* The field's formats (NULL-terminated list, may be NULL); NULL when a
 * step failed (its message is in t_err). */
static inline val_datefmts *t_fmts(rules_type type, const char *const *formats, const t_opts *o)
{
    static const t_opts none;
    if (!o)
        o = &none;
    val_datefmts *df = val_datefmts_new(type);
    val_df_rc rc = VAL_DF_OK;
    t_err[0] = '\0';
    if (o->locale)
        rc = val_datefmts_locale(df, o->locale, strlen(o->locale), t_err, sizeof t_err);
    if (!rc && o->pivot)
        rc = val_datefmts_century_pivot(df, o->pivot, t_err, sizeof t_err);
    if (!rc && o->tz)
        rc = val_datefmts_timezone(df, o->tz, strlen(o->tz), t_err, sizeof t_err);
    if (!rc && o->ts_format)
        rc = val_datefmts_add_table_schema(df, o->ts_format, strlen(o->ts_format), t_err,
                                           sizeof t_err);
    for (size_t i = 0; !rc && formats && formats[i]; i++)
        rc = val_datefmts_add(df, formats[i], strlen(formats[i]), t_err, sizeof t_err);
    if (!rc && o->prefer)
        rc = val_datefmts_prefer(df, o->prefer, strlen(o->prefer), t_err, sizeof t_err);
    if (!rc && o->output)
        rc = val_datefmts_output(df, o->output, strlen(o->output), t_err, sizeof t_err);
    if (!rc && o->min)
        rc = val_datefmts_bound(df, false, o->min, strlen(o->min), t_err, sizeof t_err);
    if (!rc && o->max)
        rc = val_datefmts_bound(df, true, o->max, strlen(o->max), t_err, sizeof t_err);
    if (!rc)
        rc = val_datefmts_finish(df, t_err, sizeof t_err);
    if (rc) {
        val_datefmts_free(df);
        return NULL;
    }
    return df;
}

/* Parses s; *iso gets the value's ISO text (or "" when not OK). */
static inline val_date_status t_parse(val_date_worker *w, const char *s, char *iso, size_t cap,
                               val_date_result *out)
{
    val_date_result r;
    val_date_parse(w, s, strlen(s), &r);
    iso[0] = '\0';
    if (r.status == VAL_DATE_OK)
        val_dt_iso(&r.value, iso, cap);
    if (out)
        *out = r;
    return r.status;
}

#endif
