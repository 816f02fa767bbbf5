/* validators/bounds.c — exact minimum/maximum checks (see bounds.h). */
#include "validators/bounds.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

bool val_bound_number(const rules_bound *b, val_dec *out)
{
    val_dec d;
    if (!b->set || b->is_string || !b->text)
        return false;
    if (!val_number_parse(b->text, b->len, &d) || d.kind != VAL_DEC_FINITE)
        return false;
    *out = d;
    return true;
}

/* One side of val_bounds_compile. */
static bool compile_one(const rules_bound *b, bool *has, val_dec *d, bool *is_int,
                        int64_t *i)
{
    *has = false;
    *is_int = false;
    if (!b->set)
        return true;
    if (!val_bound_number(b, d))
        return false;
    *has = true;
    *is_int = val_integer_parse(b->text, b->len, i);
    return true;
}

bool val_bounds_compile(const rules_field *f, val_bounds *out)
{
    memset(out, 0, sizeof *out);
    bool ok = compile_one(&f->minimum, &out->has_min, &out->min, &out->min_is_int,
                          &out->min_i);
    ok &= compile_one(&f->maximum, &out->has_max, &out->max, &out->max_is_int,
                      &out->max_i);
    return ok;
}

val_bound_result val_bounds_check_int(const val_bounds *b, int64_t v)
{
    if (b->has_min) {
        bool below = b->min_is_int ? v < b->min_i : val_int_dec_cmp(v, &b->min) < 0;
        if (below)
            return VAL_BOUND_BELOW_MIN;
    }
    if (b->has_max) {
        bool above = b->max_is_int ? v > b->max_i : val_int_dec_cmp(v, &b->max) > 0;
        if (above)
            return VAL_BOUND_ABOVE_MAX;
    }
    return VAL_BOUND_OK;
}

val_bound_result val_bounds_check_dec(const val_bounds *b, const val_dec *v)
{
    /* VAL_CMP_UNORDERED (NaN) is neither < 0 nor in [-1, 0]: it fails. */
    if (b->has_min) {
        int c = val_dec_cmp(v, &b->min);
        if (c != 0 && c != 1)
            return VAL_BOUND_BELOW_MIN;
    }
    if (b->has_max) {
        int c = val_dec_cmp(v, &b->max);
        if (c != 0 && c != -1)
            return VAL_BOUND_ABOVE_MAX;
    }
    return VAL_BOUND_OK;
}

const char *val_bound_rule(val_bound_result r)
{
    switch (r) {
    case VAL_BOUND_BELOW_MIN: return "minimum";
    case VAL_BOUND_ABOVE_MAX: return "maximum";
    case VAL_BOUND_OK: break;
    }
    return NULL;
}

size_t val_bound_message(const rules_field *f, val_bound_result r, char *buf,
                         size_t cap)
{
    const rules_bound *b = r == VAL_BOUND_BELOW_MIN ? &f->minimum : &f->maximum;
    const char *what = r == VAL_BOUND_BELOW_MIN ? "at least" : "at most";
    if (r == VAL_BOUND_OK || !b->set || !b->text) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    int len = b->len > INT_MAX / 2 ? INT_MAX / 2 : (int)b->len;
    int n = snprintf(buf, cap, "must be %s %.*s", what, len, b->text);
    return n < 0 ? 0 : (size_t)n;
}
