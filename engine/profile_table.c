/* engine/profile_table.c — the table `assay profile` prints on standard
 * output: one line per input, then one line per field, in columns that fit a
 * terminal of 110 columns (docs/profile.md explains every figure). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "engine/profile_int.h"
#include "io/decode.h"

enum { W_NAME = 18, W_TYPE = 8, W_FIT = 10, W_MISS = 7, W_DIST = 9, W_VAL = 14, W_TOP = 22 };

/* Appends text as one cell of width code points: control characters and
 * bytes that are not UTF-8 become '?', a longer text is cut with "…"; pad:
 * fill with spaces up to the width (then a space). */
static assay_status cell(core_buf *b, const char *p, size_t n, size_t width, bool pad)
{
    size_t cps = 0, i = 0;
    size_t total = 0;
    for (size_t k = 0; k < n; total++) {
        size_t s = core_utf8_seq(p + k, n - k);
        k += s ? s : 1;
    }
    bool cut = total > width;
    size_t keep = cut ? width - 1 : total;
    while (i < n && cps < keep) {
        unsigned char c = (unsigned char)p[i];
        size_t s = core_utf8_seq(p + i, n - i);
        if (s == 0 || c < 0x20 || c == 0x7F) {
            if (core_buf_putc(b, '?'))
                return ASSAY_E_NOMEM;
            i++;
        } else {
            if (core_buf_append(b, p + i, s))
                return ASSAY_E_NOMEM;
            i += s;
        }
        cps++;
    }
    if (cut) {
        if (core_buf_puts(b, "\xE2\x80\xA6"))
            return ASSAY_E_NOMEM;
        cps++;
    }
    while (pad && cps < width) {
        if (core_buf_putc(b, ' '))
            return ASSAY_E_NOMEM;
        cps++;
    }
    return pad && core_buf_putc(b, ' ') ? ASSAY_E_NOMEM : ASSAY_OK;
}

static assay_status cells(core_buf *b, const char *s, size_t width)
{
    return cell(b, s, strlen(s), width, true);
}

static void fmt_number(char *buf, size_t cap, double x, bool integer)
{
    if (integer && fabs(x) < 1e15)
        snprintf(buf, cap, "%.0f", x);
    else
        snprintf(buf, cap, "%.6g", x);
}

/* The min and max shown: numeric for a numeric field, temporal for a
 * temporal one, else the texts. */
static assay_status min_max(core_buf *b, const prof_field *f, const char *type)
{
    char lo[128], hi[128];
    bool integer = strcmp(type, "integer") == 0;
    int kind = strcmp(type, "date") == 0       ? PROF_DATE
               : strcmp(type, "datetime") == 0 ? PROF_DATETIME
               : strcmp(type, "time") == 0     ? PROF_TIME : -1;
    if ((integer || strcmp(type, "number") == 0) && f->ncount) {
        fmt_number(lo, sizeof lo, f->nmin, integer);
        fmt_number(hi, sizeof hi, f->nmax, integer);
    } else if (kind >= 0 && f->thas[kind]) {
        val_dt_iso(&f->tmin[kind], lo, sizeof lo);
        val_dt_iso(&f->tmax[kind], hi, sizeof hi);
    } else if (f->has_text) {
        assay_status st = cell(b, f->text_min, f->text_min_n, W_VAL, true);
        return st ? st : cell(b, f->text_max, f->text_max_n, W_VAL, true);
    } else {
        lo[0] = hi[0] = '\0';
    }
    assay_status st = cells(b, lo, W_VAL);
    return st ? st : cells(b, hi, W_VAL);
}

/* The share of the non-missing values the type reads: "100%" for the
 * inferred type; for a string column, the best other candidate when it
 * reads most values ("99.6% int": a few exceptions to look at). */
static void fits(char *buf, size_t cap, const prof_field *f, const char *type)
{
    uint64_t present = f->count - f->missing;
    buf[0] = '\0';
    if (!present)
        return;
    if (strcmp(type, "string") != 0) {
        snprintf(buf, cap, "100%%");
        return;
    }
    static const char *const names[] = {"int", "num", "bool", "date", "dtime", "time"};
    uint64_t counts[6] = {f->t_int, f->t_num, f->t_bool, 0, 0, 0};
    for (int k = 0; k < PROF_KINDS && k < 3; k++)
        counts[3 + k] = f->t_kind[k];
    size_t best = 0;
    for (size_t k = 1; k < 6; k++)
        if (counts[k] > counts[best])
            best = k;
    double share = 100.0 * (double)counts[best] / (double)present;
    if (share >= 50.0)
        snprintf(buf, cap, "%.1f%% %s", share >= 99.95 && counts[best] < present ? 99.9 : share,
                 names[best]);
}

static assay_status field_line(core_buf *b, const prof_field *f)
{
    const char *type = prof_field_inferred(f);
    char miss[32], dist[32], count[32];
    uint64_t present = f->count - f->missing;
    if (f->count)
        snprintf(miss, sizeof miss, "%.1f%%", 100.0 * (double)f->missing / (double)f->count);
    else
        snprintf(miss, sizeof miss, "-");
    snprintf(dist, sizeof dist, "%s%" PRIu64, stats_distinct_exact(f->distinct) ? "" : "~",
             stats_distinct_estimate(f->distinct));
    assay_status st = cell(b, f->name, f->name_len, W_NAME, true);
    char fit[32];
    fits(fit, sizeof fit, f, type);
    if (!st)
        st = cells(b, present ? type : "empty", W_TYPE);
    if (!st)
        st = core_buf_printf(b, "%*s %*s %*s ", W_FIT, fit, W_MISS, miss, W_DIST, dist);
    if (!st)
        st = min_max(b, f, type);
    stats_topk_item top;
    /* a top value is shown when it surely occurs more than once */
    if (!st && stats_topk_list(f->top, &top, 1) == 1 && top.count - top.error >= 2) {
        st = cell(b, top.value, top.len, W_TOP - 9, false);
        snprintf(count, sizeof count, " (%s%" PRIu64 ")", stats_topk_exact(f->top) ? "" : "~",
                 top.count);
        if (!st)
            st = core_buf_puts(b, count);
    }
    /* no trailing blanks */
    while (!st && b->len && b->data[b->len - 1] == ' ')
        b->len--;
    return st ? st : core_buf_putc(b, '\n');
}

static assay_status input_line(core_buf *b, const prof_run *run, size_t k)
{
    const eng_input *in = &run->inputs[k];
    const prof_input *pi = &run->pin[k];
    const io_decoding *d = io_decode_info(in->dec);
    assay_status st = core_buf_printf(
        b, "%s: %" PRIu64 " record%s, %" PRIu64 " bytes, %s, %s (%s)",
        eng_is_stdin(in->name) ? "standard input" : in->name, pi->records,
        pi->records == 1 ? "" : "s", pi->bytes, eng_format_name(run->fmt), d->name,
        io_decided_by_name(d->decided_by));
    if (!st && pi->ragged)
        st = core_buf_printf(b, ", %" PRIu64 " ragged", pi->ragged);
    if (!st && pi->blank)
        st = core_buf_printf(b, ", %" PRIu64 " blank", pi->blank);
    if (!st && pi->unparsed)
        st = core_buf_printf(b, ", %" PRIu64 " unparsed", pi->unparsed);
    return st ? st : core_buf_putc(b, '\n');
}

assay_status prof_table(prof_run *run, io_out *o)
{
    core_buf b;
    core_buf_init(&b, 0);
    assay_status st = ASSAY_OK;
    for (size_t k = 0; !st && k < run->ninputs; k++)
        st = input_line(&b, run, k);
    if (!st)
        st = core_buf_printf(&b, "\n%-*s %-*s %*s %*s %*s %-*s %-*s %s\n", W_NAME, "field",
                             W_TYPE, "type", W_FIT, "fits", W_MISS, "missing", W_DIST,
                             "distinct", W_VAL, "min", W_VAL, "max", "top value (count)");
    bool sampled = false;
    for (size_t i = 0; !st && i < run->nfields; i++) {
        st = field_line(&b, &run->fields[i]);
        sampled |= run->fields[i].top_seen < run->fields[i].count - run->fields[i].missing;
    }
    if (!st && run->fields_dropped)
        st = core_buf_printf(&b, "(%" PRIu64 " values of fields past the first %d were "
                             "left out)\n", run->fields_dropped, PROF_MAX_FIELDS);
    if (!st && sampled)
        st = core_buf_printf(&b, "(top values counted over the first %" PRIu64 " records; "
                             "~: estimated)\n", run->ctx.top_after);
    if (!st && b.len && io_out_write(o, b.data, b.len))
        st = io_out_error(o, run->err);
    core_buf_free(&b);
    if (st == ASSAY_E_NOMEM && !run->err->message[0])
        snprintf(run->err->message, sizeof run->err->message, "out of memory");
    return st;
}
