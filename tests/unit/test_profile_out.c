/* tests/unit/test_profile_out.c — what is drawn from a profile document: the
 * suggested rules (exact expected rules, and clean under the rules loader)
 * and the HTML report (one section per field, every data text escaped,
 * nothing fetched). Fixtures: the .profile.json files in tests/profile. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "assay/assay.h"
#include "engine/profile_out.h"
#include "io/outfile.h"
#include "t.h"

static json_t *load(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
    return j;
}

typedef assay_status (*draw_fn)(const json_t *, io_out *, assay_error *);

/* Runs fn on doc into memory; returns a NUL-terminated copy (NULL on error). */
static char *draw(draw_fn fn, const json_t *doc, assay_status *st, assay_error *err)
{
    io_out *o = NULL;
    if (io_out_memory(&o) != ASSAY_OK)
        return NULL;
    *st = fn(doc, o, err);
    size_t n;
    const char *p = io_out_mem_data(o, &n);
    char *s = malloc(n + 1);
    if (s) {
        if (n)
            memcpy(s, p, n);
        s[n] = 0;
    }
    io_out_free(o);
    return s;
}

static size_t count_sub(const char *h, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(h, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static const json_t *field_named(const json_t *rules, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(rules, "fields"), i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
            return f;
    }
    return NULL;
}

/* The field's descriptor without x-inferred, compared with want (JSON). */
static void expect_field(const json_t *rules, const char *name, const char *want)
{
    const json_t *f = field_named(rules, name);
    CHECK_MSG(f != NULL, "field %s missing", name);
    if (!f)
        return;
    json_t *c = json_deep_copy(f);
    CHECK_MSG(json_is_object(json_object_get(c, "x-inferred")), "%s: x-inferred", name);
    json_object_del(c, "x-inferred");
    json_error_t je;
    json_t *w = json_loads(want, 0, &je);
    CHECK_MSG(w != NULL, "bad want for %s: %s", name, je.text);
    char *got = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_MSG(w && json_equal(c, w), "%s:\n  got  %s\n  want %s", name, got, want);
    free(got);
    json_decref(w);
    json_decref(c);
}

static void test_suggest(void)
{
    json_t *doc = load("../profile/suggest.profile.json");
    CHECK(doc != NULL);
    if (!doc)
        return;
    assay_status st;
    assay_error err = {0};
    char *text = draw(eng_profile_suggest, doc, &st, &err);
    CHECK_MSG(st == ASSAY_OK, "%s", err.message);
    CHECK(text != NULL);
    if (!text) {
        json_decref(doc);
        return;
    }
    json_error_t je;
    json_t *r = json_loads(text, 0, &je);
    CHECK_MSG(r != NULL, "output is not JSON: %s", je.text);

    /* Loads with no diagnostic at all (assay lint clean). */
    assay_diags *d = assay_diags_new();
    assay_rules *rules = NULL;
    st = assay_rules_load_buffer("s.rules.json", text, strlen(text), d, &rules);
    CHECK_MSG(st == ASSAY_OK && rules, "rules do not load");
    CHECK_EQ_INT(assay_diags_count(d), 0);
    for (size_t i = 0; i < assay_diags_count(d); i++)
        fprintf(stderr, "  %s: %s\n", assay_diags_get(d, i)->path,
                assay_diags_get(d, i)->message);
    assay_rules_free(rules);
    assay_diags_free(d);

    /* missingValues: "" first, then the tokens by count. */
    json_t *want_mv = json_pack("[sss]", "", "N/A", "-");
    CHECK(json_equal(json_object_get(r, "missingValues"), want_mv));
    json_decref(want_mv);
    json_t *want_dia = json_pack("{s:s,s:s,s:b}", "delimiter", ";", "quoteChar", "\"",
                                 "header", 1);
    CHECK(json_equal(json_object_get(r, "dialect"), want_dia));
    json_decref(want_dia);
    CHECK_EQ_INT(json_array_size(json_object_get(r, "fields")), 13);

    /* Range 1001..1900: margin 90, rounded to tens. */
    expect_field(r, "id",
                 "{\"name\":\"id\",\"type\":\"integer\",\"constraints\":{\"minimum\":910,"
                 "\"maximum\":1990,\"required\":true}}");
    /* Missing values (N/A and "") keep it integer, not required; not below 0. */
    expect_field(r, "qty",
                 "{\"name\":\"qty\",\"type\":\"integer\",\"constraints\":{\"minimum\":0,"
                 "\"maximum\":110}}");
    expect_field(r, "amount",
                 "{\"name\":\"amount\",\"type\":\"number\",\"constraints\":{\"minimum\":0,"
                 "\"maximum\":110000,\"required\":true}}");
    /* One value: 10% of it (1 for 0) as the margin. */
    expect_field(r, "delta",
                 "{\"name\":\"delta\",\"type\":\"integer\",\"constraints\":{\"minimum\":-8,"
                 "\"maximum\":-6,\"required\":true}}");
    expect_field(r, "status",
                 "{\"name\":\"status\",\"type\":\"string\",\"constraints\":{\"enum\":"
                 "[\"paid\",\"shipped\",\"pending\"]}}");
    /* Twelve values: the exact top sketch lists them. */
    expect_field(r, "country",
                 "{\"name\":\"country\",\"type\":\"string\",\"constraints\":{\"required\":"
                 "true,\"enum\":[\"C0\",\"C1\",\"C2\",\"C3\",\"C4\",\"C5\",\"C6\",\"C7\","
                 "\"C8\",\"C9\",\"ZZ\",\"YY\"]}}");
    expect_field(r, "zip",
                 "{\"name\":\"zip\",\"type\":\"string\",\"constraints\":{\"required\":true,"
                 "\"pattern\":\"[0-9]{5}\",\"maxLength\":6}}");
    expect_field(r, "code",
                 "{\"name\":\"code\",\"type\":\"string\",\"constraints\":{\"required\":true,"
                 "\"pattern\":\"[A-Z]{3,}[a-z]{2}[0-9]\",\"maxLength\":15}}");
    /* A literal "-" in the shape: no pattern. */
    expect_field(r, "sku",
                 "{\"name\":\"sku\",\"type\":\"string\",\"constraints\":{\"required\":true,"
                 "\"maxLength\":15}}");
    expect_field(r, "order_date",
                 "{\"name\":\"order_date\",\"prefer\":\"first\",\"output\":\"yyyy-MM-dd\","
                 "\"formats\":[\"yyyy-MM-dd\",\"dd/MM/yyyy\",\"MM/dd/yyyy\"],\"type\":"
                 "\"date\",\"constraints\":{\"required\":true}}");
    expect_field(r, "flag",
                 "{\"name\":\"flag\",\"trueValues\":[\"yes\"],\"falseValues\":[\"No\"],"
                 "\"type\":\"boolean\",\"constraints\":{\"required\":true}}");
    expect_field(r, "notes", "{\"name\":\"notes\",\"type\":\"string\"}");

    /* 0.1..0.3: margin 0.02, rounded to hundredths, written exactly. */
    const json_t *rate = json_object_get(field_named(r, "rate"), "constraints");
    double lo = json_number_value(json_object_get(rate, "minimum"));
    double hi = json_number_value(json_object_get(rate, "maximum"));
    CHECK_MSG(lo >= 0.07 - 1e-12 && lo <= 0.08 + 1e-12, "rate minimum %.17g", lo);
    CHECK_MSG(hi >= 0.32 - 1e-12 && hi <= 0.33 + 1e-12, "rate maximum %.17g", hi);
    CHECK(strstr(text, "\"minimum\": 0.08") || strstr(text, "\"minimum\": 0.07"));
    CHECK(strstr(text, "0.0800000") == NULL && strstr(text, "0.0700000") == NULL);

    /* Notes say where each rule came from. */
    const json_t *xi = json_object_get(field_named(r, "qty"), "x-inferred");
    CHECK(strstr(json_string_value(json_object_get(xi, "type")), "995 of 995") != NULL);
    CHECK(json_is_string(json_object_get(xi, "minimum")));
    CHECK(json_object_get(xi, "required") == NULL);
    xi = json_object_get(field_named(r, "zip"), "x-inferred");
    CHECK(strstr(json_string_value(json_object_get(xi, "pattern")), "99999") != NULL);

    json_decref(r);
    free(text);
    json_decref(doc);
}

static void test_suggest_hostile(void)
{
    json_t *doc = load("../profile/hostile.profile.json");
    CHECK(doc != NULL);
    if (!doc)
        return;
    assay_status st;
    assay_error err = {0};
    /* A field without a name cannot become a rule. */
    char *text = draw(eng_profile_suggest, doc, &st, &err);
    CHECK(st == ASSAY_E_USAGE);
    CHECK(strstr(err.message, "name") != NULL);
    free(text);
    /* Named, it loads clean. */
    json_object_set_new(json_array_get(json_object_get(doc, "fields"), 3), "name",
                        json_string("empty"));
    text = draw(eng_profile_suggest, doc, &st, &err);
    CHECK_MSG(st == ASSAY_OK, "%s", err.message);
    if (text) {
        assay_diags *d = assay_diags_new();
        assay_rules *rules = NULL;
        st = assay_rules_load_buffer("h.rules.json", text, strlen(text), d, &rules);
        CHECK(st == ASSAY_OK);
        CHECK_EQ_INT(assay_diags_count(d), 0);
        for (size_t i = 0; i < assay_diags_count(d); i++)
            fprintf(stderr, "  %s: %s\n", assay_diags_get(d, i)->path,
                    assay_diags_get(d, i)->message);
        assay_rules_free(rules);
        assay_diags_free(d);
        json_t *r = json_loads(text, 0, NULL);
        const json_t *f0 = json_array_get(json_object_get(r, "fields"), 0);
        CHECK(strcmp(json_string_value(json_object_get(f0, "type")), "integer") == 0);
        /* Invalid bytes in the values: no enum, no pattern. */
        const json_t *c1 =
            json_object_get(json_array_get(json_object_get(r, "fields"), 1), "constraints");
        CHECK(json_object_get(c1, "enum") == NULL);
        CHECK(json_object_get(c1, "pattern") == NULL);
        json_t *want = json_pack("[ssss]", "", "NULL", "N/A", "<null>");
        CHECK(json_equal(json_object_get(r, "missingValues"), want));
        json_decref(want);
        json_decref(r);
    }
    free(text);

    json_t *empty = json_pack("{s:[]}", "fields");
    text = draw(eng_profile_suggest, empty, &st, &err);
    CHECK(st == ASSAY_E_USAGE);
    free(text);
    json_decref(empty);
    json_decref(doc);
}

static void test_html(void)
{
    json_t *doc = load("../profile/hostile.profile.json");
    CHECK(doc != NULL);
    if (!doc)
        return;
    assay_status st;
    assay_error err = {0};
    char *h = draw(eng_profile_html, doc, &st, &err);
    CHECK_MSG(st == ASSAY_OK, "%s", err.message);
    CHECK(h != NULL);
    if (h) {
        CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
        CHECK_EQ_INT(count_sub(h, "<section class=\"field\""), 4);
        CHECK(strstr(h, "id=\"field-1\"") && strstr(h, "id=\"field-4\""));
        CHECK(strstr(h, "id=\"field-5\"") == NULL);
        /* Markup from the data is text. */
        CHECK(strstr(h, "<script") == NULL);
        CHECK(strstr(h, "<img") == NULL);
        CHECK(strstr(h, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") != NULL);
        CHECK(strstr(h, "a &amp; b &#39;single&#39; &quot;double&quot; &lt;/section&gt;") != NULL);
        CHECK(strstr(h, "&lt;img src=x onerror=alert(1)&gt;") != NULL);
        CHECK(strstr(h, "&lt;evil&gt; &amp; &quot;in&#39;put&quot;.csv") != NULL);
        CHECK(strstr(h, "ctl\\x01\\x07 and") != NULL);
        CHECK(strstr(h, "date &amp; time \xE2\x86\x92 \xE6\x97\xA5\xE4\xBB\x98") != NULL);
        /* Nothing fetched: no attribute names an address. */
        CHECK(strstr(h, "src=\"") == NULL && strstr(h, "href=\"h") == NULL);
        CHECK(strstr(h, "url(") == strstr(h, "url(//evil")); /* only as text */
        /* Numbers, notes, charts. */
        CHECK(strstr(h, "<svg class=\"quantiles\"") != NULL);
        CHECK_EQ_INT(count_sub(h, "<svg class=\"top\""), 3);
        CHECK(strstr(h, "Shapes are sampled") != NULL);
        CHECK(strstr(h, "Top values are approximate") != NULL);
        CHECK(strstr(h, "HyperLogLog") != NULL);
        CHECK(strstr(h, "12345") != NULL);
        CHECK(strstr(h, "yyyy-MM-dd") != NULL);
        CHECK(strstr(h, "</html>\n") != NULL);
    }
    free(h);

    json_t *bad = json_pack("{s:[{s:i}]}", "fields", "count", 3);
    h = draw(eng_profile_html, bad, &st, &err);
    CHECK(st == ASSAY_E_USAGE);
    free(h);
    json_decref(bad);
    json_decref(doc);
}

/* test_profile_out html|suggest PROFILE.json OUT: draws one output from a
 * document (the driver of tests/profile/check_html.sh). */
static int render(const char *what, const char *in, const char *out)
{
    json_t *doc = load(in);
    if (!doc)
        return 2;
    io_out *o = NULL;
    assay_error err = {0};
    assay_status st = io_out_open(&o, out, NULL, NULL, &err);
    if (st == ASSAY_OK)
        st = strcmp(what, "html") == 0 ? eng_profile_html(doc, o, &err)
                                       : eng_profile_suggest(doc, o, &err);
    if (st == ASSAY_OK)
        st = io_out_commit(o, &err);
    io_out_free(o);
    json_decref(doc);
    if (st != ASSAY_OK)
        fprintf(stderr, "%s\n", err.message);
    return st == ASSAY_OK ? 0 : 1;
}

/* Keys of the wrong type are skipped, never trusted. */
static void test_wrong_types(void)
{
    const char *text =
        "{\"records\":\"x\",\"inputs\":[1,{\"name\":2,\"dialect\":[]}],"
        "\"sampling\":{\"shapes_after\":-3},\"fields\":[{\"name\":\"f\","
        "\"count\":\"a\",\"missing\":-1,\"types\":[],\"inferred\":\"integer\","
        "\"numeric\":{\"count\":5,\"min\":\"z\",\"max\":1,\"quantiles\":5},"
        "\"top\":[1,{\"value\":3,\"count\":-2}],\"shapes\":{\"a\":1},"
        "\"date_formats\":[1],\"length\":{\"max\":1e300},\"distinct\":null,"
        "\"missing_tokens\":{\"x\":\"y\"}},{\"name\":\"g\",\"count\":4,"
        "\"missing\":0,\"inferred\":\"number\",\"numeric\":{\"min\":1e308,"
        "\"max\":-1e308}}]}";
    json_t *doc = json_loads(text, 0, NULL);
    CHECK(doc != NULL);
    assay_status st;
    assay_error err = {0};
    char *h = draw(eng_profile_html, doc, &st, &err);
    CHECK_MSG(st == ASSAY_OK, "%s", err.message);
    CHECK(h && count_sub(h, "<section class=\"field\"") == 2);
    free(h);
    h = draw(eng_profile_suggest, doc, &st, &err);
    CHECK_MSG(st == ASSAY_OK, "%s", err.message);
    json_t *r = h ? json_loads(h, 0, NULL) : NULL;
    CHECK(r != NULL);
    const json_t *g = json_array_get(json_object_get(r, "fields"), 1);
    CHECK(json_object_get(json_object_get(g, "constraints"), "minimum") == NULL);
    json_decref(r);
    free(h);
    json_decref(doc);
}

int main(int argc, char **argv)
{
    if (argc == 4)
        return render(argv[1], argv[2], argv[3]);
    test_suggest();
    test_suggest_hostile();
    test_html();
    test_wrong_types();
    return t_done();
}
