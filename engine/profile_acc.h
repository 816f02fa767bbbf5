/* engine/profile_acc.h — what `assay profile` keeps of one field: counts,
 * type candidates, numeric accumulators and sketches, fed one value at a time
 * (engine/profile_acc.c), and turned into the field object of the profile
 * document (docs/profile-format.md).
 *
 * Memory per field is bounded whatever the stream's length: the sketches
 * (stats/hll.h, stats/kll.h, stats/topk.h) have fixed capacities, and the
 * texts kept (lexicographic min and max) are cut to PROF_TEXT_MAX bytes. */
#ifndef ASSAY_ENGINE_PROFILE_ACC_H
#define ASSAY_ENGINE_PROFILE_ACC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"
#include "rules/rules.h"
#include "stats/hll.h"
#include "stats/kll.h"
#include "stats/topk.h"
#include "validators/datefmt.h"
#include "validators/datetime.h"

#define PROF_TOP_CAPACITY 1000     /* Space-Saving counters of top values */
#define PROF_SHAPE_CAPACITY 64     /* ... of shapes */
#define PROF_SHAPES_AFTER 100000   /* shapes: the values of the first records */
#define PROF_TOP_AFTER 100000      /* top values: the values of the first records */
#define PROF_SHAPE_MAX 64          /* bytes of a shape before it is cut */
#define PROF_TOP_LIST 10           /* values listed in "top" and "shapes" */
#define PROF_TEXT_MAX 200          /* bytes kept of a value text */

/* The temporal kinds a value may read as. */
enum { PROF_DATE = 0, PROF_DATETIME, PROF_TIME, PROF_KINDS };

/* Shared by every field of a run; read-only once built. */
typedef struct prof_ctx {
    const char *const *tokens; /* missing tokens matched against texts */
    const size_t *toklens;
    size_t ntok;
    uint64_t tok_len_mask;     /* bit n: some token is n bytes (n < 63) */
    size_t slot_empty, slot_null; /* token slots of a JSON null / an XML empty
                                     element ("" and "null"): may be past ntok */
    size_t nslots;             /* ntok and the extra slots */
    const char *const *slot_names;
    val_datefmts *fmts[PROF_KINDS]; /* the formats tried (docs/profile.md) */
    uint64_t shapes_after, top_after;
    int64_t now_us;
} prof_ctx;

/* A temporal value's order: (a, b) compared in turn. */
typedef struct prof_tkey {
    int64_t a, b;
} prof_tkey;

typedef struct prof_field {
    char *name;
    size_t name_len;
    const rules_field *rf;      /* with -r: the rules' field of this name */
    val_date_worker *rw;        /* its formats' parser (a temporal field) */
    int rkind;                  /* its temporal kind, -1: none */
    uint64_t *rfmt;             /* per format of rf: values it read */
    val_date_worker *w[PROF_KINDS];
    uint64_t *fmt[PROF_KINDS];  /* per format tried: values it read */
    uint64_t count, missing;
    uint64_t *miss;             /* per token slot */
    uint64_t t_int, t_num, t_bool, t_kind[PROF_KINDS], t_str;
    /* numeric: every value that reads as a finite number. The mean and M2
     * are kept per batch of records (bn, bmean, bm2: Welford's update) and
     * folded into the run's (fn, mean, m2) at the end of each batch, in
     * batch order (prof_field_end_batch), so that every -j gives the same
     * bits. */
    uint64_t ncount;
    double nmin, nmax;
    uint64_t bn, fn;
    double bmean, bm2, mean, m2;
    stats_kll *kll;
    /* temporal, per kind */
    bool thas[PROF_KINDS];
    prof_tkey tkmin[PROF_KINDS], tkmax[PROF_KINDS];
    uint64_t trec_min[PROF_KINDS], trec_max[PROF_KINDS]; /* their records: ties
                                   (one instant, two offsets) go to the first */
    val_dt tmin[PROF_KINDS], tmax[PROF_KINDS];
    /* text */
    bool has_text;
    char *text_min, *text_max;  /* PROF_TEXT_MAX + 1 bytes each */
    size_t text_min_n, text_max_n;
    uint64_t len_min, len_max, len_sum;
    stats_distinct *distinct;
    stats_topk *top, *shapes;
    uint64_t shapes_seen, top_seen;
    uint64_t ws_lead, ws_trail, non_ascii, invalid;
} prof_field;

/* Builds the shared formats; ASSAY_E_NOMEM or ASSAY_E_INTERNAL (a format of
 * the fixed lists did not compile: err says which). */
assay_status prof_ctx_formats(prof_ctx *c, assay_error *err);
void prof_ctx_free_formats(prof_ctx *c);

/* 0, or -1 out of memory (then prof_field_free still works). */
int prof_field_init(prof_field *f, const prof_ctx *c, const char *name, size_t n,
                    const rules_field *rf);
void prof_field_free(prof_field *f);

/* A value of the field. p NULL: a JSON null (null_kind true) or an XML empty
 * element: missing. utf8_checked: the record is known to be valid UTF-8.
 * record: the record's number in the run (0 the first of the first input):
 * the values of records before c->top_after (c->shapes_after) are counted
 * in the top values (shapes), whichever thread adds them. 0, or -1 out of
 * memory. */
int prof_field_add(prof_field *f, const prof_ctx *c, const char *p, size_t n, bool null_json,
                   bool utf8_known, uint64_t record);

/* A batch of records ended: its mean and M2 are folded into the run's. */
void prof_field_end_batch(prof_field *f);
/* Folds the mean and M2 of n more values (Chan et al.'s pairwise update). */
void prof_field_fold(prof_field *f, uint64_t n, double mean, double m2);

/* Adds what src gathered to dst, as if src's values had come after dst's
 * (both made for the same field by prof_field_init): counts, minima and
 * maxima, lengths and formats exactly; mean and M2 folded (src's run
 * moments, then its batch's); the sketches merged. 0, or -1 out of memory. */
int prof_field_merge(prof_field *dst, const prof_field *src, const prof_ctx *c);

/* "integer", "number", "boolean", "date", "datetime", "time", "string". */
const char *prof_field_inferred(const prof_field *f);

/* The field object of the document; NULL out of memory. */
json_t *prof_field_json(const prof_field *f, const prof_ctx *c);

/* The kind (PROF_DATE...) of the rules type, -1 when not temporal. */
int prof_kind_of_type(rules_type t);

#endif
