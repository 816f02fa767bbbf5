/* engine/metrics.c — the run's totals as Prometheus metrics (--metrics), in
 * the text exposition format 0.0.4 that node_exporter's textfile collector
 * reads: every family has its # HELP and # TYPE lines, names start with
 * assay_, counters end in _total, label values are escaped (backslash,
 * double quote, line feed). The order is fixed (the rules' order), so two
 * runs over the same data write the same file but for the duration and the
 * time of the run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/machine_reports.h"

/* The text being built; the first failed append sticks. */
typedef struct mbuf {
    core_buf b;
    assay_status st;
} mbuf;

static void put(mbuf *m, const char *s, size_t n)
{
    if (!m->st)
        m->st = core_buf_append(&m->b, s, n);
}

static void puts_(mbuf *m, const char *s)
{
    put(m, s, strlen(s));
}

static void put_u(mbuf *m, uint64_t v)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    put(m, num, (size_t)n);
}

/* A label value: \ " and line feed escaped. */
static void label_value(mbuf *m, const char *s)
{
    puts_(m, "\"");
    for (const char *p = s; *p; p++) {
        size_t run = strcspn(p, "\\\"\n");
        put(m, p, run);
        p += run;
        if (!*p)
            break;
        puts_(m, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n");
    }
    puts_(m, "\"");
}

static void family(mbuf *m, const char *name, const char *type, const char *help)
{
    puts_(m, "# HELP ");
    puts_(m, name);
    puts_(m, " ");
    puts_(m, help);
    puts_(m, "\n# TYPE ");
    puts_(m, name);
    puts_(m, " ");
    puts_(m, type);
    puts_(m, "\n");
}

static void counter(mbuf *m, const char *name, const char *help, uint64_t v)
{
    family(m, name, "counter", help);
    puts_(m, name);
    puts_(m, " ");
    put_u(m, v);
    puts_(m, "\n");
}

static void violation(mbuf *m, const char *field, const char *rule, uint64_t n)
{
    puts_(m, "assay_violations_total{field=");
    label_value(m, field);
    puts_(m, ",rule=");
    label_value(m, rule);
    puts_(m, "} ");
    put_u(m, n);
    puts_(m, "\n");
}

/* Record-level series (field ""): the structural checks that fired, the
 * composite primary key, then every record rule. A record rule named like a
 * structural check shares its series (one series per label set). */
static void record_violations(mbuf *m, const eng_run *run)
{
    const eng_stats *s = &run->st;
    const char *name[ER_COUNT];
    uint64_t count[ER_COUNT];
    size_t n = 0;
    for (int r = ER_FIELD_RULES; r < ER_COUNT; r++)
        if (s->structural[r] && r != ER_RECORD_RULE) {
            name[n] = eng_rule_name((eng_rule)r);
            count[n++] = s->structural[r];
        }
    if (run->pk_keys) {
        name[n] = "primaryKey";
        count[n++] = s->structural[ER_PRIMARYKEY];
    }
    bool *merged = calloc(run->rules->nrules + 1, sizeof *merged);
    for (size_t k = 0; merged && k < run->rules->nrules; k++)
        for (size_t j = 0; j < n && !merged[k]; j++)
            if (strcmp(name[j], run->rules->rules[k].name) == 0) {
                count[j] += s->rule_viol[k];
                merged[k] = true;
            }
    if (!merged) {
        m->st = ASSAY_E_NOMEM;
        return;
    }
    for (size_t j = 0; j < n; j++)
        violation(m, "", name[j], count[j]);
    for (size_t k = 0; k < run->rules->nrules; k++)
        if (!merged[k])
            violation(m, "", run->rules->rules[k].name, s->rule_viol[k]);
    free(merged);
}

static void per_field(mbuf *m, const eng_run *run, const char *name, const char *help,
                      size_t which)
{
    family(m, name, "counter", help);
    for (size_t i = 0; i < run->rules->nfields; i++) {
        const eng_field_stats *fs = &run->st.fields[i];
        uint64_t v = which == 0 ? fs->missing : which == 1 ? fs->invalid : fs->cleaned;
        puts_(m, name);
        puts_(m, "{field=");
        label_value(m, run->rules->fields[i].name);
        puts_(m, "} ");
        put_u(m, v);
        puts_(m, "\n");
    }
}

static void gauge(mbuf *m, const char *name, const char *help, const char *value)
{
    family(m, name, "gauge", help);
    puts_(m, name);
    puts_(m, " ");
    puts_(m, value);
    puts_(m, "\n");
}

static bool thresholds_ok(const eng_run *run, bool *ok)
{
    eng_threshold *t = calloc(eng_threshold_max(run), sizeof *t);
    size_t n = 0;
    if (!t)
        return false;
    eng_thresholds(run, t, &n);
    *ok = true;
    for (size_t i = 0; i < n; i++)
        *ok &= t[i].ok;
    free(t);
    return true;
}

assay_status eng_write_metrics(eng_run *run, double secs)
{
    const eng_stats *s = &run->st;
    bool ok;
    if (!thresholds_ok(run, &ok))
        return ASSAY_E_NOMEM;
    mbuf mb = {.st = ASSAY_OK}, *b = &mb;
    core_buf_init(&mb.b, 0);
    counter(b, "assay_records_read_total", "Records read (passed plus quarantined).",
            s->read);
    counter(b, "assay_records_passed_total", "Records written to the output.", s->passed);
    counter(b, "assay_records_quarantined_total", "Records written to the quarantine.",
            s->quarantined);
    counter(b, "assay_records_cleaned_total",
            "Passing records with at least one value changed by cleaning.", s->cleaned);
    counter(b, "assay_records_skipped_total", "Blank rows skipped by policy (not read).",
            s->skipped);
    counter(b, "assay_records_unparsed_total",
            "Records with a structural problem (their values were not checked).",
            s->unparsed);
    counter(b, "assay_bytes_read_total", "Bytes of input read.", s->bytes);
    family(b, "assay_violations_total", "counter",
           "Violations by field and rule (record-level rules: field \"\").");
    for (size_t i = 0; i < run->rules->nfields; i++)
        for (int r = 0; r < ER_COUNT; r++) {
            uint64_t n = s->fields[i].violations[r];
            if (n || eng_field_declares(run, i, (eng_rule)r))
                violation(b, run->rules->fields[i].name, eng_rule_name((eng_rule)r), n);
        }
    record_violations(b, run);
    per_field(b, run, "assay_field_missing_total",
              "Values absent or a missing-value token, by field.", 0);
    per_field(b, run, "assay_field_invalid_total",
              "Records with an error-severity violation of the field.", 1);
    per_field(b, run, "assay_field_cleaned_total", "Values changed by cleaning, by field.",
              2);
    char v[64];
    snprintf(v, sizeof v, "%.10g", s->read ? (double)s->quarantined / (double)s->read : 0.0);
    gauge(b, "assay_quarantine_ratio", "Quarantined records over records read.", v);
    gauge(b, "assay_thresholds_ok",
          "1 when every threshold of the rules' policy held (exit code 0), else 0.",
          ok ? "1" : "0");
    snprintf(v, sizeof v, "%.6f", secs);
    gauge(b, "assay_run_duration_seconds", "Wall-clock duration of the run.", v);
    int64_t us = eng_report_clock(run);
    int64_t sec = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t frac = us - sec * 1000000;
    if (frac)
        snprintf(v, sizeof v, "%lld.%06lld", (long long)sec, (long long)frac);
    else
        snprintf(v, sizeof v, "%lld", (long long)sec);
    gauge(b, "assay_last_run_timestamp_seconds",
          "When the run ended, as Unix time (--now when given).", v);
    assay_status st = mb.st;
    if (!st)
        st = io_out_write(run->metrics_out, mb.b.data, mb.b.len);
    core_buf_free(&mb.b);
    return st;
}
