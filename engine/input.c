/* engine/input.c — opening the inputs of a run, shared by check and profile:
 * the files (or standard input), their decompression (io/compress.h), their
 * decoders (io/decode.h: every encoding decided before any record is read,
 * and all inputs agreeing on one), and the input format from a file name or
 * from the first bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/engine.h"
#include "io/compress.h"
#include "io/decode.h"

bool eng_is_stdin(const char *name)
{
    return !name || strcmp(name, "-") == 0;
}

const char *eng_path_ext(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : NULL;
}

/* The extension that names a format: "csv" of data.csv and of data.csv.gz
 * (*len: its length; the name may go on with a compression suffix). */
static const char *format_ext(const char *path, size_t *len)
{
    const char *ext = eng_path_ext(path);
    if (!ext)
        return NULL;
    *len = strlen(ext);
    if (strcasecmp(ext, "gz") && strcasecmp(ext, "zst"))
        return ext;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *end = ext - 1, *dot = end;
    while (dot > base && dot[-1] != '.')
        dot--;
    if (dot <= base + 1)
        return NULL;
    *len = (size_t)(end - dot);
    return dot;
}

assay_format eng_format_by_name(const char *path)
{
    static const struct { const char *ext; assay_format f; } names[] = {
        {"csv", ASSAY_FMT_CSV}, {"tsv", ASSAY_FMT_TSV}, {"tab", ASSAY_FMT_TSV},
        {"ndjson", ASSAY_FMT_NDJSON}, {"jsonl", ASSAY_FMT_NDJSON}, {"json", ASSAY_FMT_JSON},
        {"xml", ASSAY_FMT_XML}};
    size_t n = 0;
    const char *ext = path && !eng_is_stdin(path) ? format_ext(path, &n) : NULL;
    for (size_t k = 0; ext && k < sizeof names / sizeof names[0]; k++)
        if (strlen(names[k].ext) == n && strncasecmp(ext, names[k].ext, n) == 0)
            return names[k].f;
    return ASSAY_FMT_AUTO;
}

/* No format given and no extension that names one: the first bytes decide
 * ('{' NDJSON, '[' a JSON array, '<' XML, else CSV). The decoder peeked at
 * them; nothing is consumed, so standard input works. */
assay_format eng_format_sniff(const eng_input *in)
{
    size_t n = 0;
    const char *p = in->dec ? io_decode_peek(in->dec, &n) : NULL;
    size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n)
        return ASSAY_FMT_CSV;
    return p[i] == '{' ? ASSAY_FMT_NDJSON : p[i] == '[' ? ASSAY_FMT_JSON
           : p[i] == '<' ? ASSAY_FMT_XML : ASSAY_FMT_CSV;
}

assay_format eng_format_resolve(assay_format given, const eng_input *inputs, size_t n)
{
    if (given != ASSAY_FMT_AUTO)
        return given;
    assay_format f = eng_format_by_name(n ? inputs[0].name : NULL);
    return f != ASSAY_FMT_AUTO ? f : n ? eng_format_sniff(&inputs[0]) : ASSAY_FMT_CSV;
}

const char *eng_format_name(assay_format f)
{
    switch (f) {
    case ASSAY_FMT_TSV: return "tsv";
    case ASSAY_FMT_NDJSON: return "ndjson";
    case ASSAY_FMT_JSON: return "json";
    case ASSAY_FMT_XML: return "xml";
    default: return "csv";
    }
}

static assay_status fail(assay_error *err, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static assay_status fail(assay_error *err, assay_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->status = st;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return st;
}

/* Every input's encoding is decided before any record is read (the sample is
 * peeked, not lost), and all must agree: they are one stream (SPEC 4a). */
static assay_status open_decoders(eng_input *inputs, size_t n, const char *enc,
                                  bool seekable, assay_error *err)
{
    for (size_t k = 0; k < n; k++) {
        eng_input *in = &inputs[k];
        const char *name = eng_is_stdin(in->name) ? "standard input" : in->name;
        assay_error e = {0};
        /* gzip and zstd are recognised by their first bytes and decompressed
         * on the way into the decoder (io/compress.h). */
        assay_status st = io_unzip_new(io_fd_read, &in->fd, &in->unzip);
        if (st)
            return st;
        if (seekable) {
            if (io_unzip_detect(in->unzip) < 0)
                return fail(err, ASSAY_E_IO, "%s: read error: %s", name, strerror(errno));
            io_compress_kind kind = io_unzip_kind(in->unzip);
            if (kind != IO_COMPRESS_NONE)
                return fail(err, ASSAY_E_USAGE, "--byte-range cannot read %s: it is "
                            "%s-compressed, and a byte range seeks in the file "
                            "(decompress it first)", name, io_compress_name(kind));
        }
        st = io_decode_new(io_unzip_read, in->unzip, enc, &in->dec, &e);
        if (st) {
            const char *damaged = io_unzip_error(in->unzip);
            return fail(err, st, "%s: %s", name, damaged ? damaged
                        : e.message[0] ? e.message : assay_strerror(st));
        }
        char msg[512];
        const eng_input *first = &inputs[0];
        if (k > 0 && !io_decode_same(io_decode_info(first->dec), first->name,
                                     io_decode_info(in->dec), in->name, msg, sizeof msg))
            return fail(err, ASSAY_E_USAGE, "%s", msg);
    }
    return ASSAY_OK;
}

assay_status eng_inputs_open(const char *const *names, size_t nnames, const char *encoding,
                             bool seekable, eng_input **out, size_t *nout, assay_error *err)
{
    size_t n = nnames ? nnames : 1;
    *out = calloc(n, sizeof **out);
    *nout = 0;
    if (!*out)
        return ASSAY_E_NOMEM;
    *nout = n;
    eng_input *inputs = *out;
    for (size_t k = 0; k < n; k++)
        inputs[k].fd = -1;
    for (size_t k = 0; k < n; k++) {
        eng_input *in = &inputs[k];
        in->name = nnames ? names[k] : "-";
        if (eng_is_stdin(in->name)) {
            in->name = "-";
            in->fd = 0;
            continue;
        }
        in->fd = open(in->name, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0)
            return fail(err, ASSAY_E_IO, "%s: cannot open input: %s", in->name,
                        strerror(errno));
    }
    return open_decoders(inputs, n, encoding ? encoding : "auto", seekable, err);
}

void eng_inputs_close(eng_input *inputs, size_t n)
{
    for (size_t k = 0; inputs && k < n; k++) {
        eng_input *in = &inputs[k];
        io_csv_reader_free(in->reader);
        io_decode_free(in->dec);
        io_unzip_free(in->unzip);
        if (in->fd > 0)
            close(in->fd);
        free(in->col_of_field);
        free(in->col_named);
        free(in->out_col);
    }
    free(inputs);
}

/* An output that names an input would destroy the data it reads; two outputs
 * that name one file would clobber each other. The message names the roles
 * (a default path is not on the command line). */
bool eng_outputs_clash(const char *const *outs, const char *const *roles, size_t nout,
                       const eng_input *inputs, size_t ninputs, char *msg, size_t cap)
{
    for (size_t i = 0; i < nout; i++) {
        if (!outs[i] || io_path_is_null(outs[i]))
            continue;
        for (size_t j = i + 1; j < nout; j++)
            if (outs[j] && !io_path_is_null(outs[j]) && io_path_same_file(outs[i], outs[j])) {
                snprintf(msg, cap, "%s and %s name one file: %s", roles[i], roles[j],
                         eng_is_stdin(outs[j]) ? "standard output" : outs[j]);
                return true;
            }
        if (eng_is_stdin(outs[i]))
            continue;
        for (size_t k = 0; k < ninputs; k++)
            if (!eng_is_stdin(inputs[k].name) && io_path_same_file(outs[i], inputs[k].name)) {
                snprintf(msg, cap, "%s %s names the input %s", roles[i], outs[i],
                         inputs[k].name);
                return true;
            }
    }
    return false;
}
