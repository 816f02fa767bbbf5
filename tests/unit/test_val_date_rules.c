/* tests/unit/test_val_date_rules.c — the date keys of a rules file through
 * the loader: every lint message at its JSON path, and the compiled plan of
 * the benchmark rules and of a Table Schema descriptor. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assay/assay.h"
#include "tests/unit/test_val_date_util.h"

enum { E = ASSAY_DIAG_ERROR, W = ASSAY_DIAG_WARNING };

typedef struct want {
    int level;
    const char *path, *msg;
} want;

static void dump(const assay_diags *d)
{
    for (size_t i = 0; i < assay_diags_count(d); i++) {
        const assay_diag *g = assay_diags_get(d, i);
        fprintf(stderr, "    %s %d:%d %s: %s\n", g->level ? "warning" : "error",
                g->line, g->column, g->path, g->message);
    }
}

static void expect(const char *name, const char *fields, const want *w, size_t n)
{
    char text[4096];
    snprintf(text, sizeof text, "{\"fields\": [%s]}", fields);
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    assay_rules_load_buffer("t.json", text, strlen(text), d, &r);
    int bad = t_fail;
    CHECK_MSG(assay_diags_count(d) == n, "%s: %zu diagnostics, want %zu", name,
              assay_diags_count(d), n);
    for (size_t i = 0; i < n && i < assay_diags_count(d); i++) {
        const assay_diag *g = assay_diags_get(d, i);
        CHECK_MSG(g->level == (assay_diag_level)w[i].level, "%s[%zu]: level", name, i);
        CHECK_MSG(strcmp(g->path, w[i].path) == 0, "%s[%zu]: path %s, want %s", name, i,
                  g->path, w[i].path);
        CHECK_MSG(strcmp(g->message, w[i].msg) == 0, "%s[%zu]:\n  got  %s\n  want %s",
                  name, i, g->message, w[i].msg);
    }
    if (t_fail != bad)
        dump(d);
    assay_rules_free(r);
    assay_diags_free(d);
}

#define EXPECT(name, fields, ...)                                              \
    do {                                                                       \
        static const want w_[] = {__VA_ARGS__};                                \
        expect(name, fields, w_, sizeof w_ / sizeof w_[0]);                    \
    } while (0)
#define EXPECT_NONE(name, fields) expect(name, fields, NULL, 0)

static void test_lint(void)
{
    EXPECT_NONE("bench-like",
                "{\"name\": \"d\", \"type\": \"date\", \"formats\": [\"yyyy-MM-dd\", "
                "\"dd/MM/yyyy\", \"MM/dd/yyyy\", \"MMM d, yyyy\", "
                "\"yyyy-MM-dd'T'HH:mm:ss'Z'\"], \"output\": \"yyyy-MM-dd\", "
                "\"prefer\": \"first\", \"locale\": \"en_US_POSIX\", "
                "\"constraints\": {\"minimum\": \"2000-01-01\", \"maximum\": \"today\"}}");
    EXPECT("bad formats",
           "{\"name\": \"d\", \"type\": \"date\", \"formats\": [\"yyyy-MM-dd\", \"dd/MM/yy\", "
           "\"%d/%Q/%Y\", \"yyyy-MM\"], \"prefer\": \"MM/dd/yyyy\"}",
           {E, "$.fields[0].formats[1]",
            "yy (2-digit year) needs \"century_pivot\", the first year of the 100 that yy "
            "stands for (e.g. 1970: 70 is 1970, 69 is 2069)"},
           {E, "$.fields[0].formats[2]",
            "unknown strptime directive %Q; assay reads %Y %y %m %d %H %I %M %S %f %p %b "
            "%B %a %A %z %F %T %R %D %% (and %-m %-d %-H %-I %-M %-S)"},
           {E, "$.fields[0].formats[3]",
            "a date format needs the year, month and day (e.g. yyyy-MM-dd)"});
    EXPECT("prefer not in formats",
           "{\"name\": \"d\", \"type\": \"date\", \"formats\": [\"dd/MM/yyyy\"], "
           "\"prefer\": \"MM/dd/yyyy\"}",
           {E, "$.fields[0].prefer",
            "\"prefer\" names \"MM/dd/yyyy\", which is not one of the field's formats; "
            "expected \"first\" or a format exactly as listed"});
    EXPECT("output, timezone, locale, pivot",
           "{\"name\": \"d\", \"type\": \"date\", \"output\": \"yyyy-MM-dd HH:mm\", "
           "\"timezone\": \"Europe/Pariss\", \"locale\": \"zz\", \"century_pivot\": 9999}",
           {E, "$.fields[0].output",
            "output writes the hour, which a date value does not have"},
           {E, "$.fields[0].timezone",
            "unknown time zone \"Europe/Pariss\"; expected \"UTC\" or an IANA name such as "
            "\"Europe/Paris\" or \"America/New_York\""},
           {E, "$.fields[0].locale",
            "unknown locale \"zz\": ICU has no data for language \"zz\""},
           {E, "$.fields[0].century_pivot",
            "expected a year from 1 to 9900 for \"century_pivot\" (yy then reads years "
            "pivot..pivot+99), got 9999"});
    EXPECT("bounds",
           "{\"name\": \"d\", \"type\": \"date\", \"constraints\": {\"minimum\": \"yesterday\", "
           "\"maximum\": \"today+3q\"}},"
           "{\"name\": \"t\", \"type\": \"time\", \"constraints\": {\"maximum\": \"today\"}},"
           "{\"name\": \"y\", \"type\": \"year\", \"constraints\": {\"minimum\": 1900, "
           "\"maximum\": \"today\"}},"
           "{\"name\": \"p\", \"type\": \"duration\", \"constraints\": {\"maximum\": \"P1D\"}}",
           {E, "$.fields[0].constraints.minimum",
            "expected a date in ISO form (e.g. \"2024-01-31\"), or today / now with an "
            "optional offset such as \"today-30d\"; got \"yesterday\""},
           {E, "$.fields[0].constraints.maximum",
            "expected today or now, optionally followed by +N or -N and a unit "
            "(y m w d h min s), e.g. \"today-30d\"; got \"today+3q\""},
           {E, "$.fields[1].constraints.maximum",
            "a time field's relative bound is \"now\" (with an optional +-N h, min or s), "
            "not \"today\""},
           {W, "$.fields[3].constraints.maximum",
            "\"maximum\" on a duration field: not checked yet by assay; durations with "
            "years or months have no order"});
    EXPECT("format and formats",
           "{\"name\": \"d\", \"type\": \"date\", \"format\": \"%Y\", \"formats\": "
           "[\"yyyy-MM-dd\"]},"
           "{\"name\": \"e\", \"type\": \"date\", \"format\": \"dd/MM/yyyy\"},"
           "{\"name\": \"f\", \"type\": \"date\", \"formats\": []}",
           {E, "$.fields[0].format",
            "give either \"format\" (Table Schema: \"default\", \"any\" or one strptime "
            "pattern) or \"formats\", not both"},
           {E, "$.fields[1].format",
            "expected \"default\", \"any\" or a strptime pattern such as \"%Y-%m-%d\" for the "
            "format of a date field; ICU patterns go in \"formats\""},
           {E, "$.fields[2].formats",
            "expected at least one format in \"formats\" (or leave it out for ISO 8601)"});
    EXPECT("keys on other types",
           "{\"name\": \"s\", \"formats\": [\"yyyy\"], \"timezone\": \"UTC\"},"
           "{\"name\": \"p\", \"type\": \"duration\", \"formats\": [\"yyyy\"]}",
           {W, "$.fields[0].formats",
            "\"formats\" applies to date, time, datetime, year and yearmonth fields only; it "
            "is ignored on string fields"},
           {W, "$.fields[0].timezone",
            "\"timezone\" applies to date, time, datetime, year and yearmonth fields only; "
            "it is ignored on string fields"},
           {E, "$.fields[1].formats",
            "\"formats\" does not apply to duration fields; they are read as ISO 8601 "
            "durations (P1Y2M3DT4H5M6S)"});
    EXPECT_NONE("table schema forms",
                "{\"name\": \"a\", \"type\": \"date\", \"format\": \"default\"},"
                "{\"name\": \"b\", \"type\": \"date\", \"format\": \"any\"},"
                "{\"name\": \"c\", \"type\": \"date\", \"format\": \"%d/%m/%Y\"},"
                "{\"name\": \"d\", \"type\": \"datetime\", \"format\": \"%Y-%m-%dT%H:%M:%SZ\"},"
                "{\"name\": \"e\", \"type\": \"time\", \"format\": \"any\"},"
                "{\"name\": \"f\", \"type\": \"duration\", \"format\": \"default\"},"
                "{\"name\": \"g\", \"type\": \"yearmonth\"}, {\"name\": \"h\", \"type\": "
                "\"year\", \"constraints\": {\"minimum\": 1900}}");
}

static void test_plan(void)
{
    const char *shared = getenv("ASSAY_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/bench/orders.rules.json",
             shared ? shared : "../../../shared");
    if (access(path, R_OK) != 0) { /* a checkout without ../shared beside it */
        printf("skipped: %s not found\n", path);
        return;
    }
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    CHECK_MSG(assay_rules_load(path, d, &r) == ASSAY_OK, "%s", path);
    if (!r) {
        dump(d);
        assay_diags_free(d);
        return;
    }
    const rules_field *f = &r->fields[4];
    CHECK(f->type == RT_DATE && f->dates != NULL);
    CHECK_EQ_INT(val_datefmts_count(f->dates), 5);
    CHECK(strcmp(val_datefmts_name(f->dates, 3), "MMM d, yyyy") == 0);
    CHECK(val_datefmts_has_output(f->dates) && !val_datefmts_has_bounds(f->dates));
    val_date_worker *w = val_date_worker_new(f->dates, T_NOW_US);
    val_date_result res;
    char buf[VAL_DATE_TEXT_MAX];
    bool changed;
    val_date_parse(w, "03/04/2024", 10, &res);
    CHECK(res.status == VAL_DATE_OK && res.format == 1 && res.resolved && res.other == 2);
    size_t n = val_date_output(w, &res.value, "03/04/2024", 10, buf, sizeof buf, &changed);
    CHECK(changed);
    CHECK_EQ_MEM(buf, n, "2024-04-03");
    val_date_parse(w, "Mar 5, 2024", 11, &res);
    CHECK(res.status == VAL_DATE_OK && res.format == 3 && !res.resolved);
    val_date_parse(w, "2024-02-30", 10, &res);
    CHECK(res.status == VAL_DATE_INVALID);
    val_date_message(f->dates, &res, buf, sizeof buf);
    CHECK(strcmp(buf, "not a valid date in formats [yyyy-MM-dd, dd/MM/yyyy, MM/dd/yyyy, "
                      "MMM d, yyyy, yyyy-MM-dd'T'HH:mm:ss'Z']") == 0);
    val_date_worker_free(w);
    CHECK(r->fields[11].type == RT_DATETIME && r->fields[11].dates != NULL);
    CHECK(r->fields[0].dates == NULL);
    assay_rules_free(r);
    assay_diags_free(d);
}

int main(void)
{
    test_lint();
    test_plan();
    return t_done();
}
