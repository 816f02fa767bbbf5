/* engine/junit.c — the JUnit XML report (--junit): one test suite per input,
 * one test case per check the rules define (and per structural check that
 * fired), failing when records broke it; a last suite holds the policy's
 * thresholds. Built with libxml2's tree API, so every name and value from the
 * data is escaped by the library; text that XML 1.0 cannot hold (control
 * characters, bytes that are not UTF-8) is written as \xNN first.
 *
 * Also the per-input state the report needs (engine/machine_reports.h): the
 * snapshots of the counters after each input and the first failing records
 * of each check. */
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"
#include "engine/machine_reports.h"

/* ---- samples: the first failing records of each check ------------------ */

size_t eng_report_ncounters(const struct assay_rules *r)
{
    return (r->nfields + 1) * ER_COUNT + r->nrules;
}

size_t eng_report_counter(const eng_run *run, const eng_violation *v)
{
    if (v->rule == ER_RECORD_RULE)
        return (run->rules->nfields + 1) * ER_COUNT + v->rule_index;
    return (size_t)(v->field + 1) * ER_COUNT + v->rule;
}

assay_status eng_samples_init(eng_samples *s, const struct assay_rules *r)
{
    memset(s, 0, sizeof *s);
    core_buf_init(&s->text, 0);
    s->ncounters = eng_report_ncounters(r);
    s->seen = calloc(s->ncounters, 1);
    return s->seen ? ASSAY_OK : ASSAY_E_NOMEM;
}

void eng_samples_free(eng_samples *s)
{
    free(s->v);
    free(s->seen);
    core_buf_free(&s->text);
    memset(s, 0, sizeof *s);
}

void eng_samples_clear(eng_samples *s)
{
    s->n = 0;
    core_buf_clear(&s->text);
    if (s->seen)
        memset(s->seen, 0, s->ncounters);
}

/* At most max bytes of p[0..n), not cutting a UTF-8 sequence in half. */
static size_t cut(const char *p, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t m = max;
    while (m > 0 && ((unsigned char)p[m] & 0xC0) == 0x80)
        m--;
    return m;
}

static assay_status push(eng_samples *s, const eng_sample *proto, const char *val,
                         const char *msg)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        eng_sample *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return ASSAY_E_NOMEM;
        s->v = v;
        s->cap = cap;
    }
    eng_sample *d = &s->v[s->n];
    *d = *proto;
    d->off = s->text.len;
    if (core_buf_append(&s->text, val, d->val_len) ||
        core_buf_append(&s->text, msg, d->msg_len))
        return ASSAY_E_NOMEM;
    s->seen[d->counter]++;
    s->n++;
    return ASSAY_OK;
}

assay_status eng_samples_note(eng_run *run, uint64_t record, uint64_t line)
{
    eng_samples *s = run->samples;
    for (size_t k = 0; k < run->nviol; k++) {
        const eng_violation *v = &run->viol[k];
        eng_sample smp = {.counter = eng_report_counter(run, v), .record = record,
                          .line = line, .has_value = v->has_value};
        if (smp.counter >= s->ncounters || s->seen[smp.counter] >= ENG_SAMPLES_MAX)
            continue;
        const char *val = v->has_value ? eng_viol_value(run, v) : "";
        size_t vn = v->has_value ? cut(val, v->value_len, ENG_SAMPLE_VALUE_MAX) : 0;
        const char *msg = run->msgs.data + v->msg_off;
        smp.val_len = (uint32_t)vn;
        smp.msg_len = (uint32_t)cut(msg, v->msg_len, ENG_SAMPLE_MSG_MAX);
        assay_status st = push(s, &smp, val, msg);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

assay_status eng_samples_merge(eng_samples *dst, const eng_samples *src, size_t a,
                               size_t z)
{
    for (size_t i = a; i < z && i < src->n; i++) {
        const eng_sample *smp = &src->v[i];
        if (dst->seen[smp->counter] >= ENG_SAMPLES_MAX)
            continue;
        const char *val = src->text.data + smp->off;
        assay_status st = push(dst, smp, val, val + smp->val_len);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

/* ---- per-input state ---------------------------------------------------- */

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t eng_report_clock(const eng_run *run)
{
    if (run->opts->now)
        return run->now_micros;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

assay_status eng_reports_setup(eng_run *run)
{
    size_t n = run->ninputs ? run->ninputs : 1;
    eng_reports *rep = calloc(1, sizeof *rep);
    if (!rep)
        return ASSAY_E_NOMEM;
    run->reports = rep;
    rep->samples = calloc(n, sizeof *rep->samples);
    rep->st = calloc(n, sizeof *rep->st);
    rep->secs = calloc(n, sizeof *rep->secs);
    rep->start_us = calloc(n, sizeof *rep->start_us);
    if (!rep->samples || !rep->st || !rep->secs || !rep->start_us)
        return ASSAY_E_NOMEM;
    return eng_stats_alloc(run->rules, &rep->prev);
}

void eng_reports_free(eng_run *run)
{
    eng_reports *rep = run->reports;
    if (!rep)
        return;
    for (size_t k = 0; k < run->ninputs; k++) {
        if (rep->samples)
            eng_samples_free(&rep->samples[k]);
        if (rep->st)
            eng_stats_free(run->rules, &rep->st[k]);
    }
    eng_stats_free(run->rules, &rep->prev);
    free(rep->samples);
    free(rep->st);
    free(rep->secs);
    free(rep->start_us);
    free(rep);
    run->reports = NULL;
    run->samples = NULL;
}

eng_samples *eng_reports_sink(eng_run *run, const eng_input *in)
{
    return &run->reports->samples[in - run->inputs];
}

assay_status eng_reports_input(eng_run *run, size_t k)
{
    eng_reports *rep = run->reports;
    const struct assay_rules *r = run->rules;
    if (eng_samples_init(&rep->samples[k], r) || eng_stats_alloc(r, &rep->st[k]))
        return ASSAY_E_NOMEM;
    double t0 = mono_seconds();
    rep->start_us[k] = eng_report_clock(run);
    run->samples = &rep->samples[k];
    assay_status st = eng_process_input(run, &run->inputs[k], k);
    if (!st && run->pipe) /* every record of this input counted */
        st = eng_pipe_drain(run);
    run->samples = NULL;
    if (st)
        return st;
    eng_stats *s = &rep->st[k];
    eng_stats_add(r, s, &run->st, 1);
    eng_stats_add(r, s, &rep->prev, -1);
    eng_stats_add(r, &rep->prev, s, 1);
    rep->secs[k] = mono_seconds() - t0;
    rep->ndone = k + 1;
    return ASSAY_OK;
}

/* ---- XML text ---------------------------------------------------------- */

/* Appends p[0..n) as text XML 1.0 can hold: control characters other than
 * tab and line ends, U+FFFE/U+FFFF and bytes that are not UTF-8 become \xNN
 * (or \uFFFE). */
static assay_status xml_text(core_buf *b, const char *p, size_t n)
{
    size_t i = 0;
    assay_status st = ASSAY_OK;
    while (i < n && !st) {
        unsigned char c = (unsigned char)p[i];
        size_t len = core_utf8_seq(p + i, n - i);
        bool bad = len == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r');
        if (len == 3 && c == 0xEF && (unsigned char)p[i + 1] == 0xBF &&
            (unsigned char)p[i + 2] >= 0xBE) {
            st = core_buf_puts(b, (unsigned char)p[i + 2] == 0xBE ? "\\uFFFE" : "\\uFFFF");
            i += 3;
            continue;
        }
        if (bad) {
            st = core_buf_printf(b, "\\x%02X", c);
            i++;
            continue;
        }
        st = core_buf_append(b, p + i, len);
        i += len;
    }
    return st;
}

/* A libxml2 string of p[0..n), sanitised (valid until the next call on b). */
static const xmlChar *xs(core_buf *b, const char *p, size_t n)
{
    core_buf_clear(b);
    if (xml_text(b, p, n) || core_buf_nul(b))
        return NULL;
    return (const xmlChar *)b->data;
}

/* A failed append to w's buffers marks the report failed. */
#define T(call) do { if (call) w->ok = false; } while (0)

typedef struct jw {
    eng_run *run;
    core_buf tmp, text, name;
    bool ok;                 /* no allocation failed */
    eng_threshold *thr;
    size_t nthr;
    uint64_t tests, failures, skipped;
} jw;

static void prop(jw *w, xmlNodePtr node, const char *name, const char *value)
{
    const xmlChar *v = xs(&w->tmp, value, strlen(value));
    if (!node || !v || !xmlNewProp(node, (const xmlChar *)name, v))
        w->ok = false;
}

static void propf(jw *w, xmlNodePtr node, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void propf(jw *w, xmlNodePtr node, const char *name, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    prop(w, node, name, buf);
}

/* A new element under parent, with text[0..n) (NULL: none) as its content. */
static xmlNodePtr child(jw *w, xmlNodePtr parent, const char *name, const char *text,
                        size_t n)
{
    xmlNodePtr node = NULL;
    if (parent) {
        const xmlChar *t = text ? xs(&w->tmp, text, n) : NULL;
        if (!text || t)
            node = xmlNewTextChild(parent, NULL, (const xmlChar *)name, t);
    }
    if (!node)
        w->ok = false;
    return node;
}

static void iso_time(char *buf, size_t cap, int64_t us)
{
    time_t t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm))
        snprintf(buf, cap, "1970-01-01T00:00:00");
}

static const char *shown_name(const char *name)
{
    return strcmp(name, "-") == 0 ? "standard input" : name;
}

/* ---- test cases -------------------------------------------------------- */

/* One check of one input. */
typedef struct jcheck {
    size_t counter;
    const char *field;       /* NULL: record level ("record") */
    const char *rule;
    rules_severity sev;
    double mostly;           /* 0: none */
    const eng_threshold *thr; /* the run's mostly threshold of it */
    uint64_t count;
} jcheck;

static const eng_threshold *mostly_of(const jw *w, const char *field, const char *rule)
{
    for (size_t i = 0; i < w->nthr; i++)
        if (strcmp(w->thr[i].name, "mostly") == 0 &&
            ((field && w->thr[i].field == field) || (rule && w->thr[i].rule == rule)))
            return &w->thr[i];
    return NULL;
}

/* The failing records of a check: "record 3, line 4: message (value "x")". */
static void sample_lines(jw *w, const eng_samples *s, const jcheck *c)
{
    size_t shown = 0;
    bool record_rule = c->counter >= (w->run->rules->nfields + 1) * ER_COUNT;
    for (size_t i = 0; i < s->n; i++) {
        const eng_sample *smp = &s->v[i];
        if (smp->counter != c->counter)
            continue;
        const char *t = s->text.data + smp->off;
        T(core_buf_printf(&w->text, "record %llu, line %llu: ", (unsigned long long)smp->record,
                        (unsigned long long)smp->line));
        T(core_buf_append(&w->text, t + smp->val_len, smp->msg_len));
        if (smp->has_value) {
            T(core_buf_puts(&w->text, record_rule ? " (values: " : " (value \""));
            T(core_buf_append(&w->text, t, smp->val_len));
            T(core_buf_puts(&w->text, record_rule ? ")" : "\")"));
        }
        T(core_buf_putc(&w->text, '\n'));
        shown += smp->record > 0; /* record 0: the header line, not counted */
    }
    if (c->count > shown && shown)
        T(core_buf_printf(&w->text, "... and %llu more\n",
                          (unsigned long long)(c->count - shown)));
}

/* Adds the test case of c to suite; returns true when it failed. */
static bool testcase(jw *w, xmlNodePtr suite, const char *cls, const eng_stats *st,
                     const eng_samples *s, const jcheck *c, uint64_t *skipped)
{
    char head[128];
    core_buf_clear(&w->name);
    T(core_buf_printf(&w->name, "%s: %s", c->field ? c->field : "record", c->rule));
    if (core_buf_nul(&w->name))
        w->ok = false;
    xmlNodePtr tc = child(w, suite, "testcase", NULL, 0);
    prop(w, tc, "classname", cls);
    prop(w, tc, "name", w->ok ? w->name.data : "");
    if (st->read == 0) {
        xmlNodePtr sk = child(w, tc, "skipped", NULL, 0);
        prop(w, sk, "message", "no records read from this input");
        (*skipped)++;
        return false;
    }
    if (c->count == 0)
        return false;
    bool breached = c->thr && !c->thr->ok;
    bool fails = breached || (c->sev == RSEV_ERROR && c->mostly <= 0);
    snprintf(head, sizeof head, "%llu of %llu records failed", (unsigned long long)c->count,
             (unsigned long long)st->read);
    core_buf_clear(&w->text);
    if (c->thr)
        T(core_buf_printf(&w->text, "%s; mostly %g: passed in %.4g of the records of the "
                          "run, %s\n", head, c->thr->limit, c->thr->actual,
                          breached ? "below the limit" : "within the limit"));
    else if (!fails)
        T(core_buf_printf(&w->text, "%s (severity warn: they pass)\n", head));
    sample_lines(w, s, c);
    if (w->text.len && w->text.data[w->text.len - 1] == '\n')
        w->text.len--;
    if (core_buf_nul(&w->text)) {
        w->ok = false;
        return fails;
    }
    if (fails) {
        xmlNodePtr f = child(w, tc, "failure", w->text.data, w->text.len);
        prop(w, f, "message", head);
        prop(w, f, "type", c->rule);
    } else
        child(w, tc, "system-out", w->text.data, w->text.len);
    return fails;
}

/* Every check of the run, in a stable order: fields (in the rules' order,
 * rules in a fixed order), the composite primary key, record rules, then the
 * structural checks that fired in this input. */
static void suite_cases(jw *w, xmlNodePtr suite, const char *cls, const eng_stats *st,
                        const eng_samples *s, uint64_t *tests, uint64_t *failures,
                        uint64_t *skipped)
{
    const eng_run *run = w->run;
    const struct assay_rules *r = run->rules;
    jcheck c;
    for (size_t i = 0; i < r->nfields; i++) {
        const rules_field *f = &r->fields[i];
        for (int k = 0; k < ER_COUNT; k++) {
            uint64_t n = st->fields[i].violations[k];
            if (!n && !eng_field_declares(run, i, (eng_rule)k))
                continue;
            c = (jcheck){(size_t)(i + 1) * ER_COUNT + (size_t)k, f->name,
                         eng_rule_name((eng_rule)k), f->severity, f->mostly,
                         f->mostly > 0 ? mostly_of(w, f->name, NULL) : NULL, n};
            (*tests)++;
            *failures += testcase(w, suite, cls, st, s, &c, skipped);
        }
    }
    if (run->pk_keys) {
        c = (jcheck){ER_PRIMARYKEY, run->pk_label, "primaryKey", RSEV_ERROR, 0, NULL,
                     st->structural[ER_PRIMARYKEY]};
        (*tests)++;
        *failures += testcase(w, suite, cls, st, s, &c, skipped);
    }
    for (size_t k = 0; k < r->nrules; k++) {
        const rules_rule *rr = &r->rules[k];
        c = (jcheck){(r->nfields + 1) * ER_COUNT + k, NULL, rr->name, rr->severity,
                     rr->mostly, rr->mostly > 0 ? mostly_of(w, NULL, rr->name) : NULL,
                     st->rule_viol[k]};
        (*tests)++;
        *failures += testcase(w, suite, cls, st, s, &c, skipped);
    }
    for (int k = ER_FIELD_RULES; k < ER_COUNT; k++) {
        if (!st->structural[k] || k == ER_RECORD_RULE)
            continue;
        c = (jcheck){(size_t)k, NULL, eng_rule_name((eng_rule)k), RSEV_ERROR, 0, NULL,
                     st->structural[k]};
        (*tests)++;
        *failures += testcase(w, suite, cls, st, s, &c, skipped);
    }
}

static void input_suite(jw *w, xmlNodePtr root, size_t k)
{
    eng_run *run = w->run;
    const eng_reports *rep = run->reports;
    const char *name = shown_name(run->inputs[k].name);
    xmlNodePtr suite = child(w, root, "testsuite", NULL, 0);
    prop(w, suite, "name", name);
    uint64_t tests = 0, failures = 0, skipped = 0;
    suite_cases(w, suite, name, &rep->st[k], &rep->samples[k], &tests, &failures,
                &skipped);
    char ts[32];
    iso_time(ts, sizeof ts, rep->start_us[k]);
    propf(w, suite, "tests", "%llu", (unsigned long long)tests);
    propf(w, suite, "failures", "%llu", (unsigned long long)failures);
    prop(w, suite, "errors", "0");
    propf(w, suite, "skipped", "%llu", (unsigned long long)skipped);
    propf(w, suite, "time", "%.3f", rep->secs[k]);
    prop(w, suite, "timestamp", ts);
    w->tests += tests;
    w->failures += failures;
    w->skipped += skipped;
}

static const char *threshold_name(jw *w, const eng_threshold *t)
{
    core_buf_clear(&w->name);
    if (t->field)
        T(core_buf_printf(&w->name, "%s: field %s", t->name, t->field));
    else if (t->rule)
        T(core_buf_printf(&w->name, "%s: rule %s", t->name, t->rule));
    else
        T(core_buf_puts(&w->name, t->name));
    if (core_buf_nul(&w->name)) {
        w->ok = false;
        return "";
    }
    return w->name.data;
}

/* The policy's thresholds over the whole run: what decides exit code 1. */
static void policy_suite(jw *w, xmlNodePtr root, double secs)
{
    const char *cls = "assay policy";
    xmlNodePtr suite = child(w, root, "testsuite", NULL, 0);
    prop(w, suite, "name", cls);
    uint64_t failures = 0;
    for (size_t i = 0; i < w->nthr; i++) {
        const eng_threshold *t = &w->thr[i];
        char msg[128];
        const char *name = threshold_name(w, t);
        snprintf(msg, sizeof msg, "limit %.6g, actual %.6g", t->limit, t->actual);
        xmlNodePtr tc = child(w, suite, "testcase", NULL, 0);
        prop(w, tc, "classname", cls);
        prop(w, tc, "name", name);
        if (t->ok)
            child(w, tc, "system-out", msg, strlen(msg));
        else {
            xmlNodePtr f = child(w, tc, "failure", msg, strlen(msg));
            prop(w, f, "message", msg);
            prop(w, f, "type", t->name);
            failures++;
        }
    }
    char ts[32];
    iso_time(ts, sizeof ts, eng_report_clock(w->run));
    propf(w, suite, "tests", "%zu", w->nthr);
    propf(w, suite, "failures", "%llu", (unsigned long long)failures);
    prop(w, suite, "errors", "0");
    prop(w, suite, "skipped", "0");
    propf(w, suite, "time", "%.3f", secs);
    prop(w, suite, "timestamp", ts);
    w->tests += w->nthr;
    w->failures += failures;
}

assay_status eng_write_junit(eng_run *run, double secs)
{
    jw w = {.run = run, .ok = true};
    core_buf_init(&w.tmp, 0);
    core_buf_init(&w.text, 0);
    core_buf_init(&w.name, 0);
    w.thr = calloc(eng_threshold_max(run), sizeof *w.thr);
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = doc ? xmlNewNode(NULL, (const xmlChar *)"testsuites") : NULL;
    if (root)
        xmlDocSetRootElement(doc, root);
    assay_status st = ASSAY_E_NOMEM;
    if (!w.thr || !root || !run->reports)
        goto done;
    eng_thresholds(run, w.thr, &w.nthr);
    prop(&w, root, "name", "assay");
    for (size_t k = 0; k < run->reports->ndone; k++)
        input_suite(&w, root, k);
    policy_suite(&w, root, secs);
    propf(&w, root, "tests", "%llu", (unsigned long long)w.tests);
    propf(&w, root, "failures", "%llu", (unsigned long long)w.failures);
    prop(&w, root, "errors", "0");
    propf(&w, root, "skipped", "%llu", (unsigned long long)w.skipped);
    propf(&w, root, "time", "%.3f", secs);
    if (!w.ok)
        goto done;
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
    if (!mem || len <= 0) {
        xmlFree(mem);
        goto done;
    }
    st = io_out_write(run->junit_out, mem, (size_t)len);
    xmlFree(mem);
done:
    if (doc)
        xmlFreeDoc(doc);
    free(w.thr);
    core_buf_free(&w.tmp);
    core_buf_free(&w.text);
    core_buf_free(&w.name);
    return st;
}
