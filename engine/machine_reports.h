/* engine/machine_reports.h — the reports for machines beside the stats:
 * a JUnit XML report (--junit, engine/junit.c) and Prometheus metrics
 * (--metrics, engine/metrics.c).
 *
 * JUnit needs two things the statistics do not hold: the counts of each
 * input on its own, and the first few failing records of each check. The
 * counts are snapshots of the run's statistics taken after each input (the
 * parallel engine drained first). The records are "samples": where the
 * violations of a record are written (eng_write_violations) the record's
 * violations are noted into the current sink, at most ENG_SAMPLES_MAX per
 * check. Checking inline the sink is the input's own; a worker of the
 * parallel engine notes into its batch, and the ordered writer merges the
 * batches' samples into the input's in input order, so the samples are the
 * same for every -j. Nothing is done for a record without violations. */
#ifndef ASSAY_ENGINE_MACHINE_REPORTS_H
#define ASSAY_ENGINE_MACHINE_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define ENG_SAMPLES_MAX 5        /* failing records named per check */
#define ENG_SAMPLE_VALUE_MAX 80  /* bytes of a value kept */
#define ENG_SAMPLE_MSG_MAX 200   /* bytes of a message kept */

typedef struct eng_sample {
    size_t counter;          /* the check: eng_report_counter */
    uint64_t record, line;
    size_t off;              /* value then message, in eng_samples.text */
    uint32_t val_len, msg_len;
    bool has_value;
} eng_sample;

typedef struct eng_samples {
    eng_sample *v;
    size_t n, cap;
    core_buf text;
    uint8_t *seen;           /* per counter: samples kept */
    size_t ncounters;
} eng_samples;

/* What the checks are numbered by: (field + 1) * ER_COUNT + rule for field
 * and record-level rules (field -1), then one per record rule. */
size_t eng_report_ncounters(const struct assay_rules *r);
size_t eng_report_counter(const eng_run *run, const eng_violation *v);

assay_status eng_samples_init(eng_samples *s, const struct assay_rules *r);
void eng_samples_free(eng_samples *s);
void eng_samples_clear(eng_samples *s);
/* Notes the current record's violations (run->viol) into run->samples. */
assay_status eng_samples_note(eng_run *run, uint64_t record, uint64_t line);
/* Appends src's samples [a, z) to dst; each check keeps its first ones. */
assay_status eng_samples_merge(eng_samples *dst, const eng_samples *src, size_t a,
                               size_t z);

/* Per-input state of a run with --junit. */
typedef struct eng_reports {
    eng_samples *samples;    /* per input */
    eng_stats *st;           /* per input: its share of the run's counters */
    eng_stats prev;          /* the run's counters after the previous input */
    double *secs;            /* per input: seconds spent on it */
    int64_t *start_us;       /* per input: when it started (Unix microseconds) */
    size_t ndone;            /* inputs checked to their end */
} eng_reports;

/* Allocates run->reports (when --junit is given). */
assay_status eng_reports_setup(eng_run *run);
void eng_reports_free(eng_run *run);
/* Checks input k (eng_process_input) and takes its snapshot. */
assay_status eng_reports_input(eng_run *run, size_t k);
/* The samples sink of input in (the writer of the parallel engine). */
eng_samples *eng_reports_sink(eng_run *run, const eng_input *in);

/* Unix time in microseconds of the report: --now when given, else the
 * system clock. */
int64_t eng_report_clock(const eng_run *run);

/* Written at the end of the run to run->junit_out / run->metrics_out;
 * seconds: the run's duration. */
assay_status eng_write_junit(eng_run *run, double seconds);
assay_status eng_write_metrics(eng_run *run, double seconds);

#endif
