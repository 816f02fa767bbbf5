/* validators/boolean.c — Table Schema booleans (see boolean.h). */
#include "validators/boolean.h"

#include <stdbool.h>
#include <string.h>

static const char *const default_true[] = { "true", "True", "TRUE", "1" };
static const char *const default_false[] = { "false", "False", "FALSE", "0" };

static bool in_list(const char *p, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(list[i]);
        if (len == n && memcmp(list[i], p, n) == 0)
            return true;
    }
    return false;
}

int val_boolean_parse(const char *p, size_t n, const rules_field *f)
{
    bool own_true = f && f->true_values;
    bool own_false = f && f->false_values;
    if (own_true ? in_list(p, n, (const char *const *)f->true_values, f->ntrue)
                 : in_list(p, n, default_true, 4))
        return 1;
    if (own_false ? in_list(p, n, (const char *const *)f->false_values, f->nfalse)
                  : in_list(p, n, default_false, 4))
        return 0;
    return -1;
}
