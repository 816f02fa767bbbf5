/* engine/profile_par.c — `assay profile -j N`: the per-value work on N
 * worker threads.
 *
 *   reader (the calling thread)   reads and splits records, finds each
 *                                 value's field (discovering new ones), and
 *                                 copies the value's bytes into the current
 *                                 batch with its field and record number
 *   N workers                     batch i goes to worker i mod N, which adds
 *                                 its values to its own accumulators (hashes,
 *                                 sketches, types, dates, shapes), made as the
 *                                 fields it meets appear
 *   the reader, in batch order    folds each batch's means and M2s into the
 *                                 run's fields before its slot is reused
 *   at the end                    the workers' fields are merged into the
 *                                 run's, worker 0 first (prof_field_merge)
 *
 * A batch ends after --batch-records records (PROF_PAR_RECORDS), or sooner
 * past PROF_PAR_VALUES values or PROF_PAR_BYTES of them (prof_batch_full):
 * where depends only on the input, so a given N gives the same sketches
 * every run, and every count, minimum, maximum, mean and standard
 * deviation is the one -j 0 finds. Top values and shapes are sampled by
 * record number (the values of the first records of the run), not per
 * worker. A fixed ring of batches bounds memory: the reader waits for the
 * oldest one when the workers fall behind. */
#define _GNU_SOURCE 1 /* pthread_setname_np */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/profile_int.h"

enum { PP_NULL = 1, PP_JSON_NULL = 2, PP_UTF8 = 4 };

typedef struct pp_val {
    uint32_t field;        /* < PROF_MAX_FIELDS */
    uint32_t flags;
    uint64_t record;
    size_t off, len;
} pp_val;

/* A field's mean and M2 over the numbers of one batch. */
typedef struct pp_part {
    size_t field;
    uint64_t n;
    double mean, m2;
} pp_part;

typedef struct pp_batch {
    core_buf bytes;
    pp_val *vals;
    size_t nvals, capvals;
    size_t nrecords;
    pp_part *parts;        /* written by the worker, folded by the reader */
    size_t nparts, capparts;
    bool busy;             /* queued or being worked on */
    struct pp_batch *next;
} pp_batch;

typedef struct pp_worker {
    prof_par *par;
    prof_field *fields;    /* this worker's accumulators, by the run's index */
    size_t nfields, capfields;
    pp_batch *head, *tail; /* batches queued for this worker */
    pthread_cond_t cv;
    pthread_t tid;
    bool started, cv_made;
    bool failed;           /* out of memory: later batches are skipped */
} pp_worker;

struct prof_par {
    const prof_ctx *ctx;
    const rules_field **rf; /* per field: its rules' field; written by the reader
                               before a batch naming the field is queued */
    size_t nknown;
    pthread_mutex_t mu;
    pthread_cond_t freed;
    pp_batch *pool;        /* a ring: batch number s is pool[s % npool] */
    size_t npool;
    pp_worker *workers;
    unsigned nworkers;
    uint64_t seq;          /* the batch being filled */
    uint64_t folded;       /* batches before this one are folded and free */
    bool done, failed;
};

/* Makes the worker's fields up to n (their accumulators empty). 0, -1. */
static int grow_fields(pp_worker *w, size_t n)
{
    if (n > w->capfields) {
        size_t cap = w->capfields ? w->capfields : 16;
        while (cap < n)
            cap *= 2;
        prof_field *nf = realloc(w->fields, cap * sizeof *nf);
        if (!nf)
            return -1;
        w->fields = nf;
        w->capfields = cap;
    }
    while (w->nfields < n) {
        prof_field *f = &w->fields[w->nfields];
        int rc = prof_field_init(f, w->par->ctx, "", 0, w->par->rf[w->nfields]);
        w->nfields++; /* freed with the others, even half made */
        if (rc)
            return -1;
    }
    return 0;
}

/* The batch's means and M2s, taken out of the worker's fields. 0, -1. */
static int take_parts(pp_worker *w, pp_batch *b)
{
    b->nparts = 0;
    for (size_t k = 0; k < w->nfields; k++) {
        prof_field *f = &w->fields[k];
        if (!f->bn)
            continue;
        if (b->nparts == b->capparts) {
            size_t cap = b->capparts ? b->capparts * 2 : 16;
            pp_part *np = realloc(b->parts, cap * sizeof *np);
            if (!np)
                return -1;
            b->parts = np;
            b->capparts = cap;
        }
        b->parts[b->nparts++] = (pp_part){k, f->bn, f->bmean, f->bm2};
        f->bn = 0;
        f->bmean = f->bm2 = 0;
    }
    return 0;
}

static int work(pp_worker *w, pp_batch *b)
{
    const char *base = b->bytes.data ? b->bytes.data : "";
    for (size_t i = 0; i < b->nvals; i++) {
        const pp_val *v = &b->vals[i];
        if (v->field >= w->nfields && grow_fields(w, v->field + 1))
            return -1;
        if (prof_field_add(&w->fields[v->field], w->par->ctx,
                           v->flags & PP_NULL ? NULL : base + v->off, v->len,
                           (v->flags & PP_JSON_NULL) != 0, (v->flags & PP_UTF8) != 0,
                           v->record))
            return -1;
    }
    return take_parts(w, b);
}

static void *worker_main(void *arg)
{
    pp_worker *w = arg;
    prof_par *p = w->par;
    pthread_setname_np(pthread_self(), "assay-profile");
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!w->head && !p->done)
            pthread_cond_wait(&w->cv, &p->mu);
        pp_batch *b = w->head;
        if (!b)
            break; /* done, and nothing left */
        w->head = b->next;
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        bool bad = !w->failed && work(w, b) != 0;
        pthread_mutex_lock(&p->mu);
        if (bad) {
            w->failed = true;
            p->failed = true;
        }
        b->busy = false;
        pthread_cond_signal(&p->freed);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void batch_reset(pp_batch *b)
{
    core_buf_clear(&b->bytes);
    b->nvals = 0;
    b->nrecords = 0;
    b->nparts = 0;
}

/* Waits for the oldest batch not folded, folds its means and M2s into the
 * run's fields and frees it. */
static assay_status fold_oldest(prof_run *run)
{
    prof_par *p = run->par;
    pp_batch *b = &p->pool[p->folded % p->npool];
    pthread_mutex_lock(&p->mu);
    while (b->busy && !p->failed)
        pthread_cond_wait(&p->freed, &p->mu);
    bool failed = p->failed;
    pthread_mutex_unlock(&p->mu);
    if (failed)
        return ASSAY_E_NOMEM;
    for (size_t i = 0; i < b->nparts; i++)
        prof_field_fold(&run->fields[b->parts[i].field], b->parts[i].n, b->parts[i].mean,
                        b->parts[i].m2);
    batch_reset(b);
    p->folded++;
    return ASSAY_OK;
}

/* Queues the batch being filled for its worker. */
static void dispatch(prof_par *p)
{
    pp_batch *b = &p->pool[p->seq % p->npool];
    pp_worker *w = &p->workers[p->seq % p->nworkers];
    pthread_mutex_lock(&p->mu);
    b->busy = true;
    b->next = NULL;
    if (w->tail)
        w->tail->next = b;
    else
        w->head = b;
    w->tail = b;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&p->mu);
    p->seq++;
}

static void par_free(prof_par *p)
{
    for (unsigned i = 0; p->workers && i < p->nworkers; i++) {
        pp_worker *w = &p->workers[i];
        for (size_t k = 0; k < w->nfields; k++)
            prof_field_free(&w->fields[k]);
        free(w->fields);
        if (w->cv_made)
            pthread_cond_destroy(&w->cv);
    }
    free(p->workers);
    for (size_t i = 0; p->pool && i < p->npool; i++) {
        core_buf_free(&p->pool[i].bytes);
        free(p->pool[i].vals);
        free(p->pool[i].parts);
    }
    free(p->pool);
    free(p->rf);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* Stops the workers (they finish what is queued) and waits for them. */
static void stop(prof_par *p)
{
    pthread_mutex_lock(&p->mu);
    p->done = true;
    for (unsigned i = 0; i < p->nworkers; i++)
        pthread_cond_signal(&p->workers[i].cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nworkers; i++)
        if (p->workers[i].started)
            pthread_join(p->workers[i].tid, NULL);
}

assay_status prof_par_start(prof_run *run, unsigned jobs)
{
    prof_par *p = calloc(1, sizeof *p);
    if (!p)
        return ASSAY_E_NOMEM;
    if (pthread_mutex_init(&p->mu, NULL)) {
        free(p);
        return ASSAY_E_NOMEM;
    }
    if (pthread_cond_init(&p->freed, NULL)) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return ASSAY_E_NOMEM;
    }
    p->ctx = &run->ctx;
    p->npool = 2 * (size_t)jobs + 2;
    p->rf = calloc(PROF_MAX_FIELDS, sizeof *p->rf);
    p->pool = calloc(p->npool, sizeof *p->pool);
    p->workers = calloc(jobs, sizeof *p->workers);
    if (!p->rf || !p->pool || !p->workers) {
        par_free(p);
        return ASSAY_E_NOMEM;
    }
    for (size_t i = 0; i < p->npool; i++)
        core_buf_init(&p->pool[i].bytes, 0);
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
    for (unsigned i = 0; i < jobs && !e; i++) {
        pp_worker *w = &p->workers[i];
        w->par = p;
        e = pthread_cond_init(&w->cv, NULL);
        w->cv_made = !e;
        p->nworkers += !e;
        if (!e)
            e = pthread_create(&w->tid, NULL, worker_main, w);
        w->started = !e;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    run->par = p;
    if (e) {
        snprintf(run->err->message, sizeof run->err->message,
                 "cannot start %u worker threads (-j): %s", jobs, strerror(e));
        prof_par_finish(run, false);
        return ASSAY_E_NOMEM;
    }
    return ASSAY_OK;
}

assay_status prof_par_value(prof_run *run, size_t field, const char *v, size_t n,
                            bool null_json, bool utf8_known)
{
    prof_par *p = run->par;
    pp_batch *b = &p->pool[p->seq % p->npool];
    while (p->nknown < run->nfields) { /* fields found since: their rules */
        p->rf[p->nknown] = run->fields[p->nknown].rf;
        p->nknown++;
    }
    if (b->nvals == b->capvals) {
        size_t cap = b->capvals ? b->capvals * 2 : 4096;
        pp_val *nv = realloc(b->vals, cap * sizeof *nv);
        if (!nv)
            return ASSAY_E_NOMEM;
        b->vals = nv;
        b->capvals = cap;
    }
    pp_val *pv = &b->vals[b->nvals];
    pv->field = (uint32_t)field;
    pv->record = run->rec_no;
    pv->off = b->bytes.len;
    pv->len = n;
    pv->flags = (v ? 0 : PP_NULL) | (null_json ? PP_JSON_NULL : 0) | (utf8_known ? PP_UTF8 : 0);
    if (v && n && core_buf_append(&b->bytes, v, n))
        return ASSAY_E_NOMEM;
    b->nvals++;
    return ASSAY_OK;
}

assay_status prof_par_record(prof_run *run)
{
    prof_par *p = run->par;
    pp_batch *b = &p->pool[p->seq % p->npool];
    b->nrecords++;
    if (!prof_batch_full(run, b->nrecords, b->nvals, b->bytes.len))
        return ASSAY_OK;
    dispatch(p);
    /* the next batch's slot: free once the batch before in it is folded */
    while (p->seq - p->folded >= p->npool) {
        assay_status st = fold_oldest(run);
        if (st)
            return st;
    }
    return ASSAY_OK;
}

assay_status prof_par_finish(prof_run *run, bool ok)
{
    prof_par *p = run->par;
    if (!p)
        return ASSAY_OK;
    if (ok && p->pool[p->seq % p->npool].nrecords)
        dispatch(p);
    stop(p);
    assay_status st = p->failed ? ASSAY_E_NOMEM : ASSAY_OK;
    while (ok && !st && p->folded < p->seq)
        st = fold_oldest(run);
    for (unsigned i = 0; ok && !st && i < p->nworkers; i++) {
        pp_worker *w = &p->workers[i];
        for (size_t k = 0; !st && k < w->nfields; k++)
            if (prof_field_merge(&run->fields[k], &w->fields[k], &run->ctx))
                st = ASSAY_E_NOMEM;
    }
    par_free(p);
    run->par = NULL;
    return st;
}
