/* engine/scratch.c — what one thread needs to check records: its values,
 * violations and text buffers, and its own ICU, pcre2, cleaning, date and
 * expression state (none of these may be shared between threads). */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "io/json_reader.h"
#include "validators/clean.h"
#include "validators/locnum.h"
#include "validators/string.h"

assay_status eng_scratch_new(eng_run *run)
{
    const struct assay_rules *r = run->rules;
    size_t n = r->nfields;
    run->vals = calloc(n ? n : 1, sizeof *run->vals);
    run->dates = calloc(n ? n : 1, sizeof *run->dates);
    run->xvals = calloc(n ? n : 1, sizeof *run->xvals);
    run->md = val_match_data_new(r);
    run->mctx = val_match_context_new();
    run->locnum = val_locnum_worker_new();
    run->cleanw = val_clean_worker_new(r);
    run->expr = expr_state_new(r);
    run->viol = NULL;
    run->nviol = run->capviol = 0;
    run->edits = NULL;
    run->capedit = 0;
    run->jparse = NULL;
    run->outfields = NULL;
    run->capout = 0;
    core_buf_init(&run->msgs, 0);
    core_buf_init(&run->line, 0);
    core_buf_init(&run->pkkey, 0);
    core_buf_init(&run->annot, 0);
    core_buf_init(&run->jbuf, 0);
    if (!run->vals || !run->dates || !run->xvals || !run->md || !run->mctx || !run->locnum ||
        !run->cleanw || !run->expr)
        return ASSAY_E_NOMEM;
    expr_state_set_clock(run->expr, run->now_micros);
    for (size_t i = 0; i < n; i++) {
        const rules_field *f = &r->fields[i];
        core_buf_init(&run->vals[i].clean, 0);
        core_buf_init(&run->vals[i].key, 0);
        core_buf_init(&run->vals[i].plain, 0);
        if (f->dates && !(run->dates[i] = val_date_worker_new(f->dates, run->now_micros)))
            return ASSAY_E_NOMEM;
    }
    return ASSAY_OK;
}

void eng_scratch_free(eng_run *run)
{
    free(run->edits);
    run->edits = NULL;
    io_json_parser_free(run->jparse);
    run->jparse = NULL;
    for (size_t i = 0; i < run->rules->nfields; i++) {
        if (run->vals) {
            core_buf_free(&run->vals[i].clean);
            core_buf_free(&run->vals[i].key);
            core_buf_free(&run->vals[i].plain);
        }
        if (run->dates)
            val_date_worker_free(run->dates[i]);
    }
    free(run->vals);
    free(run->dates);
    free(run->xvals);
    free(run->viol);
    free(run->outfields);
    val_match_data_free(run->md);
    val_match_context_free(run->mctx);
    val_locnum_worker_free(run->locnum);
    val_clean_worker_free(run->cleanw);
    expr_state_free(run->expr);
    core_buf_free(&run->msgs);
    core_buf_free(&run->line);
    core_buf_free(&run->pkkey);
    core_buf_free(&run->annot);
    core_buf_free(&run->jbuf);
    run->vals = NULL;
    run->dates = NULL;
    run->xvals = NULL;
    run->viol = NULL;
    run->outfields = NULL;
    run->md = NULL;
    run->mctx = NULL;
    run->locnum = NULL;
    run->cleanw = NULL;
    run->expr = NULL;
}
