/* bench/date_bench.c — the cost of reading one value of the benchmark's
 * order_date column (bench/orders.rules.json: five formats, prefer first,
 * locale en_US_POSIX, output yyyy-MM-dd).
 *
 *   date_bench [VALUES] [ROUNDS]      (defaults: 1000000, 5)
 *
 * Values are made as gen_orders.py makes them: days 2022-01-01..2025-12-31,
 * 80% yyyy-MM-dd, 5% each dd/MM/yyyy, MM/dd/yyyy, "MMM d, yyyy" and
 * yyyy-MM-dd'T'HH:mm:ss'Z'. Prints the best round's nanoseconds per value for
 * parsing alone and for parsing plus the normalise step. Not a test: figures
 * depend on the machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "validators/datefmt.h"

static const char *const formats[] = {"yyyy-MM-dd", "dd/MM/yyyy", "MM/dd/yyyy",
                                      "MMM d, yyyy", "yyyy-MM-dd'T'HH:mm:ss'Z'"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static uint64_t rng = 1;

static double rnd(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_value(char *out, size_t cap)
{
    int64_t first = val_days_from_civil(2022, 1, 1), last = val_days_from_civil(2025, 12, 31);
    int64_t day = first + (int64_t)(rnd() * (double)(last - first + 1)), y;
    int m, d;
    val_civil_from_days(day, &y, &m, &d);
    double r = rnd();
    if (r < 0.80)
        snprintf(out, cap, "%04d-%02d-%02d", (int)y, m, d);
    else if (r < 0.85)
        snprintf(out, cap, "%02d/%02d/%04d", d, m, (int)y);
    else if (r < 0.90)
        snprintf(out, cap, "%02d/%02d/%04d", m, d, (int)y);
    else if (r < 0.95)
        snprintf(out, cap, "%s %d, %04d", months[m - 1], d, (int)y);
    else
        snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d,
                 (int)(rnd() * 24), (int)(rnd() * 60), (int)(rnd() * 60));
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    char err[512];
    val_datefmts *df = val_datefmts_new(RT_DATE);
    if (!df || val_datefmts_locale(df, "en_US_POSIX", 11, err, sizeof err))
        return fprintf(stderr, "date_bench: %s\n", err), 1;
    for (size_t i = 0; i < 5; i++)
        if (val_datefmts_add(df, formats[i], strlen(formats[i]), err, sizeof err))
            return fprintf(stderr, "date_bench: %s\n", err), 1;
    if (val_datefmts_prefer(df, "first", 5, err, sizeof err) ||
        val_datefmts_output(df, "yyyy-MM-dd", 10, err, sizeof err) ||
        val_datefmts_finish(df, err, sizeof err))
        return fprintf(stderr, "date_bench: %s\n", err), 1;
    val_date_worker *w = val_date_worker_new(df, 0);
    char (*vals)[32] = malloc(n * sizeof *vals);
    size_t *lens = malloc(n * sizeof *lens);
    if (!w || !vals || !lens)
        return fprintf(stderr, "date_bench: out of memory\n"), 3;
    for (size_t i = 0; i < n; i++) {
        make_value(vals[i], sizeof vals[i]);
        lens[i] = strlen(vals[i]);
    }
    double best_parse = 1e9, best_norm = 1e9;
    size_t ok = 0, resolved = 0, changed_n = 0, counts[5] = {0};
    for (int round = 0; round < rounds; round++) {
        val_date_result r;
        ok = resolved = 0;
        memset(counts, 0, sizeof counts);
        double t0 = seconds();
        for (size_t i = 0; i < n; i++) {
            val_date_parse(w, vals[i], lens[i], &r);
            ok += r.status == VAL_DATE_OK;
            resolved += r.resolved;
            counts[r.format >= 0 ? r.format : 0]++;
        }
        double t1 = seconds();
        changed_n = 0;
        for (size_t i = 0; i < n; i++) {
            char out[64];
            bool changed;
            val_date_parse(w, vals[i], lens[i], &r);
            val_date_output(w, &r.value, vals[i], lens[i], out, sizeof out, &changed);
            changed_n += changed;
        }
        double t2 = seconds();
        if ((t1 - t0) / (double)n < best_parse)
            best_parse = (t1 - t0) / (double)n;
        if ((t2 - t1) / (double)n < best_norm)
            best_norm = (t2 - t1) / (double)n;
    }
    printf("order_date: %zu values, %zu valid, %zu ambiguous resolved by prefer, "
           "%zu rewritten\n", n, ok, resolved, changed_n);
    printf("formats:");
    for (size_t i = 0; i < 5; i++)
        printf(" %s=%zu", formats[i], counts[i]);
    printf("\nparse:            %.1f ns/value\nparse+normalise:  %.1f ns/value\n",
           best_parse * 1e9, best_norm * 1e9);
    free(vals);
    free(lens);
    val_date_worker_free(w);
    val_datefmts_free(df);
    return 0;
}
