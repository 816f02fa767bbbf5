/* tests/unit/test_diff.c — the population stability index of assay diff:
 * identical distributions give about 0, a normal shifted by half a standard
 * deviation gives about 0.25 (for normals PSI tends to the squared shift in
 * standard deviations), categorical PSI equals the formula worked by hand,
 * and empty bins count as ENG_PSI_EPSILON; the dominant type and its share
 * (type_share) over the non-missing values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/diff.h"
#include "t.h"

/* A fixed generator (xorshift64*) and Box-Muller normals. */
static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return ((double)((*s * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
}

static stats_kll *normal_sketch(uint64_t seed, int n, double mean)
{
    stats_kll *k = stats_kll_new(STATS_KLL_K);
    for (int i = 0; k && i < n; i++) {
        double u1 = uniform(&seed), u2 = uniform(&seed);
        CHECK(stats_kll_add(k, mean + sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2)) == 0);
    }
    return k;
}

static void test_psi_formula(void)
{
    double a[3] = {0.5, 0.3, 0.2}, b[3] = {0.3, 0.3, 0.4}, z[2] = {1, 0}, y[2] = {0, 1};
    CHECK(fabs(eng_psi(a, a, 3)) < 1e-15);
    double want = (0.3 - 0.5) * log(0.3 / 0.5) + (0.4 - 0.2) * log(0.4 / 0.2);
    CHECK_MSG(fabs(eng_psi(a, b, 3) - want) < 1e-12, "%g vs %g", eng_psi(a, b, 3), want);
    /* empty bins: floored at epsilon, finite */
    double e = ENG_PSI_EPSILON;
    double w2 = 2 * (1 - e) * log(1 / e);
    CHECK_MSG(fabs(eng_psi(z, y, 2) - w2) < 1e-9, "%g vs %g", eng_psi(z, y, 2), w2);
}

static void test_psi_numeric(void)
{
    stats_kll *base = normal_sketch(1, 20000, 0), *same = normal_sketch(2, 20000, 0);
    stats_kll *shifted = normal_sketch(3, 20000, 0.5), *far = normal_sketch(4, 20000, 2);
    CHECK(base && same && shifted && far);
    double p0 = eng_psi_numeric(base, 1, base, 1);
    double p1 = eng_psi_numeric(base, 1, same, 1);
    double p2 = eng_psi_numeric(base, 1, shifted, 1);
    double p3 = eng_psi_numeric(base, 1, far, 1);
    CHECK_MSG(p0 < 1e-9, "identical: %g", p0);
    CHECK_MSG(p1 < 0.02, "same distribution, other sample: %g", p1);
    CHECK_MSG(p2 > 0.15 && p2 < 0.35, "shifted by 0.5 sd: %g", p2);
    CHECK_MSG(p3 > 1.5, "shifted by 2 sd: %g", p3);
    /* 20% of the new values are not numbers: the extra bin says so */
    double p4 = eng_psi_numeric(base, 1, same, 0.8);
    double want = (0.2 - ENG_PSI_EPSILON) * log(0.2 / ENG_PSI_EPSILON);
    CHECK_MSG(p4 > want && p4 < want + 0.1, "non-numeric share: %g (>= %g)", p4, want);
    stats_kll *empty = stats_kll_new(STATS_KLL_K);
    CHECK(isnan(eng_psi_numeric(empty, 1, base, 1)));
    CHECK(eng_psi_numeric(base, 1, empty, 0) > 1);
    stats_kll_free(empty);
    stats_kll_free(base);
    stats_kll_free(same);
    stats_kll_free(shifted);
    stats_kll_free(far);
}

static stats_topk *categories(const char *const *vals, const int *counts, size_t n)
{
    stats_topk *t = stats_topk_new(1000);
    for (size_t i = 0; t && i < n; i++)
        for (int k = 0; k < counts[i]; k++)
            CHECK(stats_topk_add(t, vals[i], strlen(vals[i]), 1000003u * i + 7) == 0);
    return t;
}

static void test_psi_categorical(void)
{
    const char *v[] = {"paid", "shipped", "pending", "refunded"};
    int ca[] = {50, 30, 20, 0}, cb[] = {30, 30, 40, 0}, cc[] = {40, 30, 20, 10};
    stats_topk *a = categories(v, ca, 3), *b = categories(v, cb, 3), *c = categories(v, cc, 4);
    CHECK(a && b && c);
    CHECK(fabs(eng_psi_categorical(a, a)) < 1e-12);
    double want = (0.3 - 0.5) * log(0.6) + (0.4 - 0.2) * log(2.0);
    double got = eng_psi_categorical(a, b);
    CHECK_MSG(fabs(got - want) < 1e-9, "%g vs %g", got, want);
    /* a new value lands in "other": 0.1 against the baseline's empty bin */
    double e = ENG_PSI_EPSILON;
    double w2 = (0.4 - 0.5) * log(0.8) + (0.1 - e) * log(0.1 / e);
    got = eng_psi_categorical(a, c);
    CHECK_MSG(fabs(got - w2) < 1e-9, "%g vs %g", got, w2);
    stats_topk *empty = stats_topk_new(1000);
    CHECK(isnan(eng_psi_categorical(empty, a)));
    stats_topk_free(empty);
    stats_topk_free(a);
    stats_topk_free(b);
    stats_topk_free(c);
}

/* A profile field with the given type counts ("string": non-missing). */
static json_t *field(int count, int missing, int integer, int date, int string)
{
    return json_pack("{s:s, s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i}}", "name", "f",
                     "count", count, "missing", missing, "types", "integer", integer,
                     "number", integer, "boolean", 0, "date", date, "datetime", 0, "time",
                     0, "string", string);
}

static void test_type_share(void)
{
    double s;
    /* 950 of 1000 non-missing values are dates; missing values do not count */
    json_t *f = field(1100, 100, 3, 950, 1000);
    CHECK(f);
    const char *t = eng_dominant_type(f, &s);
    CHECK_MSG(t && strcmp(t, "date") == 0, "%s", t ? t : "(none)");
    CHECK_MSG(fabs(s - 0.95) < 1e-12, "%g", s);
    CHECK(fabs(eng_type_share(f, "integer") - 0.003) < 1e-12);
    json_decref(f);
    /* integer and number tie: the first candidate wins */
    f = field(10, 0, 8, 0, 10);
    t = eng_dominant_type(f, &s);
    CHECK(t && strcmp(t, "integer") == 0 && fabs(s - 0.8) < 1e-12);
    json_decref(f);
    /* under half of the values: no dominant type, the share still given */
    f = field(100, 0, 0, 49, 100);
    CHECK(eng_dominant_type(f, &s) == NULL);
    CHECK(fabs(s - 0.49) < 1e-12);
    json_decref(f);
    /* exactly half: dominant */
    f = field(100, 0, 0, 50, 100);
    CHECK(eng_dominant_type(f, &s) != NULL);
    json_decref(f);
    /* no non-missing values: nothing to judge */
    f = field(5, 5, 0, 0, 0);
    CHECK(eng_dominant_type(f, &s) == NULL && isnan(s));
    CHECK(isnan(eng_type_share(f, "date")));
    json_decref(f);
    /* without a "string" count: count - missing */
    f = json_pack("{s:i, s:i, s:{s:i}}", "count", 40, "missing", 20, "types", "date", 15);
    CHECK(f && fabs(eng_type_share(f, "date") - 0.75) < 1e-12);
    t = eng_dominant_type(f, &s);
    CHECK(t && strcmp(t, "date") == 0);
    json_decref(f);
}

int main(void)
{
    test_type_share();
    test_psi_formula();
    test_psi_numeric();
    test_psi_categorical();
    return t_done();
}
