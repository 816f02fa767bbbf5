/* tests/unit/t.h — a minimal unit-test harness: one executable per file,
 * CHECK records a failure and goes on, the exit code says whether all held.
 * Output ends with "N passed, N failed". */
#ifndef ASSAY_TESTS_T_H
#define ASSAY_TESTS_T_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond)                                                              \
            t_pass++;                                                          \
        else {                                                                 \
            t_fail++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
        }                                                                      \
    } while (0)

#define CHECK_MSG(cond, ...)                                                   \
    do {                                                                       \
        if (cond)                                                              \
            t_pass++;                                                          \
        else {                                                                 \
            t_fail++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__,   \
                    #cond);                                                    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld",               \
              (long long)(a), (long long)(b))

#define CHECK_EQ_MEM(p, n, s)                                                  \
    CHECK_MSG((n) == strlen(s) && memcmp((p), (s), (n)) == 0,                  \
              "got \"%.*s\", want \"%s\"", (int)(n), (const char *)(p), (s))

static inline int t_done(void)
{
    printf("%d passed, %d failed\n", t_pass, t_fail);
    return t_fail ? 1 : 0;
}

#endif
