/* engine/record_rules.c — runs the plan's record rules (rules[]: check,
 * when/require) over a record whose field values are checked, and reports
 * each failing rule as one record-level violation with the values it read. */
#include <string.h>

#include "engine/engine.h"

/* A temporal value as record rules see it (days, microseconds, months). */
void eng_expr_temporal(expr_value *x, const struct eng_value *v)
{
    expr_value_from_dt(x, &v->dt);
}

static assay_status rule_violation(eng_run *run, size_t k, expr_result res)
{
    const rules_rule *rr = &run->rules->rules[k];
    core_buf *tmp = &run->annot; /* free between records */
    core_buf_clear(tmp);
    assay_status st = expr_rule_message(run->rules, k, res, run->xvals, tmp);
    if (!st)
        st = eng_add_violation(run, -1, ER_RECORD_RULE, rr->severity, NULL, 0, false,
                               "%.*s", (int)(tmp->len > 480 ? 480 : tmp->len),
                               tmp->data ? tmp->data : "");
    if (st)
        return st;
    eng_violation *v = &run->viol[run->nviol - 1];
    v->rule_index = k;
    v->counts_only = rr->mostly > 0;
    v->label = NULL;
    v->val_off = run->msgs.len;
    st = expr_rule_values(run->rules, k, run->xvals, &run->msgs);
    v->value_in_msgs = true;
    v->has_value = true;
    v->value_len = run->msgs.len - v->val_off;
    return st;
}

assay_status eng_check_rules(eng_run *run)
{
    const struct assay_rules *r = run->rules;
    assay_status st = ASSAY_OK;
    for (size_t k = 0; k < r->nrules && !st; k++) {
        const rules_rule *rr = &r->rules[k];
        expr_result res = expr_rule_eval(run->expr, k, run->xvals);
        /* Where `when` held: the base of a "mostly" fraction. */
        bool applied = res != EXPR_PASS || !rr->when ||
                       (rr->mostly > 0 && expr_eval_bool(run->expr, rr->when, run->xvals) == 1);
        run->st.rule_eval[k] += applied;
        if (res == EXPR_PASS)
            continue;
        run->st.rule_viol[k]++;
        st = rule_violation(run, k, res);
    }
    return st;
}
