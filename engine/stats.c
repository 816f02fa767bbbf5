/* engine/stats.c — the run's counters as one value: allocated, zeroed and
 * added together (a parallel run sums its batches' counters in input order). */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

static size_t nformats(const rules_field *f)
{
    return f->dates ? val_datefmts_count(f->dates) : 0;
}

assay_status eng_stats_alloc(const struct assay_rules *r, eng_stats *s)
{
    memset(s, 0, sizeof *s);
    size_t n = r->nfields;
    s->fields = calloc(n ? n : 1, sizeof *s->fields);
    s->rule_viol = calloc(r->nrules + 1, sizeof *s->rule_viol);
    s->rule_eval = calloc(r->nrules + 1, sizeof *s->rule_eval);
    if (!s->fields || !s->rule_viol || !s->rule_eval)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (!r->fields[i].dates)
            continue;
        size_t nf = nformats(&r->fields[i]);
        s->fields[i].formats = calloc(nf ? nf : 1, sizeof *s->fields[i].formats);
        if (!s->fields[i].formats)
            goto nomem;
    }
    return ASSAY_OK;
nomem:
    /* All or nothing: the readers of the counters (thresholds, the summary)
     * test s->fields alone. */
    eng_stats_free(r, s);
    return ASSAY_E_NOMEM;
}

void eng_stats_free(const struct assay_rules *r, eng_stats *s)
{
    for (size_t i = 0; s->fields && i < r->nfields; i++)
        free(s->fields[i].formats);
    free(s->fields);
    free(s->rule_viol);
    free(s->rule_eval);
    memset(s, 0, sizeof *s);
}

void eng_stats_zero(const struct assay_rules *r, eng_stats *s)
{
    eng_stats keep = *s;
    memset(s, 0, sizeof *s);
    s->fields = keep.fields;
    s->rule_viol = keep.rule_viol;
    s->rule_eval = keep.rule_eval;
    for (size_t i = 0; i < r->nfields; i++) {
        uint64_t *formats = s->fields[i].formats;
        memset(&s->fields[i], 0, sizeof s->fields[i]);
        s->fields[i].formats = formats;
        if (formats)
            memset(formats, 0, nformats(&r->fields[i]) * sizeof *formats);
    }
    memset(s->rule_viol, 0, (r->nrules + 1) * sizeof *s->rule_viol);
    memset(s->rule_eval, 0, (r->nrules + 1) * sizeof *s->rule_eval);
}

/* dst += src, or dst -= src with sign < 0 (counters are unsigned: a record's
 * share taken out and put back in its corrected form nets out exactly). */
static void add(uint64_t *restrict dst, const uint64_t *restrict src, size_t n, int sign)
{
    if (sign < 0)
        for (size_t k = 0; k < n; k++)
            dst[k] -= src[k];
    else
        for (size_t k = 0; k < n; k++)
            dst[k] += src[k];
}

void eng_stats_add(const struct assay_rules *r, eng_stats *dst, const eng_stats *src,
                   int sign)
{
    uint64_t a[] = {src->read, src->passed, src->quarantined, src->cleaned, src->skipped,
                    src->unparsed, src->bytes, src->invalid_sequences};
    uint64_t *d[] = {&dst->read, &dst->passed, &dst->quarantined, &dst->cleaned,
                     &dst->skipped, &dst->unparsed, &dst->bytes, &dst->invalid_sequences};
    for (size_t k = 0; k < sizeof a / sizeof *a; k++)
        add(d[k], &a[k], 1, sign);
    add(dst->structural, src->structural, ER_COUNT, sign);
    for (size_t i = 0; i < r->nfields; i++) {
        eng_field_stats *df = &dst->fields[i];
        const eng_field_stats *sf = &src->fields[i];
        add(&df->missing, &sf->missing, 1, sign);
        add(&df->invalid, &sf->invalid, 1, sign);
        add(&df->cleaned, &sf->cleaned, 1, sign);
        add(&df->failed, &sf->failed, 1, sign);
        add(&df->ambiguous_resolved, &sf->ambiguous_resolved, 1, sign);
        add(df->violations, sf->violations, ER_COUNT, sign);
        if (df->formats && sf->formats)
            add(df->formats, sf->formats, nformats(&r->fields[i]), sign);
    }
    add(dst->rule_viol, src->rule_viol, r->nrules, sign);
    add(dst->rule_eval, src->rule_eval, r->nrules, sign);
}
