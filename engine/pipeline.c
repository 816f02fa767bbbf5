/* engine/pipeline.c — the parallel engine behind -j N.
 *
 *   reader (the calling thread)   copies whole records into a batch and queues
 *                                 it; numbers the records as it goes
 *   N workers                     check a batch each, with their own ICU,
 *                                 pcre2, date and expression state, writing
 *                                 into the batch's in-memory output shares; a
 *                                 unique or primaryKey key is hashed and logged,
 *                                 taken as new
 *   writer (one thread)           takes finished batches in input order,
 *                                 inserts their keys into the run's key sets
 *                                 (prefetching a few keys ahead), re-checks the
 *                                 rare record that has a duplicate, adds the
 *                                 batch's counters to the run's and writes the
 *                                 shares out with a few large writes
 *
 * Nothing a worker does depends on another batch, and everything that depends
 * on order (keys, --max-errors-per-rule, the counters' sum) happens in the
 * writer in input order: output, quarantine, errors, changes and statistics
 * are the same bytes for every N and equal to checking inline. A fixed pool of
 * batches bounds memory: the reader waits for a free one when the writer (a
 * slow disk or pipe) falls behind.
 *
 * A record with a duplicate key is checked again by the writer twice: once as
 * the worker did (its counters are taken out of the batch's) and once with the
 * key sets' answers (its counters put in, its output spliced in place of the
 * worker's). */
#define _GNU_SOURCE 1 /* pthread_setname_np */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "io/json_reader.h"
#include "engine/machine_reports.h"

enum { O_OUT, O_QUAR, O_ERRS, O_CHG, NOUT };

#define BATCH_RECORDS_DEFAULT 4096
#define BATCH_BYTES ((size_t)1 << 20)
#define PREFETCH_AHEAD 8
#define IDLE_MS 200 /* an input quiet this long: what is read is written out */

/* A queued record, as small as it can be (64 bytes): the worker reads it on
 * another core. Its bytes, fields and message are offsets into the batch,
 * which holds less than 4 GiB (eng_pipe_add). A queued record is never a
 * piece of a larger one (raw_more, continued). */
typedef struct pl_item {
    uint64_t line, offset;
    uint64_t record_before; /* run->record_no before this record */
    const struct io_doc *doc;
    uint32_t raw_off, raw_len, field0, nfields;
    uint32_t detail_off;   /* UINT32_MAX: none */
    uint32_t bad_utf8_at, lines;
    uint8_t kind;          /* io_rec_kind */
    uint8_t flags;         /* PL_QUOTED... */
} pl_item;

enum { PL_QUOTED = 1, PL_BAD_UTF8 = 2, PL_CTL_FREE = 4, PL_IS_HEADER = 8 };

/* What a worker's checking of a queued record left, for the writer. */
typedef struct pl_done {
    size_t end[NOUT];      /* bytes of each output share after this record */
    size_t tag_end, key_end;
    size_t samp_end;       /* --junit: samples after this record */
} pl_done;

typedef struct pl_key {
    size_t set, off, len;
    uint64_t hash, record;
    bool is_int;           /* an integer field's value: ival, no bytes */
    int64_t ival;
} pl_key;

typedef struct pl_piece {
    bool fix;              /* in eng_pipe.fix rather than the batch's share */
    size_t off, len;
} pl_piece;

typedef struct pl_tag {
    size_t counter, len;
} pl_tag;

typedef struct eng_batch {
    uint64_t seq;
    eng_input *in;
    const char *input_label;
    bool flush;            /* the input went idle: write out at once */
    bool out_open, quar_open; /* the run's outputs end inside a record: the
                                 last record of an input without a line end */
    core_buf bytes;        /* records' raw bytes and fields not inside them */
    pl_item *items;
    pl_done *done;         /* one per item */
    size_t nitems, capitems, capdone;
    io_slice *fields;      /* the records' fields, slices of bytes: bytes never
                              moves while the batch holds a record */
    size_t nfields, capfields;
    io_out *o[NOUT];       /* in-memory shares of out, quarantine, errors, changes */
    pl_key *keys;
    size_t nkeys, capkeys;
    core_buf keybytes;
    pl_tag *tags;
    size_t ntags, captags;
    eng_samples samples;   /* --junit: the first failing records of each check */
    eng_stats st;
    assay_status status;
    assay_error err;
    struct eng_batch *next;
} eng_batch;

typedef struct eng_pipe eng_pipe;

typedef struct pl_worker {
    eng_pipe *pipe;
    eng_run ctx;
    assay_error err;
    pthread_t tid;
    bool started;
} pl_worker;

struct eng_pipe {
    eng_run *run;
    size_t batch_records;
    unsigned nworkers;
    pl_worker *workers;
    pl_worker writer;      /* ctx: the re-checks of records with a duplicate */
    eng_batch *pool;
    size_t npool;
    eng_batch scratch[2];  /* a re-check: as the worker did it, corrected */
    eng_answer *answers;
    size_t capanswers;
    /* What write_batch writes of each output, in order, for one gathered
     * write: slices of the batch's share, or of the re-checks' output, which
     * is copied (the scratch batch is reused) into fix. */
    pl_piece *pieces[NOUT];
    size_t npieces[NOUT], cappieces[NOUT];
    core_buf fix[NOUT];
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done, cv_free;
    bool mu_ok, cv_ok;
    eng_batch *free_list, *work_head, *work_tail;
    eng_batch **done;      /* finished batches by seq % npool */
    eng_batch *filling;    /* the reader's */
    uint64_t next_seq, next_write;
    bool stopping;
    bool drained;          /* nothing queued since the last drain */
    assay_status status;   /* the first failure, in input order */
    assay_error err;
};

/* ---- batches ----------------------------------------------------------- */

static assay_status batch_init(eng_batch *b, const eng_run *run)
{
    memset(b, 0, sizeof *b);
    core_buf_init(&b->bytes, 0);
    core_buf_init(&b->keybytes, 0);
    for (int k = 0; k < NOUT; k++)
        if (io_out_memory(&b->o[k]))
            return ASSAY_E_NOMEM;
    if (run->reports && eng_samples_init(&b->samples, run->rules))
        return ASSAY_E_NOMEM;
    return eng_stats_alloc(run->rules, &b->st);
}

static void batch_free(eng_batch *b, const eng_run *run)
{
    core_buf_free(&b->bytes);
    core_buf_free(&b->keybytes);
    free(b->items);
    free(b->done);
    free(b->fields);
    free(b->keys);
    free(b->tags);
    for (int k = 0; k < NOUT; k++)
        io_out_free(b->o[k]);
    eng_samples_free(&b->samples);
    eng_stats_free(run->rules, &b->st);
}

/* What a worker wrote is forgotten; the records stay (a re-check reads them). */
static void batch_clear_results(eng_batch *b, const eng_run *run)
{
    for (int k = 0; k < NOUT; k++)
        io_out_mem_clear(b->o[k]);
    b->nkeys = b->ntags = 0;
    core_buf_clear(&b->keybytes);
    eng_samples_clear(&b->samples);
    eng_stats_zero(run->rules, &b->st);
    b->status = ASSAY_OK;
    b->err.message[0] = '\0';
}

static void batch_reset(eng_batch *b, const eng_run *run)
{
    batch_clear_results(b, run);
    core_buf_clear(&b->bytes);
    b->nitems = b->nfields = 0;
    b->flush = b->out_open = b->quar_open = false;
    b->in = NULL;
}

static assay_status grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return ASSAY_OK;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return ASSAY_E_NOMEM;
    *p = q;
    *cap = n;
    return ASSAY_OK;
}

/* A record without quotes was split in place: its fields are slices of raw,
 * in order (so checking the first and the last is enough). */
static bool fields_in_place(const io_record *rec)
{
    size_t nf = rec->nfields;
    const io_slice *in = rec->fields;
    uintptr_t raw = (uintptr_t)rec->raw;
    return !rec->quoted && nf && (uintptr_t)in[0].p - raw <= rec->raw_len &&
           (uintptr_t)in[nf - 1].p + in[nf - 1].n - raw <= rec->raw_len;
}

/* Whether the non-empty field f lies inside rec's raw bytes. */
static bool in_raw(const io_record *rec, const io_slice *f)
{
    uintptr_t at = (uintptr_t)f->p - (uintptr_t)rec->raw;
    return at < rec->raw_len && f->n <= rec->raw_len - at;
}

/* The bytes batch_add copies for rec: its raw bytes, the fields that are
 * not slices of them, its message. */
static size_t record_bytes(const io_record *rec)
{
    size_t n = rec->raw_len + (rec->detail ? strlen(rec->detail) + 1 : 0);
    if (fields_in_place(rec))
        return n;
    for (size_t k = 0; k < rec->nfields; k++)
        if (rec->fields[k].n && !in_raw(rec, &rec->fields[k]))
            n += rec->fields[k].n;
    return n;
}

/* Copies rec into b: its raw bytes, and the fields that are not slices of
 * them (the unescaped copies of quoted fields), with its fields as slices of
 * b->bytes. The caller made room for record_bytes(rec) (see eng_pipe_add),
 * so b->bytes does not move. */
static assay_status batch_add(eng_batch *b, const io_record *rec, uint64_t before)
{
    size_t nf = rec->nfields;
    if (grow((void **)&b->items, &b->capitems, b->nitems + 1, sizeof *b->items) ||
        grow((void **)&b->done, &b->capdone, b->nitems + 1, sizeof *b->done) ||
        grow((void **)&b->fields, &b->capfields, b->nfields + nf, sizeof *b->fields))
        return ASSAY_E_NOMEM;
    pl_item *it = &b->items[b->nitems];
    *it = (pl_item){
        .line = rec->line,
        .offset = rec->offset,
        .record_before = before,
        .doc = rec->doc,
        .raw_off = (uint32_t)b->bytes.len,
        .raw_len = (uint32_t)rec->raw_len,
        .field0 = (uint32_t)b->nfields,
        .nfields = (uint32_t)nf,
        .detail_off = UINT32_MAX,
        .bad_utf8_at = (uint32_t)rec->bad_utf8_at,
        .lines = (uint32_t)rec->lines,
        .kind = (uint8_t)rec->kind,
        .flags = (uint8_t)((rec->quoted ? PL_QUOTED : 0) | (rec->bad_utf8 ? PL_BAD_UTF8 : 0) |
                           (rec->ctl_free ? PL_CTL_FREE : 0) |
                           (rec->is_header ? PL_IS_HEADER : 0)),
    };
    memcpy(b->bytes.data + b->bytes.len, rec->raw, rec->raw_len);
    b->bytes.len += rec->raw_len;
    io_slice *out = nf ? b->fields + b->nfields : NULL; /* none yet: fields NULL */
    const char *copy = b->bytes.data + it->raw_off;
    const io_slice *in = rec->fields;
    /* Fields of a record with quotes are mostly slices too; a quoted field
     * with "" inside is an unescaped copy, appended after the raw bytes. */
    if (fields_in_place(rec)) { /* the usual case, in one branch-free pass */
        for (size_t k = 0; k < nf; k++)
            out[k] = (io_slice){copy + (in[k].p - rec->raw), in[k].n};
        nf = 0;
    }
    for (size_t k = 0; k < nf; k++) {
        if (in[k].n && in_raw(rec, &in[k]))
            out[k] = (io_slice){copy + (in[k].p - rec->raw), in[k].n};
        else if (in[k].n == 0)
            out[k] = (io_slice){copy, 0};
        else {
            out[k] = (io_slice){b->bytes.data + b->bytes.len, in[k].n};
            if (core_buf_append(&b->bytes, in[k].p, in[k].n))
                return ASSAY_E_NOMEM;
        }
    }
    b->nfields += rec->nfields;
    if (rec->detail) {
        it->detail_off = (uint32_t)b->bytes.len;
        if (core_buf_append(&b->bytes, rec->detail, strlen(rec->detail) + 1))
            return ASSAY_E_NOMEM;
    }
    b->nitems++;
    return ASSAY_OK;
}

/* ---- checking a batch ------------------------------------------------- */

/* Points a thread's context at dst: its outputs, logs and counters. */
static void bind(eng_run *w, const eng_run *run, eng_batch *dst, eng_keymode mode)
{
    w->keymode = mode;
    w->batch = dst;
    w->out = dst->o[O_OUT];
    w->quar = dst->o[O_QUAR];
    w->errs = run->errs ? dst->o[O_ERRS] : NULL;
    w->chg = run->chg ? dst->o[O_CHG] : NULL;
    w->samples = run->reports ? &dst->samples : NULL;
    w->out_open = dst->out_open;
    w->quar_open = dst->quar_open;
    w->st = dst->st;
}

/* An NDJSON line the reader left unparsed, parsed by this thread's own
 * parser (made at its first line). */
static assay_status parse_line(eng_run *w, io_record *rec)
{
    const struct assay_rules *r = w->rules;
    if (!w->jparse) {
        const char **paths = malloc((r->nfields ? r->nfields : 1) * sizeof *paths);
        if (!paths)
            return ASSAY_E_NOMEM;
        for (size_t i = 0; i < r->nfields; i++)
            paths[i] = r->fields[i].name;
        assay_status st = io_json_parser_new(paths, r->nfields, &w->jparse);
        free(paths);
        if (st)
            return st;
    }
    return io_json_parse_line(w->jparse, rec, w->err);
}

/* Checks a queued record. */
static assay_status check_item(eng_run *w, const eng_batch *src, const pl_item *it)
{
    io_record rec = {
        .kind = (io_rec_kind)it->kind,
        .raw = src->bytes.data + it->raw_off,
        .raw_len = it->raw_len,
        .line = it->line,
        .lines = it->lines,
        .nfields = it->nfields,
        .fields = it->nfields ? src->fields + it->field0 : NULL,
        .quoted = it->flags & PL_QUOTED,
        .bad_utf8 = it->flags & PL_BAD_UTF8,
        .bad_utf8_at = it->bad_utf8_at,
        .detail = it->detail_off == UINT32_MAX ? NULL : src->bytes.data + it->detail_off,
        .ctl_free = it->flags & PL_CTL_FREE,
        .is_header = it->flags & PL_IS_HEADER,
        .offset = it->offset,
        .doc = it->doc,
    };
    w->record_no = it->record_before;
    if (rec.kind == IO_REC_DEFERRED) { /* an NDJSON line: parsed here */
        assay_status st = parse_line(w, &rec);
        if (st)
            return st;
    }
    return eng_route_record(w, &rec, src->in);
}

static void work(pl_worker *wk, eng_batch *b)
{
    eng_run *w = &wk->ctx;
    const eng_run *run = wk->pipe->run;
    w->cur = b->in;
    w->input_label = b->input_label;
    bind(w, run, b, ENG_KEYS_DEFER);
    wk->err.message[0] = '\0';
    for (size_t i = 0; i < b->nitems && !b->status; i++) {
        b->status = check_item(w, b, &b->items[i]);
        pl_done *d = &b->done[i];
        for (int k = 0; k < NOUT; k++)
            io_out_mem_data(b->o[k], &d->end[k]);
        d->tag_end = b->ntags;
        d->key_end = b->nkeys;
        d->samp_end = b->samples.n;
    }
    if (b->status)
        b->err = wk->err;
    b->st = w->st;
}

/* Fields of the main run a worker reads that the calling thread sets when it
 * reads the first header (called under the lock). */
static void refresh(eng_run *w, const eng_run *run)
{
    w->first_labels = run->first_labels;
    w->first_label_lens = run->first_label_lens;
    w->nfirst = run->nfirst;
    w->ocols = run->ocols; /* --schema-order, extra_fields "drop" */
    w->nocols = run->nocols;
    w->headers_written = run->headers_written;
    memcpy(w->eol, run->eol, sizeof w->eol);
    w->eol_len = run->eol_len;
}

static void *worker_main(void *arg)
{
    pl_worker *wk = arg;
    eng_pipe *p = wk->pipe;
    pthread_setname_np(pthread_self(), "assay-check");
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->work_head && !p->stopping)
            pthread_cond_wait(&p->cv_work, &p->mu);
        eng_batch *b = p->work_head;
        if (!b) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        p->work_head = b->next;
        if (!p->work_head)
            p->work_tail = NULL;
        refresh(&wk->ctx, p->run);
        pthread_mutex_unlock(&p->mu);
        work(wk, b);
        pthread_mutex_lock(&p->mu);
        p->done[b->seq % p->npool] = b;
        pthread_cond_broadcast(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
}

/* ---- keys and error tags, from the checking code ----------------------- */

assay_status eng_pipe_key(eng_run *run, size_t set, const void *key, size_t len,
                          bool is_int, int64_t ival, int *dup, uint64_t *first)
{
    if (run->keymode == ENG_KEYS_REPLAY) {
        if (run->next_answer >= run->nanswers)
            return ASSAY_E_INTERNAL;
        *dup = run->answers[run->next_answer].dup;
        *first = run->answers[run->next_answer].first;
        run->next_answer++;
        return ASSAY_OK;
    }
    eng_batch *b = run->batch;
    *dup = 0;
    *first = 0;
    if (grow((void **)&b->keys, &b->capkeys, b->nkeys + 1, sizeof *b->keys))
        return ASSAY_E_NOMEM;
    pl_key *k = &b->keys[b->nkeys];
    k->set = set;
    k->off = b->keybytes.len;
    k->len = len;
    k->record = run->record_no;
    k->is_int = is_int;
    k->ival = ival;
    k->hash = is_int ? 0 : eng_keyset_hash(key, len);
    if (!is_int && core_buf_append(&b->keybytes, key, len))
        return ASSAY_E_NOMEM;
    b->nkeys++;
    return ASSAY_OK;
}

assay_status eng_pipe_tag(eng_run *run, size_t counter, size_t len)
{
    eng_batch *b = run->batch;
    if (grow((void **)&b->tags, &b->captags, b->ntags + 1, sizeof *b->tags))
        return ASSAY_E_NOMEM;
    b->tags[b->ntags++] = (pl_tag){counter, len};
    return ASSAY_OK;
}

/* ---- the writer ------------------------------------------------------- */

static eng_keyset *keyset_of(const eng_run *run, size_t set)
{
    return set < run->rules->nfields ? run->field_keys[set] : run->pk_keys;
}

/* Inserts the batch's keys in input order; answers[k] is key k's. */
static assay_status insert_keys(eng_pipe *p, eng_batch *b)
{
    eng_run *run = p->run;
    if (grow((void **)&p->answers, &p->capanswers, b->nkeys, sizeof *p->answers))
        return ASSAY_E_NOMEM;
    for (size_t j = 0; j < b->nkeys; j++) {
        if (j + PREFETCH_AHEAD < b->nkeys && !b->keys[j + PREFETCH_AHEAD].is_int) {
            const pl_key *a = &b->keys[j + PREFETCH_AHEAD];
            eng_keyset_prefetch(keyset_of(run, a->set), a->hash);
        }
        const pl_key *k = &b->keys[j];
        eng_answer *ans = &p->answers[j];
        assay_status st =
            k->is_int ? eng_keyset_insert_int(keyset_of(run, k->set), k->ival, k->record,
                                              &ans->dup, &ans->first)
                      : eng_keyset_insert_hashed(keyset_of(run, k->set), k->hash,
                                                 b->keybytes.data + k->off, k->len, k->record,
                                                 &ans->dup, &ans->first);
        if (st == ASSAY_E_LIMIT) {
            eng_key_limit_message(&p->writer.ctx, k->set);
            p->err = p->writer.err;
        }
        if (st)
            return st;
    }
    return ASSAY_OK;
}

static void set_open(bool *open, const char *p, size_t n)
{
    if (n)
        *open = p[n - 1] != '\n' && p[n - 1] != '\r';
}

/* Writes share k of `from`, bytes [a, z) holding tags [ta, tz). */
static assay_status write_share(eng_pipe *p, int k, const eng_batch *from, size_t a, size_t z,
                                size_t ta, size_t tz)
{
    eng_run *run = p->run;
    io_out *dst[NOUT] = {run->out, run->quar, run->errs, run->chg};
    if (!dst[k] || a >= z)
        return ASSAY_OK;
    size_t n;
    const char *data = io_out_mem_data(from->o[k], &n);
    if (k == O_ERRS && run->opts->max_errors_per_rule) {
        size_t at = a;
        for (size_t t = ta; t < tz; t++) {
            const pl_tag *tag = &from->tags[t];
            if (!eng_over_cap(run, tag->counter)) {
                assay_status st = io_out_write(dst[k], data + at, tag->len);
                if (st)
                    return st;
            }
            at += tag->len;
        }
        return ASSAY_OK;
    }
    bool fix = from == &p->scratch[0] || from == &p->scratch[1];
    if (grow((void **)&p->pieces[k], &p->cappieces[k], p->npieces[k] + 1,
             sizeof *p->pieces[k]))
        return ASSAY_E_NOMEM;
    pl_piece *pc = &p->pieces[k][p->npieces[k]];
    pc->fix = fix;
    pc->off = fix ? p->fix[k].len : a;
    pc->len = z - a;
    if (fix && core_buf_append(&p->fix[k], data + a, z - a))
        return ASSAY_E_NOMEM;
    p->npieces[k]++;
    if (k == O_OUT)
        set_open(&run->out_open, data + a, z - a);
    if (k == O_QUAR)
        set_open(&run->quar_open, data + a, z - a);
    return ASSAY_OK;
}

/* Writes the pieces write_share gathered for each output of b, and forgets
 * them. */
static assay_status write_pieces(eng_pipe *p, const eng_batch *b)
{
    eng_run *run = p->run;
    io_out *dst[NOUT] = {run->out, run->quar, run->errs, run->chg};
    assay_status st = ASSAY_OK;
    for (int k = 0; k < NOUT; k++) {
        size_t n;
        const char *share = io_out_mem_data(b->o[k], &n);
        struct iovec v[IO_OUT_GATHER_MAX];
        size_t m = 0;
        for (size_t i = 0; i < p->npieces[k] && !st; i++) {
            const pl_piece *pc = &p->pieces[k][i];
            v[m].iov_base = (void *)((pc->fix ? p->fix[k].data : share) + pc->off);
            v[m++].iov_len = pc->len;
            if (m == IO_OUT_GATHER_MAX || i + 1 == p->npieces[k]) {
                st = io_out_gather(dst[k], v, m);
                m = 0;
            }
        }
        p->npieces[k] = 0;
        core_buf_clear(&p->fix[k]);
    }
    return st;
}

/* Checks item i again: as its worker did (counters taken out), then with
 * the key sets' answers (counters put in; its output goes to scratch[1]). */
static assay_status recheck(eng_pipe *p, eng_batch *b, size_t i, const eng_answer *ans,
                            size_t nans)
{
    eng_run *run = p->run, *w = &p->writer.ctx;
    w->cur = b->in;
    w->input_label = b->input_label;
    refresh(w, run);
    for (int pass = 0; pass < 2; pass++) {
        eng_batch *s = &p->scratch[pass];
        batch_clear_results(s, run);
        bind(w, run, s, pass ? ENG_KEYS_REPLAY : ENG_KEYS_DEFER);
        w->answers = ans;
        w->nanswers = nans;
        w->next_answer = 0;
        assay_status st = check_item(w, b, &b->items[i]);
        s->st = w->st;
        if (st)
            return st;
        eng_stats_add(run->rules, &run->st, &s->st, pass ? 1 : -1);
    }
    return ASSAY_OK;
}

/* The first record at or after lo whose keys reach past key j (key_end is
 * non-decreasing). */
static size_t item_of_key(const eng_batch *b, size_t lo, size_t j)
{
    size_t hi = b->nitems;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->done[mid].key_end > j)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static assay_status write_batch(eng_pipe *p, eng_batch *b)
{
    eng_run *run = p->run;
    if (b->status) {
        p->err = b->err;
        return b->status;
    }
    for (int k = 0; k < NOUT; k++) { /* a failed batch may have left some */
        p->npieces[k] = 0;
        core_buf_clear(&p->fix[k]);
    }
    assay_status st = insert_keys(p, b);
    if (st)
        return st;
    eng_stats_add(run->rules, &run->st, &b->st, 1);
    size_t pos[NOUT] = {0}, tpos = 0, kpos = 0, spos = 0;
    /* --junit: the batch's samples go to its input's, in input order. */
    eng_samples *sink = run->reports ? eng_reports_sink(run, b->in) : NULL;
    size_t i = 0;
    for (size_t j = 0; !st; j = kpos, i++) {
        /* The next record with a duplicate key: found from the answers, so
         * the records without one are not touched here. */
        while (j < b->nkeys && !p->answers[j].dup)
            j++;
        if (j == b->nkeys)
            break;
        i = item_of_key(b, i, j);
        const pl_done *it = &b->done[i];
        size_t k0 = i ? b->done[i - 1].key_end : 0;
        kpos = it->key_end;
        /* Everything before this record, then its corrected output. */
        size_t start[NOUT], tstart = i ? b->done[i - 1].tag_end : 0;
        for (int k = 0; k < NOUT; k++)
            start[k] = i ? b->done[i - 1].end[k] : 0;
        for (int k = 0; k < NOUT && !st; k++)
            st = write_share(p, k, b, pos[k], start[k], tpos, tstart);
        if (!st && sink)
            st = eng_samples_merge(sink, &b->samples, spos, i ? b->done[i - 1].samp_end : 0);
        if (!st)
            st = recheck(p, b, i, p->answers + k0, kpos - k0);
        const eng_batch *s = &p->scratch[1];
        for (int k = 0; k < NOUT && !st; k++) {
            size_t n;
            io_out_mem_data(s->o[k], &n);
            st = write_share(p, k, s, 0, n, 0, s->ntags);
        }
        if (!st && sink)
            st = eng_samples_merge(sink, &s->samples, 0, s->samples.n);
        for (int k = 0; k < NOUT; k++)
            pos[k] = it->end[k];
        tpos = it->tag_end;
        spos = it->samp_end;
    }
    for (int k = 0; k < NOUT && !st; k++) {
        size_t n;
        io_out_mem_data(b->o[k], &n);
        st = write_share(p, k, b, pos[k], n, tpos, b->ntags);
    }
    if (!st && sink)
        st = eng_samples_merge(sink, &b->samples, spos, b->samples.n);
    if (!st)
        st = write_pieces(p, b);
    if (!st && b->flush) {
        io_out *outs[NOUT] = {run->out, run->quar, run->errs, run->chg};
        for (int k = 0; k < NOUT && !st; k++)
            if (outs[k])
                st = io_out_flush(outs[k]);
    }
    return st;
}

static void *writer_main(void *arg)
{
    eng_pipe *p = ((pl_worker *)arg)->pipe;
    pthread_setname_np(pthread_self(), "assay-write");
    for (;;) {
        pthread_mutex_lock(&p->mu);
        eng_batch *b;
        while (!(b = p->done[p->next_write % p->npool]) &&
               !(p->stopping && p->next_write == p->next_seq))
            pthread_cond_wait(&p->cv_done, &p->mu);
        if (!b) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        p->done[p->next_write % p->npool] = NULL;
        bool failed = p->status != ASSAY_OK;
        pthread_mutex_unlock(&p->mu);
        assay_status st = failed ? ASSAY_OK : write_batch(p, b);
        batch_reset(b, p->run);
        pthread_mutex_lock(&p->mu);
        if (st && !p->status)
            p->status = st;
        b->next = p->free_list;
        p->free_list = b;
        p->next_write++;
        pthread_cond_broadcast(&p->cv_free);
        pthread_mutex_unlock(&p->mu);
    }
}

/* ---- the reader's side ------------------------------------------------- */

static assay_status ctx_init(pl_worker *wk, eng_pipe *p)
{
    wk->pipe = p;
    wk->ctx = *p->run; /* the shared plan and settings; scratch of its own */
    wk->ctx.err = &wk->err;
    wk->ctx.pipe = NULL;
    memset(&wk->ctx.st, 0, sizeof wk->ctx.st);
    return eng_scratch_new(&wk->ctx);
}

assay_status eng_pipe_start(eng_run *run)
{
    unsigned n = run->opts->jobs;
    eng_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return ASSAY_E_NOMEM;
    run->pipe = p;
    p->run = run;
    p->batch_records = run->opts->batch_records ? run->opts->batch_records
                                                : BATCH_RECORDS_DEFAULT;
    for (int k = 0; k < NOUT; k++)
        core_buf_init(&p->fix[k], 0);
    p->npool = (size_t)n + 4; /* N being checked, one filling, one being written, two ready */
    p->pool = calloc(p->npool, sizeof *p->pool);
    p->done = calloc(p->npool, sizeof *p->done);
    p->workers = calloc(n, sizeof *p->workers);
    if (!p->pool || !p->done || !p->workers)
        return ASSAY_E_NOMEM;
    p->mu_ok = pthread_mutex_init(&p->mu, NULL) == 0;
    p->cv_ok = pthread_cond_init(&p->cv_work, NULL) == 0;
    p->cv_ok &= pthread_cond_init(&p->cv_done, NULL) == 0;
    p->cv_ok &= pthread_cond_init(&p->cv_free, NULL) == 0;
    if (!p->mu_ok || !p->cv_ok)
        return ASSAY_E_INTERNAL;
    for (size_t i = 0; i < p->npool; i++) {
        if (batch_init(&p->pool[i], run))
            return ASSAY_E_NOMEM;
        p->pool[i].next = p->free_list;
        p->free_list = &p->pool[i];
    }
    for (int s = 0; s < 2; s++)
        if (batch_init(&p->scratch[s], run))
            return ASSAY_E_NOMEM;
    if (ctx_init(&p->writer, p))
        return ASSAY_E_NOMEM;
    for (unsigned i = 0; i < n; i++)
        if (ctx_init(&p->workers[i], p))
            return ASSAY_E_NOMEM;
    /* The process's signals (interrupts, SIGPIPE) are the calling thread's
     * business: the threads started here inherit a mask that blocks them. */
    sigset_t block, old;
    sigemptyset(&block);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2,
                  SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&block, sigs[i]);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int e = 0;
    for (unsigned i = 0; i < n && !e; i++) {
        e = pthread_create(&p->workers[i].tid, NULL, worker_main, &p->workers[i]);
        p->workers[i].started = !e;
        p->nworkers += !e;
    }
    if (!e)
        e = pthread_create(&p->writer.tid, NULL, writer_main, &p->writer);
    p->writer.started = !e;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e) {
        snprintf(run->err->message, sizeof run->err->message,
                 "cannot start %u worker threads (-j): %s", n, strerror(e));
        return ASSAY_E_INTERNAL;
    }
    return ASSAY_OK;
}

/* Hands the reader's batch to the workers. */
static assay_status push(eng_pipe *p)
{
    eng_batch *b = p->filling;
    p->filling = NULL;
    p->drained = false;
    pthread_mutex_lock(&p->mu);
    b->seq = p->next_seq++;
    b->next = NULL;
    if (p->work_tail)
        p->work_tail->next = b;
    else
        p->work_head = b;
    p->work_tail = b;
    pthread_cond_signal(&p->cv_work);
    assay_status st = p->status;
    pthread_mutex_unlock(&p->mu);
    return st;
}

assay_status eng_pipe_add(eng_run *run, const io_record *rec)
{
    eng_pipe *p = run->pipe;
    if (p->filling && p->filling->in != run->cur) {
        assay_status st = push(p);
        if (st)
            return st;
    }
    if (!p->filling) {
        pthread_mutex_lock(&p->mu);
        while (!p->free_list)
            pthread_cond_wait(&p->cv_free, &p->mu);
        p->filling = p->free_list;
        p->free_list = p->filling->next;
        pthread_mutex_unlock(&p->mu);
        p->filling->in = run->cur;
        p->filling->input_label = run->input_label;
        /* The first batch since a drain may follow an input whose last
         * record has no line end (the writer is idle: the run's state is
         * current). Later batches follow whole records. */
        p->filling->out_open = p->drained && run->out_open;
        p->filling->quar_open = p->drained && run->quar_open;
    }
    eng_batch *b = p->filling;
    /* A record and its unescaped fields take at most twice its length plus
     * its message (big), exactly record_bytes(rec). Offsets in a batch are
     * 32-bit (pl_item). Its fields point into the batch's bytes, which must
     * not move once they hold a record: a record that does not fit goes to
     * the next batch, and an empty batch makes room for a whole batch. */
    size_t big = 2 * rec->raw_len + (rec->detail ? strlen(rec->detail) + 1 : 0);
    size_t room = b->bytes.cap - b->bytes.len;
    if (b->nitems && (big > UINT32_MAX - b->bytes.len ||
                      rec->nfields > UINT32_MAX - b->nfields ||
                      (big >= room && record_bytes(rec) >= room))) {
        assay_status st = push(p);
        if (st)
            return st;
        return eng_pipe_add(run, rec);
    }
    /* A record of gigabytes, or a piece of a record over the size limit (the
     * pieces need no checking; queued, every batch of the pool could hold
     * one, pool × max_record_bytes in memory): routed right here. */
    if (big > UINT32_MAX || rec->raw_more || rec->continued) {
        assay_status st = eng_pipe_drain(run);
        if (!st)
            st = eng_route_record(run, rec, run->cur);
        b->out_open = run->out_open; /* the writer is idle: current */
        b->quar_open = run->quar_open;
        return st;
    }
    /* BATCH_BYTES - 1: a capacity of 1 MiB with the NUL; a batch is cut
     * there anyway. A batch holding records has room (tested above). */
    if (!b->nitems) {
        size_t need = record_bytes(rec);
        assay_status rs =
            core_buf_reserve(&b->bytes, need >= BATCH_BYTES ? need : BATCH_BYTES - 1);
        if (rs)
            return rs;
    }
    uint64_t before = run->record_no;
    /* route() counts every record but a skipped blank one. */
    if (!rec->continued &&
        !(rec->kind == IO_REC_BLANK && run->rules->policy.blank_rows == RBLANK_SKIP))
        run->record_no++;
    if (batch_add(b, rec, before))
        return ASSAY_E_NOMEM;
    if (b->nitems >= p->batch_records || b->bytes.len >= BATCH_BYTES)
        return push(p);
    return ASSAY_OK;
}

assay_status eng_pipe_idle(eng_run *run, int fd)
{
    eng_pipe *p = run->pipe;
    if (!p->filling || !p->filling->nitems)
        return ASSAY_OK;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, IDLE_MS) != 0)
        return ASSAY_OK;
    p->filling->flush = true;
    return push(p);
}

assay_status eng_pipe_drain(eng_run *run)
{
    eng_pipe *p = run->pipe;
    assay_status st = ASSAY_OK;
    if (p->filling && p->filling->nitems)
        st = push(p);
    pthread_mutex_lock(&p->mu);
    while (p->next_write != p->next_seq)
        pthread_cond_wait(&p->cv_free, &p->mu);
    if (!st)
        st = p->status;
    p->drained = true;
    pthread_mutex_unlock(&p->mu);
    if (st && p->err.message[0] && !run->err->message[0])
        memcpy(run->err->message, p->err.message, sizeof run->err->message);
    return st;
}

assay_status eng_pipe_stop(eng_run *run, assay_status st)
{
    eng_pipe *p = run->pipe;
    if (!p)
        return st;
    if (p->mu_ok && p->cv_ok) {
        if (p->writer.started) {
            assay_status dst = eng_pipe_drain(run);
            if (!st)
                st = dst;
        }
        pthread_mutex_lock(&p->mu);
        p->stopping = true;
        pthread_cond_broadcast(&p->cv_work);
        pthread_cond_broadcast(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
    for (unsigned i = 0; i < p->nworkers; i++)
        pthread_join(p->workers[i].tid, NULL);
    if (p->writer.started)
        pthread_join(p->writer.tid, NULL);
    for (unsigned i = 0; p->workers && i < run->opts->jobs; i++)
        if (p->workers[i].pipe)
            eng_scratch_free(&p->workers[i].ctx);
    if (p->writer.pipe)
        eng_scratch_free(&p->writer.ctx);
    for (size_t i = 0; p->pool && i < p->npool; i++)
        batch_free(&p->pool[i], run);
    for (int s = 0; s < 2; s++)
        batch_free(&p->scratch[s], run);
    if (p->mu_ok)
        pthread_mutex_destroy(&p->mu);
    if (p->cv_ok) {
        pthread_cond_destroy(&p->cv_work);
        pthread_cond_destroy(&p->cv_done);
        pthread_cond_destroy(&p->cv_free);
    }
    for (int k = 0; k < NOUT; k++) {
        free(p->pieces[k]);
        core_buf_free(&p->fix[k]);
    }
    free(p->pool);
    free(p->done);
    free(p->workers);
    free(p->answers);
    free(p);
    run->pipe = NULL;
    return st;
}
