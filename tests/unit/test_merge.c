/* tests/unit/test_merge.c — assay_stats_merge: the stats of two halves of a
 * file, merged, equal the stats of one run over the whole file in every count
 * (and in the recomputed thresholds); bad inputs fail with the right status. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assay/assay.h"
#include "t.h"

static const char rules_text[] =
    "{\"fields\": ["
    " {\"name\": \"id\", \"type\": \"integer\"},"
    " {\"name\": \"email\", \"type\": \"string\", \"mostly\": 0.7,"
    "  \"constraints\": {\"pattern\": \"^[^@ ]+@[^@ ]+$\"}},"
    " {\"name\": \"day\", \"type\": \"date\", \"formats\": [\"yyyy-MM-dd\", \"dd/MM/yyyy\"],"
    "  \"output\": \"yyyy-MM-dd\"},"
    " {\"name\": \"amount\", \"type\": \"number\", \"clean\": [\"trim\"],"
    "  \"constraints\": {\"required\": true, \"minimum\": 0}}],"
    " \"primaryKey\": \"id\","
    " \"rules\": [{\"name\": \"small\", \"check\": \"amount < 500\", \"mostly\": 0.8}],"
    " \"policy\": {\"max_quarantine_rate\": 0.5, \"min_records\": 5,"
    "  \"max_formats_per_field\": 2}}";

static const char header[] = "id,email,day,amount,note\n";
static const char half1[] =
    "1,a@x.org,2024-01-05,10,x\n2,bad,05/01/2024, 20 ,y\n2,b@x.org,2024-01-07,30,\n"
    "3,c@x.org,2024-13-01,40,z\n\n4,d@x.org,2024-01-09,-5,\n";
static const char half2[] =
    "5,nope,2024-02-01,600,\n6,e@x.org,01/02/2024,,q\n7,f@x.org,2024-02-03,70,\n"
    "8,g@x.org,2024-02-04,80,1,extra\n9,h@x.org,2024-02-05\n";

static char dir[] = "/tmp/assay-test-merge-XXXXXX";

static const char *path_of(const char *name)
{
    static char buf[8][256];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void write_file(const char *name, const char *a, const char *b)
{
    FILE *fp = fopen(path_of(name), "wb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fputs(a, fp);
    if (b)
        fputs(b, fp);
    fclose(fp);
}

static void run_check(const assay_rules *rules, const char *csv, const char *stats)
{
    const char *in[1] = {path_of(csv)};
    assay_check_opts o;
    assay_check_opts_init(&o);
    o.inputs = in;
    o.ninputs = 1;
    o.output = "/dev/null";
    o.quarantine = "/dev/null";
    o.stats = path_of(stats);
    assay_check_result res;
    memset(&res, 0, sizeof res);
    CHECK_EQ_INT(assay_check_run(rules, &o, &res), ASSAY_OK);
    assay_check_result_free(&res);
}

/* Compares every integer under a and b, counting the leaves compared. */
static void same_counts(json_t *a, json_t *b, const char *path, int *leaves)
{
    const char *key;
    json_t *v;
    CHECK_MSG(json_typeof(a) == json_typeof(b), "%s: types differ", path);
    if (json_is_integer(a)) {
        CHECK_MSG(json_integer_value(a) == json_integer_value(b), "%s: %lld != %lld",
                  path, (long long)json_integer_value(a), (long long)json_integer_value(b));
        (*leaves)++;
        return;
    }
    if (!json_is_object(a))
        return;
    CHECK_MSG(json_object_size(a) == json_object_size(b), "%s: key sets differ", path);
    json_object_foreach(a, key, v) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        json_t *w = json_object_get(b, key);
        CHECK_MSG(w != NULL, "%s: missing from the merged stats", sub);
        if (w)
            same_counts(v, w, sub, leaves);
    }
}

static void test_halves_equal_whole(void)
{
    assay_merge_result res;
    assay_error err;
    const char *shards[2] = {path_of("a.json"), path_of("b.json")};
    CHECK_EQ_INT(assay_stats_merge(shards, 2, path_of("m.json"), NULL, NULL, &res, &err), ASSAY_OK);
    CHECK_EQ_INT(res.nshards, 2);
    json_error_t je;
    json_t *whole = json_load_file(path_of("w.json"), 0, &je);
    json_t *merged = json_load_file(path_of("m.json"), 0, &je);
    CHECK(whole && merged);
    if (!whole || !merged)
        return;
    const char *sections[] = {"records", "fields", "record_violations", "rules", "encoding"};
    int leaves = 0;
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
        same_counts(json_object_get(whole, sections[i]), json_object_get(merged, sections[i]),
                    sections[i], &leaves);
    CHECK_MSG(leaves >= 30, "only %d counts compared", leaves);
    CHECK(json_equal(json_object_get(whole, "header"), json_object_get(merged, "header")));
    CHECK(json_equal(json_object_get(whole, "thresholds"),
                     json_object_get(merged, "thresholds")));
    CHECK_EQ_INT(json_array_size(json_object_get(merged, "inputs")), 2);
    json_t *rd = json_object_get(json_object_get(merged, "records"), "read");
    CHECK_EQ_INT(json_integer_value(rd), res.read);
    json_decref(whole);
    json_decref(merged);
}

/* A shard's stats with one key replaced: text substitution, once. */
static void write_variant(const char *from, const char *to, const char *old,
                          const char *new_text)
{
    FILE *fp = fopen(path_of(from), "rb");
    char buf[16384];
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = '\0';
    char *p = strstr(buf, old);
    CHECK(p != NULL);
    if (!p)
        return;
    *p = '\0';
    char out[16384];
    snprintf(out, sizeof out, "%s%s%s", buf, new_text, p + strlen(old));
    write_file(to, out, NULL);
}

static void test_bad_inputs(void)
{
    assay_error err;
    const char *version[2] = {path_of("a.json"), path_of("v.json")};
    write_variant("b.json", "v.json", "\"stats_version\": 1", "\"stats_version\": 2");
    CHECK_EQ_INT(assay_stats_merge(version, 2, path_of("x.json"), NULL, NULL, NULL, &err), ASSAY_E_USAGE);
    CHECK(strstr(err.message, "stats_version") != NULL);
    const char *limit[2] = {path_of("a.json"), path_of("l.json")};
    write_variant("b.json", "l.json", "\"limit\": 0.5", "\"limit\": 0.25");
    CHECK_EQ_INT(assay_stats_merge(limit, 2, path_of("x.json"), NULL, NULL, NULL, &err), ASSAY_E_USAGE);
    write_file("bad.json", "{\"stats_version\": 1,\n \"records\": [}", NULL);
    const char *bad[2] = {path_of("a.json"), path_of("bad.json")};
    CHECK_EQ_INT(assay_stats_merge(bad, 2, path_of("x.json"), NULL, NULL, NULL, &err), ASSAY_E_USAGE);
    CHECK(strstr(err.message, "bad.json:2:") != NULL);
    const char *missing[2] = {path_of("a.json"), path_of("none.json")};
    CHECK_EQ_INT(assay_stats_merge(missing, 2, path_of("x.json"), NULL, NULL, NULL, &err), ASSAY_E_IO);
    CHECK(access(path_of("x.json"), F_OK) != 0); /* nothing half-written */
    write_variant("b.json", "e.json", "\"detected\": \"UTF-8\"", "\"detected\": \"windows-1252\"");
    const char *mixed[2] = {path_of("a.json"), path_of("e.json")};
    CHECK_EQ_INT(assay_stats_merge(mixed, 2, path_of("x.json"), NULL, NULL, NULL, &err), ASSAY_OK);
    json_error_t je;
    json_t *m = json_load_file(path_of("x.json"), 0, &je);
    json_t *enc = json_object_get(m, "encoding");
    const char *det = json_string_value(json_object_get(enc, "detected"));
    CHECK(det && strcmp(det, "mixed") == 0);
    CHECK_EQ_INT(json_array_size(json_object_get(enc, "detected_by_shard")), 2);
    json_decref(m);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    assay_rules *rules = NULL;
    CHECK_EQ_INT(assay_rules_load_buffer("rules.json", rules_text, strlen(rules_text), NULL,
                                         &rules), ASSAY_OK);
    if (rules) {
        write_file("a.csv", header, half1);
        write_file("b.csv", header, half2);
        char whole[1024];
        snprintf(whole, sizeof whole, "%s%s", half1, half2);
        write_file("w.csv", header, whole);
        run_check(rules, "a.csv", "a.json");
        run_check(rules, "b.csv", "b.json");
        run_check(rules, "w.csv", "w.json");
        test_halves_equal_whole();
        test_bad_inputs();
    }
    assay_rules_free(rules);
    const char *names[] = {"a.csv", "b.csv", "w.csv", "a.json", "b.json", "w.json", "m.json",
                           "v.json", "l.json", "bad.json", "e.json", "x.json"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unlink(path_of(names[i]));
    rmdir(dir);
    return t_done();
}
