/* tests/fuzz/fuzz_expr.c — any bytes as a record-rule expression.
 *
 * Compiled against a fixed set of fields of every type; an expression that
 * does not compile must give a column inside it (or just past its end) and a
 * message. One that compiles is evaluated on fixed records (all missing,
 * ordinary values, extreme values, values that failed their type); abort()
 * unless:
 *   - a true/false expression gives 1, 0 or -1 (null);
 *   - "!(E)" compiles too and gives the negation (null stays null);
 *   - "is_missing((E))" compiles and is 1 exactly when E is null. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "rules/expr.h"
#include "validators/expr_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const FIELDS =
    "{\"fields\": ["
    "{\"name\": \"s\"}, {\"name\": \"t\", \"type\": \"any\"},"
    "{\"name\": \"i\", \"type\": \"integer\"}, {\"name\": \"n\", \"type\": \"number\"},"
    "{\"name\": \"d\", \"type\": \"date\"}, {\"name\": \"e\", \"type\": \"date\"},"
    "{\"name\": \"b\", \"type\": \"boolean\"}, {\"name\": \"dt\", \"type\": \"datetime\"},"
    "{\"name\": \"tm\", \"type\": \"time\"}, {\"name\": \"ym\", \"type\": \"yearmonth\"},"
    "{\"name\": \"du\", \"type\": \"duration\"}, {\"name\": \"y\", \"type\": \"year\"},"
    "{\"name\": \"o\", \"type\": \"object\"}, {\"name\": \"a b\"},"
    "{\"name\": \"x.y.z\", \"type\": \"integer\"}]}";

enum { S, T, I, N, D, E, B, DT, TM, YM, DU, Y, O, AB, XYZ, NF };
enum { NRECS = 4 };

static assay_rules *plan;
static expr_state *st;
static expr_value recs[NRECS][NF];

static void str(expr_value *v, const char *s)
{
    *v = (expr_value){.kind = EXPR_V_STR, .text = s, .len = strlen(s)};
}

static void dec(expr_value *v, const char *s)
{
    *v = (expr_value){.kind = EXPR_V_DEC, .text = s, .len = strlen(s)};
    if (!val_number_parse(s, strlen(s), &v->u.d))
        abort();
}

static void fill(expr_value *r, int which)
{
    static const int64_t days[] = {0, 19787, INT64_C(1) << 40};
    static const char *const nums[] = {"0", "129.95", "-1234567890123456789012345.5"};
    static const char *const strs[] = {"", "Hello W\xc3\xb6rld", "\xf0\x9f\x98\x80x"};
    str(&r[S], strs[which]);
    str(&r[T], strs[2 - which]);
    str(&r[AB], "a b");
    r[I] = (expr_value){.kind = EXPR_V_INT, .u.i = which == 2 ? INT64_MIN : 42 * which};
    r[XYZ] = (expr_value){.kind = EXPR_V_INT, .u.i = which == 2 ? INT64_MAX : -7};
    dec(&r[N], nums[which]);
    r[D] = (expr_value){.kind = EXPR_V_DATE, .u.days = days[which]};
    r[E] = (expr_value){.kind = EXPR_V_DATE, .u.days = which == 2 ? -days[2] : 19700};
    r[B] = (expr_value){.kind = EXPR_V_BOOL, .u.b = which == 1};
    r[DT] = (expr_value){.kind = EXPR_V_DATETIME,
                         .u.micros = which == 2 ? INT64_MAX : 1709600000000000};
    r[TM] = (expr_value){.kind = EXPR_V_TIME, .u.micros = 3600000000LL * which};
    r[YM] = (expr_value){.kind = EXPR_V_YEARMONTH, .u.months = 24290 + which};
    r[DU] = (expr_value){.kind = EXPR_V_DURATION,
                         .u.dur = {which == 2 ? INT64_MAX : which,
                                   which == 2 ? INT64_MIN : 86400000000LL}};
    r[Y] = (expr_value){.kind = EXPR_V_INT, .u.i = 2024};
    r[O] = (expr_value){.kind = EXPR_V_OTHER};
}

static void setup(void)
{
    if (assay_rules_load_buffer("fuzz.json", FIELDS, strlen(FIELDS), NULL, &plan) ||
        !(st = expr_state_new(plan)))
        abort();
    expr_state_set_clock(st, 1709600000000000);
    for (int f = 0; f < NF; f++)
        recs[0][f] = (expr_value){.missing = true, .null = true};
    fill(recs[1], 0);
    fill(recs[2], 1);
    fill(recs[3], 2);
    recs[3][S] = (expr_value){.null = true, .text = "bad", .len = 3}; /* failed type */
}

static expr_error err;

static expr_prog *compile(const char *src, size_t n, bool want_bool)
{
    expr_prog *p = NULL;
    assay_status rc = rules_expr_compile(src, n, plan->fields, plan->nfields, want_bool,
                                         &p, &err);
    if (rc == ASSAY_E_NOMEM)
        abort();
    if ((rc == ASSAY_OK) != (p != NULL))
        abort();
    if (rc == ASSAY_E_RULES &&
        (err.col < 1 || err.col > core_utf8_count(src, n) + 1 || !err.msg[0]))
        abort();
    return p;
}

/* E wrapped as pre(E)post, when it fits. */
static expr_prog *wrapped(const char *pre, const uint8_t *data, size_t size,
                          const char *post)
{
    char buf[4096];
    size_t a = strlen(pre), b = strlen(post);
    if (a + size + b > sizeof buf)
        return NULL;
    memcpy(buf, pre, a);
    memcpy(buf + a, data, size);
    memcpy(buf + a + size, post, b);
    expr_prog *p = compile(buf, a + size + b, false);
    if (!p && !strstr(err.msg, "nests deeper"))
        abort(); /* E compiled, so this must, unless E was at the depth limit */
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!plan)
        setup();
    expr_prog *p = compile((const char *)data, size, false);
    if (!p)
        return 0;
    bool is_bool = p->nodes[p->root].type == XT_BOOL;
    expr_prog *neg = is_bool ? wrapped("!(", data, size, ")") : NULL;
    expr_prog *miss = wrapped("is_missing((", data, size, "))");
    for (int r = 0; r < NRECS; r++) {
        int v = expr_eval_bool(st, p, recs[r]);
        if (v < -1 || v > 1 || (!is_bool && v != -1))
            abort();
        if (neg && expr_eval_bool(st, neg, recs[r]) != (v == -1 ? -1 : !v))
            abort();
        if (miss) {
            int m = expr_eval_bool(st, miss, recs[r]);
            if (m != 0 && m != 1)
                abort();
            if (is_bool && m != (v == -1))
                abort();
        }
    }
    rules_expr_free(neg);
    rules_expr_free(miss);
    rules_expr_free(p);
    return 0;
}
