/* tests/fuzz/fuzz_clean.c — random clean lists over random bytes.
 *
 * Input: byte 0 is the number of steps (mod 8), byte 1 flags (bit 0: the
 * field's locale is "tr"), then one byte per step (the step, mod 15: the 12
 * plain steps, a default, a map and three replace patterns); the rest is the
 * value. abort() when:
 *   - cleaning fails (no buffer limit here);
 *   - the input was valid UTF-8, or replace_invalid ran, and the output is not;
 *   - the output is longer than val_clean_bound (clean.h);
 *   - the fast paths and the forced ICU paths disagree, or a second run on
 *     the same worker gives other bytes;
 *   - fix_mojibake changed valid text T into B although no chain of at most
 *     three mojibake encodings (windows-1252 or latin-1) of B gives T back;
 *   - valid text X with a non-ASCII character, no C1 control, that
 *     fix_mojibake leaves alone, is not restored from its mojibake. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "validators/clean.h"
#include "validators/unicode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static assay_rules *plan;
static val_clean_worker *fast, *icu;
static core_buf s1, s2, m1, m2;

#define NSTEPS 15
static rules_clean steps[NSTEPS];

static void setup(void)
{
    static const char text[] =
        "{\"fields\": [{\"name\": \"a\", \"clean\": [{\"default\": \"n/a\"},"
        " {\"map\": {\"U.S.\": \"US\", \"Россия\": \"RU\", \"\": \"empty\"}},"
        " {\"replace\": {\"pattern\": \"\\\\s+\", \"with\": \" \"}},"
        " {\"replace\": {\"pattern\": \"(a|é|\\\\x{0345})\", \"with\": \"[$1$1]\"}},"
        " {\"replace\": {\"pattern\": \"x*\", \"with\": \"-$0-\"}}]}]}";
    if (assay_rules_load_buffer("fuzz", text, sizeof text - 1, NULL, &plan) != ASSAY_OK)
        abort();
    static const rules_step plain[] = {
        RS_TRIM, RS_COLLAPSE_SPACES, RS_LOWER, RS_UPPER, RS_NFC, RS_STRIP_CONTROL,
        RS_REPLACE_INVALID, RS_CASEFOLD, RS_NFKC, RS_FIX_MOJIBAKE};
    size_t k = 0;
    for (; k < sizeof plain / sizeof *plain; k++)
        steps[k].step = plain[k];
    for (size_t i = 0; i < plan->fields[0].nclean; i++)
        steps[k++] = plan->fields[0].clean[i];
    fast = val_clean_worker_new(plan);
    icu = val_clean_worker_new(plan);
    if (k != NSTEPS || !fast || !icu)
        abort();
    val_clean_worker_force_icu(icu, true);
    core_buf_init(&s1, 0);
    core_buf_init(&s2, 0);
    core_buf_init(&m1, 0);
    core_buf_init(&m2, 0);
}

/* Does a chain of at most depth mojibake encodings of (b, bn) give (t, tn)? */
static bool chain(const char *b, size_t bn, const char *t, size_t tn, int depth)
{
    if (depth == 0)
        return false;
    for (int latin1 = 0; latin1 < 2; latin1++) {
        core_buf m;
        core_buf_init(&m, 0);
        bool ok = val_mojibake_make(b, bn, latin1 != 0, &m) == ASSAY_OK &&
                  ((m.len == tn && memcmp(m.data, t, tn) == 0) ||
                   (m.len < tn && chain(m.data, m.len, t, tn, depth - 1)));
        core_buf_free(&m);
        if (ok)
            return true;
    }
    return false;
}

static bool has_c1(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)p[i] == 0xC2 && (unsigned char)p[i + 1] <= 0x9F)
            return true;
    return false;
}

static void check_mojibake(const char *p, size_t n)
{
    if (!core_utf8_valid(p, n))
        return;
    int r = val_mojibake_fix(p, n, &m1);
    if (r < 0)
        abort();
    if (r > 0 && (m1.len >= n || !core_utf8_valid(m1.data, m1.len) ||
                  !chain(m1.data, m1.len, p, n, 3)))
        abort();
    bool ascii = true;
    for (size_t i = 0; i < n; i++)
        ascii &= (unsigned char)p[i] < 0x80;
    if (r != 0 || ascii || has_c1(p, n) || n > 4096)
        return;
    for (int latin1 = 0; latin1 < 2; latin1++) {
        if (val_mojibake_make(p, n, latin1 != 0, &m2) != ASSAY_OK)
            abort();
        if (val_mojibake_fix(m2.data, m2.len, &m1) != 1 || m1.len != n ||
            memcmp(m1.data, p, n) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!plan)
        setup();
    if (size < 2)
        return 0;
    size_t nsteps = data[0] % 8, flags = data[1];
    if (size < 2 + nsteps)
        return 0;
    rules_clean list[8];
    rules_field f;
    memset(&f, 0, sizeof f);
    bool repairs = false;
    for (size_t i = 0; i < nsteps; i++) {
        list[i] = steps[data[2 + i] % NSTEPS];
        repairs |= list[i].step == RS_REPLACE_INVALID;
    }
    f.clean = list;
    f.nclean = nsteps;
    if (flags & 1) {
        f.case_locale = (char *)"tr";
        f.case_needs_icu = true;
    }
    const char *in = (const char *)data + 2 + nsteps;
    size_t n = size - 2 - nsteps;

    const char *o1, *o2, *o3;
    size_t n1, n2, n3;
    uint32_t c1, c2, c3;
    if (val_clean_apply_w(&f, plan, fast, in, n, &s1, &o1, &n1, &c1) ||
        val_clean_apply_w(&f, plan, icu, in, n, &s2, &o2, &n2, &c2))
        abort();
    if (n1 != n2 || c1 != c2 || (n1 && memcmp(o1, o2, n1) != 0))
        abort();
    if ((repairs || core_utf8_valid(in, n)) && !core_utf8_valid(o1, n1))
        abort();
    if (n1 > val_clean_bound(&f, n))
        abort();
    if (c1 == 0 ? o1 != in || n1 != n : n1 == n && memcmp(o1, in, n) == 0)
        abort(); /* unchanged: the input itself; changed: other bytes */
    /* Again on the same worker, into the other scratch: the same bytes. */
    if (val_clean_apply_w(&f, plan, fast, in, n, &s2, &o3, &n3, &c3) || n3 != n1 ||
        c3 != c1 || (n1 && memcmp(o3, o1, n1) != 0))
        abort();
    check_mojibake(in, n);
    return 0;
}
