/* io/xml_internal.h — internal to the XML reader: its state and what its
 * three files share. Nothing here is part of libassay's interface.
 *
 *   xml_reader.c  setup, teardown, handing records out (io_xml_next) and the
 *                 head and tail;
 *   xml_scan.c    the block buffer, line counting, the bytes between records,
 *                 and the span scanner that cuts the records out;
 *   xml_fields.c  the paths' trie, the libxml2 well-formedness check of a
 *                 record (with its error message), and the walker that reads
 *                 the fields' values, spans and extras from a record's bytes.
 *
 * Every function takes the reader; those that fail set r->err through
 * io_xml_fail and return its status. */
#ifndef ASSAY_IO_XML_INTERNAL_H
#define ASSAY_IO_XML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>

#include "assay/assay.h"
#include "core/buf.h"
#include "io/csv_reader.h"
#include "io/doc.h"
#include "io/xml_reader.h"

#define XR_MIB ((size_t)1 << 20)
#define XR_LIMIT_MAX ((size_t)1 << 30) /* libxml2 takes an int length */
#define XR_NAME_MAX 1024     /* longer element names are stacked as unknown */
#define XR_STACK_MAX 65536   /* levels with a name; deeper ones are counted */
#define XR_NAMES_MAX (4 * XR_MIB)
#define XR_DECLS_MAX XR_MIB  /* xmlns declarations kept for the wrapper */
#define XR_DICT_MAX 100000   /* names libxml2 may intern before a new context */
#define XR_WRAP "_"          /* the wrapper element's name */

/* Scanner states. */
enum {
    X_TEXT, X_LT, X_BANG, X_COMMENT, X_CDATA, X_PI, X_DECL, X_DECL_Q,
    X_DT, X_DT_Q, X_DT_LT, X_DT_BANG, X_STAG_NAME, X_STAG, X_ATTQ,
    X_ETAG_NAME, X_ETAG
};

typedef struct xr_level {
    size_t noff, nlen; /* the name in the names arena */
    bool known;        /* the name was kept */
    bool path;         /* the element lies on record_path (an ancestor) */
    size_t ndecl;      /* path: xmlns declarations before its own */
} xr_level;

typedef struct xr_decl {
    size_t off, nlen, len; /* "name=QvalueQ" in decls, name length */
} xr_decl;

/* A node of the paths' trie: 0 is the record element. */
typedef struct xr_node {
    const char *name;
    size_t nlen;
    int parent;
    uint64_t gen;      /* the record in which the node was last resolved */
    bool attrs, elems; /* some path reads an attribute / the element */
} xr_node;

typedef struct xr_path {
    int node;          /* -1: never resolves */
    const char *attr;  /* an attribute of node, else the element itself */
    size_t alen;
} xr_path;

typedef struct xr_frame {
    int node;
    size_t cstart, nchild;
    size_t extra;      /* 1 + index in extra, or 0 */
} xr_frame;

typedef struct xr_xerr {
    bool set;
    int code, line, col, int1;
    char msg[200], s1[96], s2[96];
} xr_xerr;

/* The reader. Setup and teardown aside, the scanner's and open elements'
 * fields belong to xml_scan.c, the libxml2 and field ones to xml_fields.c;
 * the buffer, the lines, the record being cut and the head, tail and gap
 * are shared between the scanner and the hand-out in xml_reader.c. */
struct io_xml_reader {
    io_read_fn read;
    void *ctx;
    size_t limit, block;
    assay_error *err;
    /* record_path */
    char *rpath;
    size_t *seg_off, *seg_len, rd;
    /* the buffer: [keep, end) held, scan the next byte to look at */
    char *buf;
    size_t cap, bufmax, scan, end;
    uint64_t boff;      /* stream offset of buf[0] */
    bool eof, done;
    /* lines: counted up to buf[lc] */
    size_t lc;
    uint64_t line, line_start;
    bool prev_cr;
    /* the scanner */
    int st, ret, k, dt;
    const char *want;
    char q;
    bool slash, collect, in_xmlns, aname_done, onpath, is_rec_tag;
    size_t tag_start;
    core_buf name;
    bool name_long;
    char aname[XR_NAME_MAX];
    size_t alen, decl_mark, ndecl_before, dent_nlen;
    /* open elements */
    xr_level *stack;
    size_t nstack, deep, depth, pmatch;
    core_buf names;
    core_buf decls;
    xr_decl *dent;
    size_t ndecl, dcap;
    uint64_t decl_gen, wrap_gen;
    /* the record being cut */
    bool in_rec, pieces, ended; /* ended: rec_end is known */
    size_t rec_start, piece_start, rec_end, mark;
    uint64_t rec_line, rec_col;
    char detail[360];
    /* head, tail, the bytes since the last record */
    core_buf gap, head, tail;
    bool gap_over, matched, has_elements;
    uint64_t nrec;
    /* libxml2 */
    xmlParserCtxtPtr px;
    core_buf wrap, prefix;
    xr_xerr e_first, e_ent;
    /* fields */
    char *pstore;
    xr_node *nodes;
    size_t nnodes;
    xr_path *paths;
    size_t npaths;
    uint64_t gen;
    io_slice *fields;
    io_docval *vals;
    bool *in_arena;
    size_t *aoff;
    core_buf arena;
    io_docextra *extra;
    size_t nextra, xcap;
    xr_frame *frames;
    size_t fcap;
    io_doc doc;
};

static inline bool xr_is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool xr_name_start(unsigned char c)
{
    unsigned char l = c | 0x20;
    return (l >= 'a' && l <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

static inline bool xr_name_stop(unsigned char c)
{
    return xr_is_ws(c) || c == '/' || c == '>' || c == '<' || c == '=';
}

static inline bool xr_mem_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* ---- xml_reader.c -------------------------------------------------------- */

/* Sets r->err (when there is one) to st and the message; returns st. */
assay_status io_xml_fail(io_xml_reader *r, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- xml_scan.c ---------------------------------------------------------- */

/* Counts the line breaks in buf up to buf[upto] (r->line, r->line_start). */
void io_xml_count_lines(io_xml_reader *r, size_t upto);

/* Moves buf[mark, upto) to the gap, the bytes between records. */
assay_status io_xml_flush_gap(io_xml_reader *r, size_t upto);

/* Reads the next block after buf[end), making room first (r->eof at the end
 * of input). */
assay_status io_xml_refill(io_xml_reader *r);

/* Runs the scanner over buf[scan, lim); stops early when a record starts or
 * ends (*done, rec_end set). */
assay_status io_xml_scan(io_xml_reader *r, size_t lim, bool *done);

/* Where an unclosed record's input ended, for its message: ", inside a
 * comment" and the like, or "". */
const char *io_xml_scan_inside(int st);

/* ---- xml_fields.c -------------------------------------------------------- */

/* Builds the paths' trie and the per-path arrays (fields, vals...). */
assay_status io_xml_compile_paths(io_xml_reader *r, const char *const *paths, size_t np);

/* A fresh libxml2 parser context in r->px (the old one freed). */
assay_status io_xml_new_parser(io_xml_reader *r);

/* The wrapper's start tag in r->prefix, from the declarations in scope. */
assay_status io_xml_build_prefix(io_xml_reader *r);

/* Whether raw[0, n), inside the wrapper, is a well-formed record (*ok);
 * the errors libxml2 reported are kept for io_xml_judge_error. */
assay_status io_xml_check(io_xml_reader *r, const char *raw, size_t n, bool *ok);

/* A record io_xml_check refused: its kind and detail. */
void io_xml_judge_error(io_xml_reader *r, io_record *rec);

/* Reads the fields of the well-formed record rec->raw: rec->fields and
 * rec->doc; kind IO_REC_OK. */
assay_status io_xml_extract(io_xml_reader *r, io_record *rec);

#endif
