/* engine/profile_out.h — what is drawn from a profile document
 * (docs/profile-format.md): the HTML report (--html) and suggested rules
 * (--suggest). Both read the document only and write one output through an
 * io_out; neither flushes nor commits it (the caller does).
 *
 * eng_profile_html: one self-contained HTML page (inline CSS and SVG, no
 * script, nothing fetched from the network), every text from the data
 * HTML-escaped. docs/profile-html.md describes the page.
 *
 * eng_profile_suggest: a rules file (JSON) that the profiled data passes, with
 * an "x-inferred" note per field saying what each rule was inferred from.
 * The rules and their margins are in docs/profile-html.md.
 *
 * Both return ASSAY_E_USAGE (err says why) when the document lacks what they
 * need ("fields" an array of objects, each with a string "name"), ASSAY_E_IO
 * when a write fails, ASSAY_E_NOMEM when memory runs out. Keys that are absent
 * or null are skipped (a document from an older or newer version still
 * renders). */
#ifndef ASSAY_ENGINE_PROFILE_OUT_H
#define ASSAY_ENGINE_PROFILE_OUT_H

#include <jansson.h>

#include "assay/assay.h"
#include "io/outfile.h"

assay_status eng_profile_html(const json_t *profile, io_out *o, assay_error *err);
assay_status eng_profile_suggest(const json_t *profile, io_out *o, assay_error *err);

#endif
