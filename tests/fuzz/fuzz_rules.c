/* tests/fuzz/fuzz_rules.c — any bytes as a rules file: loading must never
 * crash, leak or read out of bounds, and every diagnostic must be complete. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assay/assay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    assay_diags *d = assay_diags_new();
    assay_rules *r = NULL;
    assay_status st = assay_rules_load_buffer("fuzz.json", (const char *)data, size, d, &r);
    if ((st == ASSAY_OK) != (r != NULL))
        abort();
    if (st == ASSAY_E_RULES && assay_diags_errors(d) == 0)
        abort();
    for (size_t i = 0; i < assay_diags_count(d); i++) {
        const assay_diag *g = assay_diags_get(d, i);
        if (!g->file || !g->path || !g->message || !g->message[0] || g->line < 0)
            abort();
        if (i > 0 && g->line < assay_diags_get(d, i - 1)->line)
            abort(); /* file order */
    }
    (void)assay_rules_field_count(r);
    assay_rules_free(r);
    assay_diags_free(d);
    return 0;
}
