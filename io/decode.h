/* io/decode.h — input encodings: decide what an input is written in, and
 * convert it to UTF-8 on the way into a reader (see docs/encodings.md).
 *
 * A decoder sits between a byte source and a reader:
 *
 *     raw source --io_read_fn--> io_decode --io_decode_read--> io_csv_reader
 *
 * io_decode_new peeks at the first IO_DECODE_SAMPLE bytes of the source
 * (a pipe works: the sample is kept and handed to the reader first, nothing is
 * lost) and decides the encoding: a BOM; else UTF-8 when the sample is (nearly)
 * valid UTF-8; else ICU charset detection. An explicit name goes to an ICU
 * converter instead.
 *
 * UTF-8 input passes through untouched (no copy beyond the reader's own): the
 * reader sees the input's bytes, and a record's raw bytes are the input's.
 *
 * Any other encoding is converted in chunks with an ICU converter whose
 * callbacks stop at an undecodable sequence. Each such sequence becomes ONE
 * byte 0xFF in the UTF-8 stream (IO_DECODE_MARK). 0xFF is never valid UTF-8
 * and never a delimiter, quote or line break, so the record that holds it is
 * flagged bad_utf8 by the reader (rule `encoding`) and its structure is not
 * disturbed. For the source bytes behind a mark, ask io_decode_source_span
 * for the converted byte range [at, at + 1).
 *
 * The decoder keeps a map from converted offsets back to source offsets, and
 * the source bytes of the records the reader may still hand out, so that the
 * quarantine can hold a record's ORIGINAL bytes. The engine releases what it
 * has routed (io_decode_release); memory stays bounded by the reader's window.
 *
 * Threads: a decoder is not thread-safe; its reader and the calls below
 * belong to one thread (copy a record's span with the record if routing
 * happens elsewhere).
 *
 * Ownership: a decoder owns nothing of the raw source (the caller closes it).
 * Spans returned by io_decode_source_span are borrowed until the next call to
 * io_decode_read, io_decode_release or io_decode_free. */
#ifndef ASSAY_IO_DECODE_H
#define ASSAY_IO_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assay/assay.h"
#include "core/buf.h"
#include "io/csv_reader.h"

/* Bytes peeked to decide an encoding (SPEC §1: the first 64 KiB). */
#define IO_DECODE_SAMPLE ((size_t)64 * 1024)
/* The byte that stands for one undecodable source sequence. */
#define IO_DECODE_MARK 0xFF

typedef enum io_decided_by {
    IO_DECIDED_BOM = 0,     /* a byte order mark */
    IO_DECIDED_UTF8_VALID,  /* the sample is (nearly) valid UTF-8 */
    IO_DECIDED_DETECTED,    /* ICU charset detection; see confidence */
    IO_DECIDED_DECLARED,    /* --encoding or the rules' encoding */
    IO_DECIDED_FALLBACK     /* detection found nothing usable: UTF-8 */
} io_decided_by;

/* What was decided for one input. */
typedef struct io_decoding {
    char name[64];          /* for people and stats: "UTF-8", "windows-1252",
                               "UTF-16LE", "Shift_JIS" (IANA name when ICU
                               knows one) */
    char canon[64];         /* ICU's canonical converter name: equal for two
                               inputs exactly when they share one encoding */
    io_decided_by decided_by;
    int confidence;         /* 0-100: ICU's confidence when detected; 100
                               otherwise (0 for fallback) */
    bool utf8;              /* UTF-8: the pass-through path */
    size_t bom_len;         /* bytes of BOM at the start of the source (0, 2,
                               3 or 4); a non-UTF-8 BOM reaches the reader as
                               the UTF-8 BOM EF BB BF, which it strips from the
                               first label as it always has */
    size_t sample_invalid;  /* auto: bytes of the sample that are not UTF-8 */
    size_t sample_multi;    /* auto: valid multi-byte UTF-8 sequences in it */
    size_t sample_len;      /* bytes peeked */
} io_decoding;

typedef struct io_decode io_decode;

/* Peeks at raw_read's first bytes and decides the encoding: `encoding` is
 * "auto" (or NULL, or "") for the rules of SPEC §1, else a name that ICU
 * knows (windows-1252, ISO-8859-15, Shift_JIS, EUC-JP, GB18030, Big5, KOI8-R,
 * UTF-16, UTF-16LE, UTF-32BE, ...). Returns ASSAY_E_USAGE for a name that ICU
 * does not know or a stateful encoding (ISO-2022-*, UTF-7, HZ...), with a
 * message for people in err; ASSAY_E_IO when the source fails (errno in the
 * message); ASSAY_E_NOMEM. */
assay_status io_decode_new(io_read_fn raw_read, void *raw_ctx, const char *encoding,
                           io_decode **out, assay_error *err);
void io_decode_free(io_decode *d);

/* The decision. Valid for the decoder's lifetime. */
const io_decoding *io_decode_info(const io_decode *d);
/* "bom", "utf8-valid", "detected", "declared", "fallback". */
const char *io_decided_by_name(io_decided_by by);

/* The reader's source: an io_read_fn with ctx = the decoder. Hands out UTF-8.
 * Returns -1 with errno set when the raw source fails (its errno) or memory
 * runs out (ENOMEM). */
ptrdiff_t io_decode_read(void *dec, char *buf, size_t cap);

/* True for UTF-8 input: records' raw bytes ARE the source bytes, so the engine
 * writes rec.raw to the quarantine as before and needs no span or release. */
/* The bytes peeked at and not handed out yet (in the source's encoding), for
 * sniffing a format; *n may be 0. */
const char *io_decode_peek(const io_decode *d, size_t *n);

/* True when io_decode_read can return bytes without reading the source. */
bool io_decode_pending(const io_decode *d);
bool io_decode_is_utf8(const io_decode *d);

/* Source bytes behind converted bytes. */
typedef struct io_span {
    uint64_t offset;     /* source offset of the first byte */
    size_t len;          /* source bytes */
    const char *bytes;   /* the bytes; NULL on the UTF-8 path (use rec.raw:
                            there offset and len equal the converted ones) */
} io_span;

/* The source bytes of converted bytes [conv_off, conv_off + conv_len): for a
 * record, conv_off = rec.offset and conv_len = rec.raw_len. A boundary that
 * falls inside a character's converted bytes counts as that character's
 * start, so the spans of consecutive pieces always add up to the source.
 * The span of the first record starts at source offset 0 (the source BOM
 * included). ASSAY_E_INTERNAL when the range was released or not yet read. */
assay_status io_decode_source_span(const io_decode *d, uint64_t conv_off, size_t conv_len,
                                   io_span *out);

/* The engine has routed every byte before converted offset conv_upto (after
 * a record: rec.offset + rec.raw_len): their source bytes may be dropped.
 * Without releases the decoder keeps every source byte it read. */
void io_decode_release(io_decode *d, uint64_t conv_upto);

/* Keep no source bytes at all (for callers that never quarantine, such as
 * profiling): io_decode_source_span then fails. Call before the first read. */
void io_decode_keep_source(io_decode *d, bool keep);

/* Appends UTF-8 text converted to the source's encoding to out (a
 * character the encoding lacks becomes its substitution byte): for text that
 * the engine adds to a quarantine of non-UTF-8 input, such as --annotate's
 * columns. On the UTF-8 path the text is appended as is. */
assay_status io_decode_to_source(const io_decode *d, const char *utf8, size_t n,
                                 core_buf *out);

/* Undecodable sequences met so far (each one IO_DECODE_MARK in the stream);
 * always 0 on the UTF-8 path, where the reader's bad_utf8 says it. */
uint64_t io_decode_invalid_sequences(const io_decode *d);

/* Source bytes the decoder holds now (tests check that releases bound it). */
size_t io_decode_window(const io_decode *d);

/* SPEC §4a: several inputs must resolve to one encoding. True when b shares
 * a's encoding; else false and msg (when given) says, for people, e.g.
 * 'b.csv is windows-1252 (detected, confidence 61%) but a.csv is UTF-8 (valid
 * UTF-8); all inputs must share one encoding: convert them, or pass
 * --encoding'. The names label the inputs in the message. */
bool io_decode_same(const io_decoding *a, const char *name_a, const io_decoding *b,
                    const char *name_b, char *msg, size_t msg_cap);

/* ---- inside io/ (detect.c; tests) ----------------------------------------- */

/* Decides from the sample s[0..n) (eof: the input ends there). */
assay_status io_decide(const char *s, size_t n, bool eof, const char *encoding,
                       io_decoding *dec, assay_error *err);
/* Counts the bytes of s[0..n) that are not valid UTF-8 and the valid
 * multi-byte sequences. A sequence cut by the end of a sample that is not the
 * end of input is not counted. */
void io_utf8_census(const char *s, size_t n, bool eof, size_t *invalid, size_t *multi);

#endif
