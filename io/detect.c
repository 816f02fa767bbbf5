/* io/detect.c — which encoding an input is written in (see decode.h and
 * docs/encodings.md): a BOM; else UTF-8 when the sample is (nearly) valid
 * UTF-8; else ICU charset detection. An explicit name is checked against
 * ICU's converters. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>

#include "core/utf8.h"
#include "io/decode.h"

const char *io_decided_by_name(io_decided_by by)
{
    switch (by) {
    case IO_DECIDED_BOM: return "bom";
    case IO_DECIDED_UTF8_VALID: return "utf8-valid";
    case IO_DECIDED_DETECTED: return "detected";
    case IO_DECIDED_DECLARED: return "declared";
    case IO_DECIDED_FALLBACK: return "fallback";
    }
    return "?";
}

/* Length of the UTF-8 sequence that lead byte b starts, 0 when b cannot
 * start one. */
static size_t utf8_seq_len(unsigned char b)
{
    return b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
}

/* s[0..n) is the start of a sequence that the bytes after the sample may
 * complete. */
static bool cut_sequence(const unsigned char *s, size_t n)
{
    size_t want = utf8_seq_len(s[0]);
    if (want == 0 || n >= want)
        return false;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return false;
    return true;
}

void io_utf8_census(const char *s, size_t n, bool eof, size_t *invalid, size_t *multi)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    *invalid = *multi = 0;
    while (i < n) {
        size_t at = i + core_utf8_invalid_at(s + i, n - i);
        for (size_t k = i; k < at; k++) /* a lead byte starts a valid sequence */
            *multi += u[k] >= 0xC0;
        if (at >= n || (!eof && cut_sequence(u + at, n - at)))
            break;
        (*invalid)++;
        i = at + 1;
    }
}

static bool starts(const char *s, size_t n, const char *bom, size_t len)
{
    return n >= len && memcmp(s, bom, len) == 0;
}

/* The BOM of an encoding family at the start of the sample, in bytes. */
static size_t bom_len_for(const char *canon, const char *s, size_t n)
{
    if (!strcmp(canon, "UTF-8"))
        return starts(s, n, "\xEF\xBB\xBF", 3) ? 3 : 0;
    if (!strcmp(canon, "UTF-32LE"))
        return starts(s, n, "\xFF\xFE\0\0", 4) ? 4 : 0;
    if (!strcmp(canon, "UTF-32BE"))
        return starts(s, n, "\0\0\xFE\xFF", 4) ? 4 : 0;
    if (!strcmp(canon, "UTF-16LE"))
        return starts(s, n, "\xFF\xFE", 2) ? 2 : 0;
    if (!strcmp(canon, "UTF-16BE"))
        return starts(s, n, "\xFE\xFF", 2) ? 2 : 0;
    return 0;
}

/* Converters whose decoding of a byte depends only on the bytes of its own
 * character: the decoder restarts them at any character boundary, which keeps
 * the map back to the source exact. Stateful ones (ISO-2022, UTF-7, HZ,
 * SCSU, BOCU-1, EBCDIC with shifts...) are refused. */
static bool stateless(UConverterType t)
{
    switch (t) {
    case UCNV_SBCS: case UCNV_DBCS: case UCNV_MBCS: case UCNV_LATIN_1: case UCNV_UTF8:
    case UCNV_UTF16_BigEndian: case UCNV_UTF16_LittleEndian: case UCNV_UTF32_BigEndian:
    case UCNV_UTF32_LittleEndian: case UCNV_US_ASCII: case UCNV_UTF16: case UCNV_UTF32:
    case UCNV_CESU8:
        return true;
    default:
        return false;
    }
}

static void set_msg(assay_error *err, assay_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_msg(assay_error *err, assay_status st, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    err->status = st;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* Opens `name` with ICU and fills dec's names. "UTF-16" and "UTF-32" without
 * a byte order become the LE or BE form the sample's BOM says (BE without
 * one, as Unicode says), so that the converter never holds a BOM state. */
static assay_status use_converter(const char *name, const char *s, size_t n,
                                  io_decoding *dec, assay_error *err)
{
    UErrorCode e = U_ZERO_ERROR;
    UConverter *c = ucnv_open(name, &e);
    if (e == U_MEMORY_ALLOCATION_ERROR) {
        ucnv_close(c);
        set_msg(err, ASSAY_E_NOMEM, "out of memory opening the \"%s\" converter", name);
        return ASSAY_E_NOMEM;
    }
    if (U_FAILURE(e) || !c) {
        set_msg(err, ASSAY_E_USAGE,
                "unknown encoding \"%s\": ICU has no converter by that name (try auto, "
                "UTF-8, windows-1252, ISO-8859-15, Shift_JIS, GB18030, UTF-16LE...)",
                name);
        return ASSAY_E_USAGE;
    }
    UConverterType t = ucnv_getType(c);
    const char *canon = ucnv_getName(c, &e);
    bool ok = stateless(t) && U_SUCCESS(e);
    if (ok && (t == UCNV_UTF16 || t == UCNV_UTF32)) {
        bool is16 = t == UCNV_UTF16;
        bool le = is16 ? starts(s, n, "\xFF\xFE", 2) : starts(s, n, "\xFF\xFE\0\0", 4);
        canon = is16 ? (le ? "UTF-16LE" : "UTF-16BE") : (le ? "UTF-32LE" : "UTF-32BE");
    }
    if (ok)
        snprintf(dec->canon, sizeof dec->canon, "%s", canon);
    ucnv_close(c);
    if (!ok) {
        set_msg(err, ASSAY_E_USAGE,
                "encoding \"%s\" is stateful (shift sequences) and cannot be read as a "
                "stream: convert the input to UTF-8 first", name);
        return ASSAY_E_USAGE;
    }
    e = U_ZERO_ERROR;
    /* MIME names are the familiar ones (EUC-JP, ISO-8859-2); IANA's preferred
     * names cover the rest (windows-1252). */
    const char *std = ucnv_getStandardName(dec->canon, "MIME", &e);
    if (!std || U_FAILURE(e)) {
        e = U_ZERO_ERROR;
        std = ucnv_getStandardName(dec->canon, "IANA", &e);
    }
    snprintf(dec->name, sizeof dec->name, "%s", std && U_SUCCESS(e) ? std : dec->canon);
    dec->utf8 = !strcmp(dec->canon, "UTF-8");
    dec->bom_len = bom_len_for(dec->canon, s, n);
    return ASSAY_OK;
}

static assay_status by_bom(const char *s, size_t n, io_decoding *dec, bool *found,
                           assay_error *err)
{
    static const struct { const char *bom; size_t len; const char *name; } boms[] = {
        { "\xEF\xBB\xBF", 3, "UTF-8" },
        { "\xFF\xFE\0\0", 4, "UTF-32LE" }, /* before UTF-16LE: same first bytes */
        { "\0\0\xFE\xFF", 4, "UTF-32BE" },
        { "\xFF\xFE", 2, "UTF-16LE" },
        { "\xFE\xFF", 2, "UTF-16BE" },
    };
    *found = false;
    for (size_t i = 0; i < sizeof boms / sizeof boms[0]; i++)
        if (starts(s, n, boms[i].bom, boms[i].len)) {
            *found = true;
            dec->decided_by = IO_DECIDED_BOM;
            dec->confidence = 100;
            return use_converter(boms[i].name, s, n, dec, err);
        }
    return ASSAY_OK;
}

/* ICU detection: the best match that a stateless converter can read.
 * ISO-8859-1 is read as windows-1252, its superset for text: they differ only
 * in 0x80-0x9F, C1 controls in Latin-1 that real text does not hold, and ICU
 * says ISO-8859-1 for windows-1252 text that happens to use none of them. */
static assay_status by_detection(const char *s, size_t n, io_decoding *dec, assay_error *err)
{
    UErrorCode e = U_ZERO_ERROR;
    UCharsetDetector *csd = ucsdet_open(&e);
    int32_t nm = 0;
    const UCharsetMatch **m = NULL;
    if (U_SUCCESS(e))
        ucsdet_setText(csd, s, (int32_t)n, &e);
    if (U_SUCCESS(e))
        m = ucsdet_detectAll(csd, &nm, &e);
    if (U_FAILURE(e))
        nm = 0;
    bool done = false;
    for (int32_t i = 0; i < nm && !done; i++) {
        UErrorCode e2 = U_ZERO_ERROR;
        const char *name = ucsdet_getName(m[i], &e2);
        int32_t conf = ucsdet_getConfidence(m[i], &e2);
        if (U_FAILURE(e2) || !name)
            continue;
        if (!strcasecmp(name, "ISO-8859-1"))
            name = "windows-1252";
        /* UTF-16/32 text without a BOM is full of zero bytes (Latin, Cyrillic,
         * Greek: every other byte); ICU still offers UTF-16BE, with low
         * confidence, for single-byte text that has none. */
        if (!strncasecmp(name, "UTF-16", 6) || !strncasecmp(name, "UTF-32", 6))
            if (!memchr(s, 0, n))
                continue;
        if (use_converter(name, s, n, dec, NULL) == ASSAY_OK) {
            dec->decided_by = IO_DECIDED_DETECTED;
            dec->confidence = conf < 0 ? 0 : conf > 100 ? 100 : conf;
            done = true;
        }
    }
    ucsdet_close(csd);
    if (done)
        return ASSAY_OK;
    /* Nothing usable: read it as UTF-8, so that the bytes that are not fail
     * rule encoding loudly rather than pass garbled. */
    dec->decided_by = IO_DECIDED_FALLBACK;
    dec->confidence = 0;
    return use_converter("UTF-8", s, n, dec, err);
}

assay_status io_decide(const char *s, size_t n, bool eof, const char *encoding,
                       io_decoding *dec, assay_error *err)
{
    memset(dec, 0, sizeof *dec);
    dec->sample_len = n;
    if (encoding && *encoding && strcasecmp(encoding, "auto") != 0) {
        dec->decided_by = IO_DECIDED_DECLARED;
        dec->confidence = 100;
        return use_converter(encoding, s, n, dec, err);
    }
    bool found;
    assay_status st = by_bom(s, n, dec, &found, err);
    if (st || found)
        return st;
    io_utf8_census(s, n, eof, &dec->sample_invalid, &dec->sample_multi);
    size_t bad = dec->sample_invalid;
    /* UTF-8 first: detection would rank windows-1252 above UTF-8 for a UTF-8
     * file with two stray bytes. Valid multi-byte sequences outnumbering the
     * invalid bytes are UTF-8 with damage; windows-1252 text makes a valid
     * pair only by accident ("Ã©"), so it fails that test. */
    if (bad == 0 || bad * 1000 < n || dec->sample_multi > bad) {
        dec->decided_by = IO_DECIDED_UTF8_VALID;
        dec->confidence = 100;
        return use_converter("UTF-8", s, n, dec, err);
    }
    return by_detection(s, n, dec, err);
}

static void describe(const io_decoding *d, char *buf, size_t cap)
{
    if (d->decided_by == IO_DECIDED_DETECTED)
        snprintf(buf, cap, "%s (detected, confidence %d%%)", d->name, d->confidence);
    else
        snprintf(buf, cap, "%s (%s)", d->name,
                 d->decided_by == IO_DECIDED_UTF8_VALID ? "valid UTF-8"
                 : d->decided_by == IO_DECIDED_BOM      ? "byte order mark"
                 : d->decided_by == IO_DECIDED_DECLARED ? "declared"
                                                        : "nothing detected");
}

bool io_decode_same(const io_decoding *a, const char *name_a, const io_decoding *b,
                    const char *name_b, char *msg, size_t msg_cap)
{
    if (!strcmp(a->canon, b->canon))
        return true;
    if (msg && msg_cap) {
        char da[128], db[128];
        describe(a, da, sizeof da);
        describe(b, db, sizeof db);
        snprintf(msg, msg_cap,
                 "%s is %s but %s is %s; all inputs must share one encoding: convert "
                 "them, or pass --encoding", name_b ? name_b : "an input", db,
                 name_a ? name_a : "the first input", da);
    }
    return false;
}
