/* io/doc.h — records of JSON and XML documents, as the engine sees them.
 *
 * A JSON or XML reader is told the rules' field paths once (in plan order)
 * and hands out io_record values (io/csv_reader.h) whose fields[i] is the
 * text of path i in this record:
 *
 *   JSON string     its contents, unescaped (valid UTF-8 or bad_utf8 set)
 *   JSON number     its literal digits as written (1.10 stays 1.10)
 *   JSON true/false "true" / "false"
 *   JSON object/array  its exact source text
 *   JSON null, absent path       p == NULL, n == 0 (a missing value)
 *   XML element     its text content (entities of the five predefined kinds
 *                   and character references decoded; CDATA as is)
 *   XML @attribute  its value, decoded the same way
 *   XML empty element, absent child or attribute   p == NULL (missing)
 *
 * nfields always equals the number of paths. rec->doc (never NULL for an
 * IO_REC_OK record of these readers) says what kind each value was and where
 * its bytes lie in rec->raw, so the engine can splice a cleaned value back
 * into the original text (numbers keep their digits, keys their order), and
 * which top-level members no path names (policy.extra_fields).
 *
 * Paths: "a" (a top-level key, or a child element of the record element),
 * "a.b.c" (nested objects / elements), "items[0].sku" (an array element;
 * JSON only), "@id" and "a.@id" (XML attributes). A path that names a
 * member of a value that is not an object (or an index past an array's end)
 * is absent.
 *
 * Record kinds (io_record.kind): IO_REC_OK, IO_REC_BLANK (an empty NDJSON
 * line), IO_REC_JSON_PARSE / IO_REC_NOT_OBJECT / IO_REC_XML /
 * IO_REC_XML_ENTITY with detail set (the parser's message with line and
 * column), IO_REC_TOO_LARGE (over max_record_bytes; raw may come in pieces
 * with raw_more/continued as for CSV). raw is always the record's exact
 * bytes: an NDJSON line with its line end; a JSON array element or an XML
 * record element without the separators around it. line is the 1-based line
 * where the record starts; offset its byte offset in the input. */
#ifndef ASSAY_IO_DOC_H
#define ASSAY_IO_DOC_H

#include <stdbool.h>
#include <stddef.h>

typedef enum io_vkind {
    IO_V_ABSENT = 0, /* no such key / element / attribute */
    IO_V_NULL,       /* JSON null; an XML element with no content */
    IO_V_STRING,     /* JSON string; XML text or attribute value */
    IO_V_NUMBER,
    IO_V_BOOL,
    IO_V_OBJECT,     /* JSON object; an XML element with child elements */
    IO_V_ARRAY
} io_vkind;

typedef struct io_docval {
    io_vkind kind;
    size_t items;    /* IO_V_ARRAY: its elements; IO_V_OBJECT: its members */
    /* Where the value lies in rec->raw (not for ABSENT):
     *   JSON: the whole token, quotes included ("a\"b", 1.10, {...});
     *   XML:  the element's content between its start and end tags, or an
     *         attribute's value between its quotes (an empty element
     *         written <a/> has len 0 at the offset just before "/>"). */
    size_t off, len;
} io_docval;

/* A top-level member that no path names: a JSON key of the record object, or
 * an XML child element or attribute of the record element. */
typedef struct io_docextra {
    size_t name_off, name_len; /* the name's bytes in raw (JSON: inside the
                                  quotes, as escaped) */
    size_t off, len;           /* the whole member in raw, to cut it out:
                                  JSON: the key through the value plus the
                                  comma that separates it from a neighbour
                                  (the following one, else the preceding
                                  one), so raw without [off, off+len) is
                                  still valid JSON; XML: the whole element
                                  or attribute (with the space before it) */
    size_t val_off, val_len;   /* its value (as io_docval.off/len) */
} io_docextra;

typedef struct io_doc {
    const io_docval *vals;     /* one per path */
    size_t nvals;
    const io_docextra *extra;  /* in document order */
    size_t nextra;
} io_doc;

#endif
