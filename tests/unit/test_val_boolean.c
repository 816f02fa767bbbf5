/* tests/unit/test_val_boolean.c — Table Schema booleans (validators/boolean.h). */
#include <string.h>

#include "tests/unit/t.h"
#include "validators/boolean.h"

static int parse(const char *s, const rules_field *f)
{
    return val_boolean_parse(s, strlen(s), f);
}

int main(void)
{
    rules_field f;
    memset(&f, 0, sizeof f);
    const char *yes[] = { "true", "True", "TRUE", "1" };
    const char *no[] = { "false", "False", "FALSE", "0" };
    const char *neither[] = { "", "tRUE", "yes", "t", "01", "1.0", " true", "true ",
                              "+1", "-0", "FaLsE", "no", "2" };
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ_INT(parse(yes[i], &f), 1);
        CHECK_EQ_INT(parse(no[i], &f), 0);
        CHECK_EQ_INT(parse(yes[i], NULL), 1);
    }
    for (size_t i = 0; i < sizeof neither / sizeof *neither; i++)
        CHECK_MSG(parse(neither[i], &f) == -1, "\"%s\"", neither[i]);
    CHECK_EQ_INT(val_boolean_parse("true\0", 5, &f), -1);
    CHECK_EQ_INT(val_boolean_parse("1", 0, &f), -1);

    /* The field's own lists replace the defaults, each on its own. */
    char *t[] = { "yes", "Y" };
    f.true_values = t;
    f.ntrue = 2;
    CHECK_EQ_INT(parse("yes", &f), 1);
    CHECK_EQ_INT(parse("Y", &f), 1);
    CHECK_EQ_INT(parse("true", &f), -1);
    CHECK_EQ_INT(parse("1", &f), -1);
    CHECK_EQ_INT(parse("false", &f), 0); /* falseValues still default */
    char *n[] = { "no", "yes" };
    f.false_values = n;
    f.nfalse = 2;
    CHECK_EQ_INT(parse("no", &f), 0);
    CHECK_EQ_INT(parse("false", &f), -1);
    CHECK_EQ_INT(parse("yes", &f), 1); /* in both lists: true */
    f.ntrue = 0;                       /* an empty list is a list */
    CHECK_EQ_INT(parse("yes", &f), 0);
    CHECK_EQ_INT(parse("Y", &f), -1);
    return t_done();
}
