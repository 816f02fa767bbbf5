/* tests/fuzz/fuzz_roundtrip.c — the whole engine, read -> check -> write ->
 * read again, against arbitrary bytes.
 *
 * The first byte chooses the format (CSV, TSV, NDJSON, a JSON array, XML at
 * the record path /r/x) and one of four fixed rules files (types and unique;
 * string cleaning, pattern and enum; default, map and replace steps with a
 * primary key and a record rule; an XML attribute, a record rule and dropped
 * extra fields). The second byte chooses the run: worker threads, a tiny
 * read block, small size limits, auto-detected encoding, --no-clean, no
 * quoting. The rest is the input (at most 64 KiB). Each input is run through
 * assay_check_run into files of a private temporary directory, and the
 * harness aborts when:
 *
 *  1. read != passed + quarantined (conservation), on either pass;
 *  2. the quarantine is not the format's framing (the CSV header line, JSON
 *     brackets and separators, the XML head, separator and tail) around
 *     whole input records, in input order, without overlap, as many as the
 *     statistics say were quarantined — the records being those the
 *     format's reader finds in the input, and their number read + skipped;
 *  3. the output's passing records are not UTF-8, or are not found again by
 *     the reader, or a second pass over the output, with the same rules and
 *     options, does not pass every record, does not write the output again
 *     byte for byte, or quarantines anything (the rules' cleaning steps are
 *     chosen idempotent, so a cleaned record is clean). Known gap, not
 *     checked: a CSV header line or an XML head or tail that is not UTF-8 is
 *     copied to the output as it is (that output gets no second pass).
 *
 * Replayed over tests/fuzz/corpus/roundtrip/ by ctest (replay_roundtrip);
 * fuzzed as fuzz_roundtrip in a -DASSAY_FUZZ=ON clang build. */
#define _DEFAULT_SOURCE /* P_tmpdir */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assay/assay.h"
#include "core/utf8.h"
#include "io/csv_reader.h"
#include "io/json_reader.h"
#include "io/xml_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (64 * 1024)
#define MAX_OUTPUT (16 * 1024 * 1024)
#define RECORD_PATH "/r/x"
#define NOW "2024-06-30"

static const char *const RULES[] = {
    /* 0: types, unique, extra columns quarantined */
    "{\"fields\":["
    "{\"name\":\"id\",\"type\":\"integer\",\"clean\":[\"trim\"],"
    "\"constraints\":{\"required\":true,\"unique\":true,\"minimum\":1}},"
    "{\"name\":\"amount\",\"type\":\"number\",\"clean\":[\"trim\"],"
    "\"constraints\":{\"minimum\":0,\"maximum\":100000}},"
    "{\"name\":\"day\",\"type\":\"date\",\"formats\":[\"yyyy-MM-dd\",\"dd/MM/yyyy\"],"
    "\"output\":\"yyyy-MM-dd\",\"constraints\":{\"maximum\":\"today\"}},"
    "{\"name\":\"ok\",\"type\":\"boolean\"}],"
    "\"policy\":{\"extra_fields\":\"quarantine\"}}",
    /* 1: string cleaning, pattern, enum; extra columns dropped, blank rows
     * skipped */
    "{\"fields\":["
    "{\"name\":\"name\",\"type\":\"string\","
    "\"clean\":[\"strip_control\",\"collapse_spaces\",\"trim\"],"
    "\"constraints\":{\"required\":true,\"maxLength\":20,"
    "\"pattern\":\"^[A-Za-z][A-Za-z .'-]*$\"}},"
    "{\"name\":\"code\",\"type\":\"string\",\"clean\":[\"trim\",\"upper\"],"
    "\"constraints\":{\"enum\":[\"US\",\"FR\",\"DE\"]}},"
    "{\"name\":\"email\",\"type\":\"string\",\"clean\":[\"trim\",\"lower\"],"
    "\"constraints\":{\"pattern\":\"^[a-z0-9._-]+@[a-z0-9.-]+$\"}},"
    "{\"name\":\"note\",\"type\":\"string\",\"clean\":[\"replace_invalid\",\"nfc\"],"
    "\"constraints\":{\"maxLength\":50},\"severity\":\"warn\"}],"
    "\"policy\":{\"extra_fields\":\"drop\",\"blank_rows\":\"skip\"}}",
    /* 2: default, replace and map steps; a primary key; a record rule */
    "{\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\",\"clean\":[\"trim\"],"
    "\"constraints\":{\"pattern\":\"^[A-Z]{2}[0-9]{1,4}$\"}},"
    "{\"name\":\"status\",\"type\":\"string\","
    "\"clean\":[{\"default\":\"new\"},\"trim\",\"lower\"],"
    "\"constraints\":{\"enum\":[\"new\",\"paid\",\"shipped\"]}},"
    "{\"name\":\"city\",\"type\":\"string\","
    "\"clean\":[{\"replace\":{\"pattern\":\"\\\\s+\",\"with\":\" \"}},\"trim\","
    "{\"map\":{\"nyc\":\"New York\",\"la\":\"Los Angeles\"}}],"
    "\"constraints\":{\"minLength\":2}},"
    "{\"name\":\"n\",\"type\":\"integer\",\"constraints\":{\"minimum\":-5,\"maximum\":5}}],"
    "\"primaryKey\":[\"id\"],"
    "\"rules\":[{\"name\":\"paid_has_n\",\"when\":\"status == 'paid'\","
    "\"check\":\"n != null\"}]}",
    /* 3: an attribute, case and spaces, a record rule; extra fields dropped */
    "{\"fields\":["
    "{\"name\":\"@id\",\"type\":\"integer\",\"constraints\":{\"required\":true,"
    "\"unique\":true}},"
    "{\"name\":\"name\",\"type\":\"string\",\"clean\":[\"collapse_spaces\",\"trim\","
    "\"upper\"],\"constraints\":{\"maxLength\":12}},"
    "{\"name\":\"a\",\"type\":\"number\"},"
    "{\"name\":\"b\",\"type\":\"number\",\"constraints\":{\"minimum\":0}}],"
    "\"rules\":[{\"name\":\"a_le_b\",\"check\":\"a == null || b == null || a <= b\"}],"
    "\"policy\":{\"extra_fields\":\"drop\"}}",
};
#define NRULES (sizeof RULES / sizeof *RULES)

static const assay_format FORMATS[] = {ASSAY_FMT_CSV, ASSAY_FMT_TSV, ASSAY_FMT_NDJSON,
                                       ASSAY_FMT_JSON, ASSAY_FMT_XML};
static const char *const FORMAT_NAMES[] = {"csv", "tsv", "ndjson", "json", "xml"};

/* What the harness keeps between inputs: the temporary directory, its file
 * names and the loaded rules (loaded once, never changed). */
typedef struct harness {
    char dir[4096];
    char in[4200], out1[4200], q1[4200], out2[4200], q2[4200];
    assay_rules *rules[NRULES];
} harness;

static harness *H;

/* One input's choices, for the run and for the messages. */
typedef struct choice {
    size_t fmt, rules;
    unsigned flags;
    assay_format format;
    bool small_limits, no_quote;
} choice;

#define F_JOBS 0x01
#define F_SMALL_BLOCK 0x02
#define F_SMALL_LIMITS 0x04
#define F_AUTO_ENCODING 0x08
#define F_NO_CLEAN 0x10
#define F_NO_QUOTE 0x20

static void die(const choice *c, const char *what)
{
    fprintf(stderr, "roundtrip: %s (format %s, rules %zu, flags 0x%02x)\n", what,
            FORMAT_NAMES[c->fmt], c->rules, c->flags);
    abort();
}

static void cleanup(void)
{
    if (!H)
        return;
    const char *files[] = {H->in, H->out1, H->q1, H->out2, H->q2};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(files[i]);
    rmdir(H->dir);
    for (size_t i = 0; i < NRULES; i++)
        assay_rules_free(H->rules[i]);
    free(H);
    H = NULL;
}

static harness *setup(void)
{
    if (H)
        return H;
    harness *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    const char *tmp = getenv("TMPDIR");
    snprintf(h->dir, sizeof h->dir, "%s/assay-roundtrip-XXXXXX",
             tmp && *tmp ? tmp : P_tmpdir);
    if (!mkdtemp(h->dir)) {
        perror("roundtrip: mkdtemp");
        abort();
    }
    snprintf(h->in, sizeof h->in, "%s/in", h->dir);
    snprintf(h->out1, sizeof h->out1, "%s/out1", h->dir);
    snprintf(h->q1, sizeof h->q1, "%s/q1", h->dir);
    snprintf(h->out2, sizeof h->out2, "%s/out2", h->dir);
    snprintf(h->q2, sizeof h->q2, "%s/q2", h->dir);
    for (size_t i = 0; i < NRULES; i++) {
        assay_diags *d = assay_diags_new();
        if (!d || assay_rules_load_buffer("roundtrip.rules.json", RULES[i], strlen(RULES[i]),
                                          d, &h->rules[i]) != ASSAY_OK) {
            for (size_t k = 0; d && k < assay_diags_count(d); k++)
                fprintf(stderr, "roundtrip: rules %zu: %s: %s\n", i,
                        assay_diags_get(d, k)->path, assay_diags_get(d, k)->message);
            abort();
        }
        assay_diags_free(d);
    }
    H = h;
    atexit(cleanup);
    return h;
}

static void write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    const char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            perror(path);
            abort();
        }
        b += w;
        n -= (size_t)w;
    }
    if (close(fd) != 0) {
        perror(path);
        abort();
    }
}

/* The whole file (a missing file reads as empty); *n its length. */
static char *read_file(const char *path, size_t *n)
{
    *n = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0 && errno == ENOENT) {
        char *e = malloc(1);
        if (!e)
            abort();
        return e;
    }
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size > MAX_OUTPUT) {
        perror(path);
        abort();
    }
    size_t len = (size_t)sb.st_size;
    char *p = malloc(len + 1);
    if (!p)
        abort();
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, p + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            perror(path);
            abort();
        }
        got += (size_t)r;
    }
    close(fd);
    *n = len;
    return p;
}

/* ---- the input's records, as the format's reader finds them ------------- */

/* A logical record: the pieces of a record over a size limit are merged. */
typedef struct span {
    size_t off, len;
} span;

/* The framing of a quarantine: prefix, separator between records, suffix,
 * and what it is without any record. */
typedef struct layout {
    span *recs;
    size_t nrecs, cap;
    char *pre, *sep, *post, *empty;
    size_t npre, nsep, npost, nempty;
    bool failed; /* the reader refused the input (XML: a limit) */
} layout;

static void add_piece(layout *l, const choice *c, const io_record *rec)
{
    if (rec->continued && l->nrecs > 0) {
        span *s = &l->recs[l->nrecs - 1];
        if (s->off + s->len != rec->offset)
            die(c, "a continued piece does not follow its record");
        s->len += rec->raw_len;
        return;
    }
    if (l->nrecs == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        span *r = realloc(l->recs, cap * sizeof *r);
        if (!r)
            abort();
        l->recs = r;
        l->cap = cap;
    }
    l->recs[l->nrecs++] = (span){(size_t)rec->offset, rec->raw_len};
}

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        abort();
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static char *cat_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    char *d = malloc(an + bn + 1);
    if (!d)
        abort();
    if (an)
        memcpy(d, a, an);
    if (bn)
        memcpy(d + an, b, bn);
    d[an + bn] = '\0';
    return d;
}

static void layout_free(layout *l)
{
    free(l->recs);
    free(l->pre);
    free(l->sep);
    free(l->post);
    free(l->empty);
}

static void csv_layout(const choice *c, const char *in, size_t n, size_t max_rec,
                       size_t max_field, layout *l)
{
    io_csv_opts o;
    io_csv_opts_init(&o);
    o.delimiter = c->format == ASSAY_FMT_TSV ? '\t' : ',';
    o.quote = c->no_quote ? -1 : '"';
    o.max_record_bytes = max_rec;
    o.max_field_bytes = max_field;
    io_mem_source m = {in, n, 0, 0};
    io_csv_reader *r;
    if (io_csv_reader_new(io_mem_read, &m, &o, &r) != ASSAY_OK)
        abort();
    size_t hdr = 0;
    for (;;) {
        io_record rec;
        bool eof;
        assay_error err;
        if (io_csv_next(r, &rec, &eof, &err) != ASSAY_OK)
            die(c, "the CSV reader failed on memory");
        if (eof)
            break;
        if (rec.is_header)
            hdr = (size_t)rec.offset + rec.raw_len;
        else
            add_piece(l, c, &rec);
    }
    io_csv_reader_free(r);
    l->pre = dup_bytes(in, hdr);
    l->npre = hdr;
    l->sep = dup_bytes("", 0);
    l->post = dup_bytes("", 0);
    l->empty = dup_bytes(in, hdr);
    l->nempty = hdr;
}

static void json_layout(const choice *c, const char *in, size_t n, size_t max_rec, layout *l)
{
    io_json_opts o = {c->format == ASSAY_FMT_JSON, NULL, 0, max_rec, 0, false};
    io_mem_source m = {in, n, 0, 0};
    io_json_reader *r;
    if (io_json_reader_new(io_mem_read, &m, &o, &r) != ASSAY_OK)
        abort();
    for (;;) {
        io_record rec;
        bool eof;
        assay_error err;
        if (io_json_next(r, &rec, &eof, &err) != ASSAY_OK)
            die(c, "the JSON reader failed on memory");
        if (eof)
            break;
        add_piece(l, c, &rec);
    }
    io_json_reader_free(r);
    bool arr = c->format == ASSAY_FMT_JSON;
    l->pre = dup_bytes(arr ? "[\n" : "", arr ? 2 : 0);
    l->npre = arr ? 2 : 0;
    l->sep = dup_bytes(arr ? ",\n" : "", arr ? 2 : 0);
    l->nsep = l->npre;
    l->post = dup_bytes(arr ? "\n]\n" : "", arr ? 3 : 0);
    l->npost = arr ? 3 : 0;
    l->empty = dup_bytes(arr ? "[]\n" : "", arr ? 3 : 0);
    l->nempty = arr ? 3 : 0;
}

static void xml_layout(const choice *c, const char *in, size_t n, size_t max_rec, layout *l)
{
    static const char *const path[] = {"x"};
    io_xml_opts o = {RECORD_PATH, path, 1, max_rec, 0};
    io_mem_source m = {in, n, 0, 0};
    io_xml_reader *r;
    if (io_xml_reader_new(io_mem_read, &m, &o, &r) != ASSAY_OK)
        abort();
    for (;;) {
        io_record rec;
        bool eof;
        assay_error err;
        assay_status st = io_xml_next(r, &rec, &eof, &err);
        if (st == ASSAY_E_LIMIT) {
            l->failed = true;
            break;
        }
        if (st != ASSAY_OK)
            die(c, "the XML reader failed on memory");
        if (eof)
            break;
        add_piece(l, c, &rec);
    }
    size_t hn = 0, tn = 0;
    const char *h = io_xml_head(r, &hn), *t = io_xml_tail(r, &tn);
    size_t ws = hn;
    while (ws > 0 && strchr(" \t\r\n", h[ws - 1]) && h[ws - 1])
        ws--;
    l->pre = dup_bytes(h, hn);
    l->npre = hn;
    l->sep = ws < hn ? dup_bytes(h + ws, hn - ws) : dup_bytes("\n", 1);
    l->nsep = ws < hn ? hn - ws : 1;
    l->post = dup_bytes(t, tn);
    l->npost = tn;
    l->empty = cat_bytes(h, hn, t, tn);
    l->nempty = hn + tn;
    io_xml_reader_free(r);
}

static void find_layout(const choice *c, const char *in, size_t n, size_t max_rec,
                        size_t max_field, layout *l)
{
    memset(l, 0, sizeof *l);
    if (c->format == ASSAY_FMT_CSV || c->format == ASSAY_FMT_TSV)
        csv_layout(c, in, n, max_rec, max_field, l);
    else if (c->format == ASSAY_FMT_XML)
        xml_layout(c, in, n, max_rec, l);
    else
        json_layout(c, in, n, max_rec, l);
}

/* ---- the quarantine against the input's records -------------------------- */

static bool at(const char *q, size_t qn, size_t pos, const char *p, size_t n)
{
    return pos <= qn && n <= qn - pos && (n == 0 || memcmp(q + pos, p, n) == 0);
}

/* Whether a record may end at pos: a separator or the suffix follows. */
static bool ends_ok(const layout *l, const char *q, size_t qn, size_t pos)
{
    return at(q, qn, pos, l->sep, l->nsep) ||
           (pos + l->npost == qn && at(q, qn, pos, l->post, l->npost));
}

/* The fast way: each input record in turn is taken when the quarantine
 * holds it at the current position. Returns the records taken, or -1 when
 * the quarantine is not read to its end that way. */
static long greedy(const layout *l, const char *in, const char *q, size_t qn)
{
    size_t pos = l->npre;
    long k = 0;
    for (size_t i = 0; i < l->nrecs; i++) {
        const span *s = &l->recs[i];
        size_t start = k ? pos + l->nsep : pos;
        if (k && !at(q, qn, pos, l->sep, l->nsep))
            break;
        if (!at(q, qn, start, in + s->off, s->len) || !ends_ok(l, q, qn, start + s->len))
            continue;
        pos = start + s->len;
        k++;
    }
    return k && pos + l->npost == qn && at(q, qn, pos, l->post, l->npost) ? k : -1;
}

/* The exact way, when the fast one did not end where the statistics say:
 * every position where a chosen record can end, in input order. Returns
 * 1 when the quarantine splits into `want` records (or into records in
 * several ways, some count among them unknown), 0 when not. */
static int exhaustive(const layout *l, const char *in, const char *q, size_t qn,
                      uint64_t want)
{
    long *cnt = malloc((qn + 1) * sizeof *cnt); /* -1 unreached, -2 ambiguous */
    size_t *ends = malloc((qn + 1) * sizeof *ends);
    if (!cnt || !ends)
        abort();
    for (size_t i = 0; i <= qn; i++)
        cnt[i] = -1;
    size_t nends = 0;
    for (size_t i = 0; i < l->nrecs; i++) {
        const span *s = &l->recs[i];
        size_t snap = nends;
        for (size_t j = 0; j <= snap; j++) {
            size_t start;
            long c;
            if (j == snap) {
                start = l->npre;
                c = 0;
            } else {
                if (!at(q, qn, ends[j], l->sep, l->nsep))
                    continue;
                start = ends[j] + l->nsep;
                c = cnt[ends[j]];
            }
            if (!at(q, qn, start, in + s->off, s->len))
                continue;
            size_t e = start + s->len;
            long nc = c == -2 ? -2 : c + 1;
            if (cnt[e] == -1) {
                cnt[e] = nc;
                ends[nends++] = e;
            } else if (cnt[e] != nc)
                cnt[e] = -2;
        }
    }
    int ok = 0;
    for (size_t j = 0; j < nends && !ok; j++)
        ok = ends[j] + l->npost == qn && at(q, qn, ends[j], l->post, l->npost) &&
             (cnt[ends[j]] == -2 || (uint64_t)cnt[ends[j]] == want);
    free(cnt);
    free(ends);
    return ok;
}

static void check_quarantine(const choice *c, const layout *l, const char *in, const char *q,
                             size_t qn, uint64_t quarantined, const char *pass)
{
    char what[160];
    if (quarantined == 0) {
        if (qn != l->nempty || !at(q, qn, 0, l->empty, qn)) {
            snprintf(what, sizeof what, "%s: nothing quarantined, yet the quarantine holds "
                     "more than its framing", pass);
            die(c, what);
        }
        return;
    }
    if (!at(q, qn, 0, l->pre, l->npre)) {
        snprintf(what, sizeof what, "%s: the quarantine does not start with the framing", pass);
        die(c, what);
    }
    long k = greedy(l, in, q, qn);
    if (k >= 0 && (uint64_t)k == quarantined)
        return;
    if (!exhaustive(l, in, q, qn, quarantined)) {
        snprintf(what, sizeof what, "%s: the quarantine is not %llu whole input records in "
                 "order", pass, (unsigned long long)quarantined);
        die(c, what);
    }
}

/* ---- the runs ----------------------------------------------------------- */

static assay_status run_check(const choice *c, const assay_rules *rules, const char *in,
                              const char *out, const char *q, bool first,
                              assay_check_result *res)
{
    const char *inputs[1] = {in};
    assay_check_opts o;
    assay_check_opts_init(&o);
    o.inputs = inputs;
    o.ninputs = 1;
    o.output = out;
    o.quarantine = q;
    o.format = c->format;
    o.record_path = c->format == ASSAY_FMT_XML ? RECORD_PATH : NULL;
    o.now = NOW;
    o.encoding = c->flags & F_AUTO_ENCODING ? "auto" : "UTF-8";
    o.no_clean = (c->flags & F_NO_CLEAN) != 0;
    if (c->no_quote)
        o.quote = 0;
    if (first && c->small_limits) {
        o.max_record_bytes = 200;
        o.max_field_bytes = 40;
    }
    if (c->flags & F_SMALL_BLOCK)
        o.read_block = 7;
    if (c->flags & F_JOBS) {
        o.jobs = 2;
        o.batch_records = 1 + ((c->flags >> 6) & 3);
    }
    return assay_check_run(rules, &o, res);
}

static void conserve(const choice *c, const assay_check_result *r, const char *pass)
{
    if (r->read != r->passed + r->quarantined) {
        char what[200];
        snprintf(what, sizeof what, "%s: read %llu != passed %llu + quarantined %llu", pass,
                 (unsigned long long)r->read, (unsigned long long)r->passed,
                 (unsigned long long)r->quarantined);
        die(c, what);
    }
}

/* Pass 1 over the input: conservation and the quarantine. */
static bool first_pass(const choice *c, const assay_rules *rules, const char *in, size_t n,
                       assay_check_result *res)
{
    assay_status st = run_check(c, rules, H->in, H->out1, H->q1, true, res);
    if (st != ASSAY_OK) {
        /* XML: a record path that matches nothing, or a head over the limit. */
        if (c->format == ASSAY_FMT_XML && (st == ASSAY_E_USAGE || st == ASSAY_E_LIMIT))
            return false;
        fprintf(stderr, "roundtrip: pass 1: %s\n", res->error.message);
        die(c, "pass 1 failed");
    }
    conserve(c, res, "pass 1");
    /* The quarantine holds the input's own bytes: compare when they are the
     * bytes the reader sees (UTF-8). */
    if (strcmp(res->encoding, "UTF-8") != 0)
        return true;
    layout l;
    find_layout(c, in, n, c->small_limits ? 200 : 0, c->small_limits ? 40 : 0, &l);
    if (l.failed)
        die(c, "pass 1 ran where the reader stops at a limit");
    if (l.nrecs != res->read + res->skipped) {
        char what[160];
        snprintf(what, sizeof what, "pass 1: the reader finds %zu records, the engine read "
                 "%llu and skipped %llu", l.nrecs, (unsigned long long)res->read,
                 (unsigned long long)res->skipped);
        die(c, what);
    }
    size_t qn;
    char *q = read_file(H->q1, &qn);
    check_quarantine(c, &l, in, q, qn, res->quarantined, "pass 1");
    free(q);
    layout_free(&l);
    return true;
}

/* Pass 2 over pass 1's output: everything passes, nothing changes. */
static void second_pass(const choice *c, const assay_rules *rules, uint64_t passed1)
{
    size_t n1, n2, qn;
    char *o1 = read_file(H->out1, &n1);
    layout l;
    find_layout(c, o1, n1, 0, 0, &l);
    if (l.failed || l.nrecs != passed1 || (l.nrecs && l.npre + l.npost > n1))
        die(c, "the reader does not find pass 1's passing records in its output");
    if (l.nrecs && !core_utf8_valid(o1 + l.npre, n1 - l.npre - l.npost))
        die(c, "pass 1 wrote passing records that are not UTF-8");
    /* Known gap: the header line and the XML head and tail are copied from
     * the input as they are, invalid UTF-8 included; such an output is read
     * differently again, so it gets no second pass. */
    if (l.nrecs ? !core_utf8_valid(l.pre, l.npre) || !core_utf8_valid(l.post, l.npost)
                : !core_utf8_valid(o1, n1)) {
        layout_free(&l);
        free(o1);
        return;
    }
    assay_check_result res;
    assay_status st = run_check(c, rules, H->out1, H->out2, H->q2, false, &res);
    if (st != ASSAY_OK) {
        fprintf(stderr, "roundtrip: pass 2: %s\n", res.error.message);
        die(c, "pass 2 failed on the output of pass 1");
    }
    conserve(c, &res, "pass 2");
    if (res.read != passed1 || res.passed != passed1 || res.skipped != 0) {
        char what[200];
        snprintf(what, sizeof what, "pass 2: %llu passed in pass 1, but pass 2 read %llu, "
                 "passed %llu, skipped %llu", (unsigned long long)passed1,
                 (unsigned long long)res.read, (unsigned long long)res.passed,
                 (unsigned long long)res.skipped);
        die(c, what);
    }
    char *o2 = read_file(H->out2, &n2);
    if (n1 != n2 || (n1 && memcmp(o1, o2, n1) != 0))
        die(c, "pass 2 wrote a different output from pass 1's");
    char *q = read_file(H->q2, &qn);
    check_quarantine(c, &l, o1, q, qn, 0, "pass 2");
    layout_free(&l);
    free(q);
    free(o1);
    free(o2);
    assay_check_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size - 2 > MAX_INPUT)
        return 0;
    harness *h = setup();
    choice c;
    c.fmt = data[0] % 5;
    c.rules = (data[0] / 5) % NRULES;
    c.flags = data[1];
    c.format = FORMATS[c.fmt];
    c.small_limits = (c.flags & F_SMALL_LIMITS) != 0;
    c.no_quote = (c.flags & F_NO_QUOTE) && (c.format == ASSAY_FMT_CSV ||
                                           c.format == ASSAY_FMT_TSV);
    const char *in = (const char *)data + 2;
    size_t n = size - 2;
    /* Bytes that open like gzip or zstd are read as compressed (and are
     * fuzz_decompress's business): damaged, they end the run with exit 3. */
    const unsigned char *u = data + 2;
    if ((n >= 2 && u[0] == 0x1F && u[1] == 0x8B) ||
        (n >= 4 && ((u[0] == 0x28 && u[1] == 0xB5 && u[2] == 0x2F && u[3] == 0xFD) ||
                    ((u[0] & 0xF0) == 0x50 && u[1] == 0x2A && u[2] == 0x4D && u[3] == 0x18))))
        return 0;
    write_file(h->in, in, n);
    const assay_rules *rules = h->rules[c.rules];
    assay_check_result res;
    if (first_pass(&c, rules, in, n, &res) &&
        !(c.format == ASSAY_FMT_XML && res.passed == 0))
        second_pass(&c, rules, res.passed);
    assay_check_result_free(&res);
    const char *files[] = {h->in, h->out1, h->q1, h->out2, h->q2};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(files[i]);
    return 0;
}
