/* engine/profile_html.c — the HTML report of a profile document
 * (`assay profile --html`): one self-contained page, inline CSS and SVG drawn
 * here, no script, nothing fetched. Every text that comes from the data (field
 * names, values, tokens, shapes, input names) goes through esc(). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/profile_out.h"

#define LABEL_MAX 32 /* code points of a value shown beside a bar */

typedef struct hw {
    io_out *o;
    assay_status st; /* first write failure */
} hw;

/* Markup and numbers only: never a text from the data. */
static void wr(hw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wr(hw *w, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (w->st != ASSAY_OK || n < 0)
        return;
    w->st = io_out_write(w->o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void raw(hw *w, const char *s)
{
    if (w->st == ASSAY_OK)
        w->st = io_out_puts(w->o, s);
}

/* Writes n bytes of text HTML-escaped (&<>"' as entities; control
 * characters, which HTML cannot show, as \xNN). */
static void esc_n(hw *w, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n && w->st == ASSAY_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        char hex[8];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                snprintf(hex, sizeof hex, "\\x%02X", c);
                rep = hex;
            }
        }
        if (!rep)
            continue;
        if (i > from)
            w->st = io_out_write(w->o, s + from, i - from);
        if (w->st == ASSAY_OK)
            w->st = io_out_puts(w->o, rep);
        from = i + 1;
    }
    if (w->st == ASSAY_OK && n > from)
        w->st = io_out_write(w->o, s + from, n - from);
}

static void esc(hw *w, const char *s)
{
    if (s)
        esc_n(w, s, strlen(s));
}

/* A JSON string escaped; "(empty)" in italics for "". */
static void esc_json(hw *w, const json_t *v)
{
    if (!json_is_string(v)) {
        raw(w, "<i>-</i>");
        return;
    }
    if (json_string_length(v) == 0)
        raw(w, "<i>(empty)</i>");
    else
        esc_n(w, json_string_value(v), json_string_length(v));
}

/* At most max code points of a JSON string, escaped, "…" when cut. */
static void esc_cut(hw *w, const json_t *v, size_t max)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), i = 0, cps = 0;
    if (!s || n == 0) {
        esc_json(w, v);
        return;
    }
    while (i < n && cps < max) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cps++;
    }
    esc_n(w, s, i);
    if (i < n)
        raw(w, "\xE2\x80\xA6");
}

static long long count_of(const json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        return (long long)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9.2e18)
        return (long long)json_real_value(v);
    return -1;
}

static long long key_count(const json_t *o, const char *k)
{
    return count_of(json_object_get(o, k));
}

/* A real as shown: whole numbers in full up to 15 digits (an order id of
 * 1099630 is not 1.09963e+06), others with 8 significant digits. */
static const char *real_text(char *buf, size_t cap, double x)
{
    if (x == floor(x) && fabs(x) < 1e15)
        snprintf(buf, cap, "%.0f", x);
    else
        snprintf(buf, cap, "%.8g", x);
    return buf;
}

/* A number as shown: integers exactly, reals as real_text. */
static void num(hw *w, const json_t *v)
{
    char buf[64];
    if (json_is_integer(v))
        wr(w, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        wr(w, "%s", real_text(buf, sizeof buf, json_real_value(v)));
    else
        raw(w, "<i>-</i>");
}

static void cnt(hw *w, long long c)
{
    if (c < 0)
        raw(w, "<i>-</i>");
    else
        wr(w, "%lld", c);
}

static double share(long long part, long long whole)
{
    return whole > 0 && part >= 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A horizontal bar of width px, filled to pct percent. */
static void bar(hw *w, double pct, int px, const char *color)
{
    if (pct < 0)
        pct = 0;
    if (pct > 100)
        pct = 100;
    wr(w,
       "<svg class=\"bar\" width=\"%d\" height=\"12\" role=\"img\" aria-label=\"%.1f%%\">"
       "<rect width=\"%d\" height=\"12\" fill=\"#e8edf2\"/>"
       "<rect width=\"%.1f\" height=\"12\" fill=\"%s\"/></svg>",
       px, pct, px, px * pct / 100.0, color);
}

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\","
    "Arial,sans-serif;color:#1f2933;background:#fff;margin:0;line-height:1.45}"
    "main{max-width:980px;margin:0 auto;padding:1.5rem}"
    "h1{font-size:1.6rem;margin:0 0 1rem}"
    "h2{font-size:1.25rem;margin:0 0 .5rem;word-break:break-all}"
    "h3{font-size:1rem;margin:1rem 0 .4rem;color:#3e4c59}"
    "table{border-collapse:collapse;margin:.3rem 0 .8rem;font-size:.9rem}"
    "th,td{border:1px solid #d9e2ec;padding:.25rem .55rem;text-align:left;"
    "vertical-align:top}"
    "th{background:#f5f7fa;font-weight:600}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".v{font-family:ui-monospace,\"SFMono-Regular\",Menlo,Consolas,monospace;"
    "word-break:break-all;white-space:pre-wrap}"
    "section.field{border-top:2px solid #d9e2ec;padding-top:1rem;margin-top:1.5rem}"
    ".type{display:inline-block;background:#e3f0fc;color:#1c4f80;border-radius:3px;"
    "padding:0 .4rem;font-weight:600}"
    ".note{color:#8a5a00;background:#fff8e6;border-left:3px solid #f0b429;"
    "padding:.3rem .6rem;font-size:.85rem;margin:.3rem 0}"
    ".grid{display:flex;flex-wrap:wrap;gap:0 2rem}"
    "nav ol{columns:3;font-size:.9rem}"
    "svg{display:block}svg text{font-size:11px;fill:#3e4c59}"
    "footer{color:#7b8794;font-size:.8rem;margin-top:2rem}";

static void summary(hw *w, const json_t *p)
{
    const json_t *fields = json_object_get(p, "fields");
    raw(w, "<section class=\"summary\"><table>");
    raw(w, "<tr><th>records</th><td class=\"n\">");
    cnt(w, key_count(p, "records"));
    raw(w, "</td></tr><tr><th>bytes</th><td class=\"n\">");
    cnt(w, key_count(p, "bytes"));
    wr(w, "</td></tr><tr><th>fields</th><td class=\"n\">%zu</td></tr>",
       json_array_size(fields));
    const json_t *smp = json_object_get(p, "sampling");
    if (json_is_object(smp)) {
        raw(w, "<tr><th>shapes counted</th><td>");
        if (count_of(json_object_get(smp, "shapes_after")) >= 0)
            wr(w, "the first %lld values of each field", key_count(smp, "shapes_after"));
        else
            raw(w, "every value");
        raw(w, "</td></tr><tr><th>top values counted</th><td>");
        if (count_of(json_object_get(smp, "top_after")) >= 0)
            wr(w, "the first %lld values of each field", key_count(smp, "top_after"));
        else
            raw(w, "every value");
        raw(w, "</td></tr>");
    }
    raw(w, "</table>");

    const json_t *inputs = json_object_get(p, "inputs");
    if (json_is_array(inputs) && json_array_size(inputs)) {
        raw(w, "<h3>Inputs</h3><table><tr><th>input</th><th>format</th><th>bytes</th>"
               "<th>records</th><th>ragged</th><th>encoding</th><th>dialect</th></tr>");
        size_t i;
        json_t *in;
        json_array_foreach(inputs, i, in)
        {
            raw(w, "<tr><td class=\"v\">");
            esc_json(w, json_object_get(in, "name"));
            raw(w, "</td><td>");
            esc_json(w, json_object_get(in, "format"));
            raw(w, "</td><td class=\"n\">");
            cnt(w, key_count(in, "bytes"));
            raw(w, "</td><td class=\"n\">");
            cnt(w, key_count(in, "records"));
            raw(w, "</td><td class=\"n\">");
            cnt(w, key_count(in, "ragged"));
            raw(w, "</td><td>");
            const json_t *enc = json_object_get(in, "encoding");
            if (json_is_object(enc)) {
                esc_json(w, json_object_get(enc, "name"));
                if (json_is_string(json_object_get(enc, "decided_by"))) {
                    raw(w, " (");
                    esc_json(w, json_object_get(enc, "decided_by"));
                    if (key_count(enc, "confidence") >= 0)
                        wr(w, ", confidence %lld", key_count(enc, "confidence"));
                    raw(w, ")");
                }
            } else
                raw(w, "<i>-</i>");
            raw(w, "</td><td>");
            const json_t *d = json_object_get(in, "dialect");
            if (json_is_object(d)) {
                raw(w, "delimiter <span class=\"v\">");
                esc_json(w, json_object_get(d, "delimiter"));
                raw(w, "</span>, quote <span class=\"v\">");
                esc_json(w, json_object_get(d, "quote"));
                raw(w, "</span>, header ");
                raw(w, json_is_true(json_object_get(d, "header")) ? "yes" : "no");
            } else
                raw(w, "<i>-</i>");
            raw(w, "</td></tr>");
        }
        raw(w, "</table>");
    }

    raw(w, "<nav><h3>Fields</h3><ol>");
    size_t i;
    json_t *fd;
    json_array_foreach(fields, i, fd)
    {
        wr(w, "<li><a href=\"#field-%zu\">", i + 1);
        esc_json(w, json_object_get(fd, "name"));
        raw(w, "</a> <small>");
        esc_json(w, json_object_get(fd, "inferred"));
        raw(w, "</small></li>");
    }
    raw(w, "</ol></nav></section>");
}

/* The quantile strip: min..max as a line, p01..p99, p05..p95 and p25..p75
 * as nested boxes, the median as a mark. */
static void quantile_strip(hw *w, const json_t *num_o)
{
    static const char *const qk[] = {"p01", "p05", "p25", "p50", "p75", "p95", "p99"};
    const json_t *q = json_object_get(num_o, "quantiles");
    double mn = json_number_value(json_object_get(num_o, "min"));
    double mx = json_number_value(json_object_get(num_o, "max"));
    if (!json_is_number(json_object_get(num_o, "min")) ||
        !json_is_number(json_object_get(num_o, "max")) || !isfinite(mn) ||
        !isfinite(mx) || mx < mn)
        return;
    double v[7];
    bool have[7];
    for (int i = 0; i < 7; i++) {
        const json_t *x = json_object_get(q, qk[i]);
        have[i] = json_is_number(x) && isfinite(json_number_value(x));
        v[i] = have[i] ? json_number_value(x) : 0;
    }
    const double W = 600, L = 20, R = 580;
    double span = mx - mn;
#define X(val) (span > 0 ? L + ((val) - mn) / span * (R - L) : (L + R) / 2)
    raw(w, "<svg class=\"quantiles\" width=\"600\" height=\"54\" role=\"img\" "
           "aria-label=\"quantiles\">");
    wr(w, "<line x1=\"%.1f\" y1=\"18\" x2=\"%.1f\" y2=\"18\" stroke=\"#9aa5b1\"/>", X(mn),
       X(mx));
    static const char *const fill[] = {"#dbe9f6", "#a9cbec", "#4a90d9"};
    static const int h[] = {16, 20, 24};
    for (int k = 0; k < 3; k++) {
        int a = k, b = 6 - k;
        if (!have[a] || !have[b] || v[b] < v[a])
            continue;
        double x0 = X(v[a]), x1 = X(v[b]);
        wr(w,
           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
           "<title>%s..%s: %.8g .. %.8g</title></rect>",
           x0, 18 - h[k] / 2.0, x1 - x0 > 1 ? x1 - x0 : 1, h[k], fill[k], qk[a], qk[b],
           v[a], v[b]);
    }
    if (have[3])
        wr(w, "<line x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"32\" stroke=\"#102a43\" "
              "stroke-width=\"2\"><title>p50: %.8g</title></line>",
           X(v[3]), X(v[3]), v[3]);
    char a[64], b[64];
    wr(w, "<text x=\"%.1f\" y=\"48\" text-anchor=\"start\">min %s</text>", L,
       real_text(a, sizeof a, mn));
    wr(w, "<text x=\"%.1f\" y=\"48\" text-anchor=\"end\">max %s</text>", R,
       real_text(b, sizeof b, mx));
    if (have[3])
        wr(w, "<text x=\"%.1f\" y=\"48\" text-anchor=\"middle\">p50 %.8g</text>", W / 2,
           v[3]);
    raw(w, "</svg>");
#undef X
    raw(w, "<table><tr>");
    for (int i = 0; i < 7; i++)
        wr(w, "<th>%s</th>", qk[i]);
    raw(w, "</tr><tr>");
    for (int i = 0; i < 7; i++) {
        raw(w, "<td class=\"n\">");
        num(w, json_object_get(q, qk[i]));
        raw(w, "</td>");
    }
    raw(w, "</tr></table>");
}

/* Top values as horizontal bars: label, bar, count. */
static void top_chart(hw *w, const json_t *top)
{
    size_t n = json_array_size(top);
    long long maxc = 0;
    size_t i;
    json_t *it;
    json_array_foreach(top, i, it)
    {
        if (key_count(it, "count") > maxc)
            maxc = key_count(it, "count");
    }
    if (!n || maxc <= 0)
        return;
    const int row = 22, lw = 250, bw = 300;
    wr(w, "<svg class=\"top\" width=\"%d\" height=\"%zu\" role=\"img\" "
          "aria-label=\"top values\">",
       lw + bw + 90, n * (size_t)row + 4);
    json_array_foreach(top, i, it)
    {
        long long c = key_count(it, "count");
        double y = (double)i * row + 2;
        double len = c > 0 ? (double)bw * (double)c / (double)maxc : 0;
        wr(w, "<g><title>");
        esc_json(w, json_object_get(it, "value"));
        wr(w, ": %lld</title><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", c, lw - 6,
           y + 14);
        esc_cut(w, json_object_get(it, "value"), LABEL_MAX);
        wr(w, "</text><rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" "
              "fill=\"#4a90d9\"/>",
           lw, y + 2, len > 1 ? len : 1);
        wr(w, "<text x=\"%.1f\" y=\"%.1f\">%lld</text></g>", lw + len + 5, y + 14, c);
    }
    raw(w, "</svg>");
}

/* A table of {key: count} (missing tokens, date formats). */
static void count_table(hw *w, const json_t *obj, const char *head, long long whole)
{
    if (!json_is_object(obj) || json_object_size(obj) == 0)
        return;
    wr(w, "<table><tr><th>%s</th><th>count</th><th>share</th></tr>", head);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        raw(w, "<tr><td class=\"v\">");
        if (*k)
            esc(w, k);
        else
            raw(w, "<i>(empty)</i>");
        raw(w, "</td><td class=\"n\">");
        cnt(w, count_of(v));
        wr(w, "</td><td class=\"n\">%.1f%%</td></tr>", share(count_of(v), whole));
    }
    raw(w, "</table>");
}

static void row_num(hw *w, const char *label, const json_t *v)
{
    wr(w, "<tr><th>%s</th><td class=\"n\">", label);
    num(w, v);
    raw(w, "</td></tr>");
}

static void row_text(hw *w, const char *label, const json_t *v)
{
    wr(w, "<tr><th>%s</th><td class=\"v\">", label);
    esc_json(w, v);
    raw(w, "</td></tr>");
}

static void field(hw *w, const json_t *p, const json_t *fd, size_t idx)
{
    long long count = key_count(fd, "count"), missing = key_count(fd, "missing");
    long long nm = count >= 0 && missing >= 0 ? count - missing : -1;
    wr(w, "<section class=\"field\" id=\"field-%zu\"><h2>", idx + 1);
    esc_json(w, json_object_get(fd, "name"));
    raw(w, "</h2><p>inferred type <span class=\"type\">");
    esc_json(w, json_object_get(fd, "inferred"));
    raw(w, "</span></p>");

    /* Notes on what is estimated. */
    const json_t *smp = json_object_get(p, "sampling");
    if (count_of(json_object_get(smp, "shapes_after")) >= 0 &&
        count > key_count(smp, "shapes_after"))
        wr(w, "<p class=\"note\">Shapes are sampled: counted over the first %lld values "
              "only.</p>", key_count(smp, "shapes_after"));
    if (count_of(json_object_get(smp, "top_after")) >= 0 &&
        count > key_count(smp, "top_after"))
        wr(w, "<p class=\"note\">Top values are sampled: counted over the first %lld "
              "values only.</p>", key_count(smp, "top_after"));
    if (json_is_false(json_object_get(fd, "top_exact")))
        raw(w, "<p class=\"note\">Top values are approximate (more distinct values than "
               "the counter holds): counts may be over by a little.</p>");
    if (json_is_false(json_object_get(fd, "shapes_exact")))
        raw(w, "<p class=\"note\">Shape counts are approximate.</p>");
    const json_t *dist = json_object_get(fd, "distinct");
    if (json_is_false(json_object_get(dist, "exact")))
        raw(w, "<p class=\"note\">The distinct count is an estimate (HyperLogLog).</p>");

    raw(w, "<div class=\"grid\"><div><h3>Values</h3><table>");
    raw(w, "<tr><th>present</th><td class=\"n\">");
    cnt(w, count);
    raw(w, "</td></tr><tr><th>missing</th><td class=\"n\">");
    cnt(w, missing);
    wr(w, " (%.1f%%)</td><td>", share(missing, count));
    bar(w, share(missing, count), 160, "#d64545");
    raw(w, "</td></tr><tr><th>distinct</th><td class=\"n\">");
    if (json_is_false(json_object_get(dist, "exact")))
        raw(w, "&asymp;");
    cnt(w, key_count(dist, "estimate"));
    raw(w, "</td></tr>");
    const json_t *len = json_object_get(fd, "length");
    if (json_is_object(len)) {
        row_num(w, "length min", json_object_get(len, "min"));
        row_num(w, "length mean", json_object_get(len, "mean"));
        row_num(w, "length max", json_object_get(len, "max"));
    }
    const json_t *ws = json_object_get(fd, "whitespace");
    row_num(w, "leading white space", json_object_get(ws, "leading"));
    row_num(w, "trailing white space", json_object_get(ws, "trailing"));
    row_num(w, "non-ASCII", json_object_get(fd, "non_ascii"));
    row_num(w, "invalid encoding", json_object_get(fd, "invalid_encoding"));
    if (json_object_get(fd, "nulls_in_integers"))
        row_num(w, "null tokens among integers", json_object_get(fd, "nulls_in_integers"));
    raw(w, "</table></div>");

    const json_t *types = json_object_get(fd, "types");
    if (json_is_object(types)) {
        raw(w, "<div><h3>Types</h3><table><tr><th>type</th><th>reads</th><th>share</th>"
               "<th></th></tr>");
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)types, k, v)
        {
            double s = share(count_of(v), nm);
            raw(w, "<tr><td>");
            esc(w, k);
            raw(w, "</td><td class=\"n\">");
            cnt(w, count_of(v));
            wr(w, "</td><td class=\"n\">%.1f%%</td><td>", s);
            bar(w, s, 100, "#4a90d9");
            raw(w, "</td></tr>");
        }
        raw(w, "</table></div>");
    }
    raw(w, "</div>");

    if (json_object_size(json_object_get(fd, "missing_tokens"))) {
        raw(w, "<h3>Missing tokens</h3>");
        count_table(w, json_object_get(fd, "missing_tokens"), "token", count);
    }

    const json_t *nu = json_object_get(fd, "numeric");
    if (key_count(nu, "count") > 0) {
        raw(w, "<h3>Numbers</h3><table>");
        row_num(w, "numeric values", json_object_get(nu, "count"));
        row_num(w, "min", json_object_get(nu, "min"));
        row_num(w, "max", json_object_get(nu, "max"));
        row_num(w, "mean", json_object_get(nu, "mean"));
        row_num(w, "stddev", json_object_get(nu, "stddev"));
        raw(w, "</table>");
        quantile_strip(w, nu);
        raw(w, "<p class=\"note\">Quantiles are estimates (KLL sketch); min, max, mean "
               "and stddev are exact.</p>");
    }

    const json_t *tm = json_object_get(fd, "temporal");
    const json_t *tx = json_object_get(fd, "text");
    if (json_is_string(json_object_get(tm, "min")) || json_is_string(json_object_get(tx, "min"))) {
        raw(w, "<h3>Range</h3><table>");
        if (json_is_string(json_object_get(tm, "min"))) {
            row_text(w, "earliest", json_object_get(tm, "min"));
            row_text(w, "latest", json_object_get(tm, "max"));
        }
        if (json_is_string(json_object_get(tx, "min"))) {
            row_text(w, "first (byte order)", json_object_get(tx, "min"));
            row_text(w, "last (byte order)", json_object_get(tx, "max"));
        }
        raw(w, "</table>");
    }

    if (json_object_size(json_object_get(fd, "date_formats"))) {
        raw(w, "<h3>Date formats</h3>");
        count_table(w, json_object_get(fd, "date_formats"), "format", nm);
    }

    const json_t *top = json_object_get(fd, "top");
    if (json_array_size(top)) {
        raw(w, "<h3>Top values</h3>");
        top_chart(w, top);
    }

    const json_t *shapes = json_object_get(fd, "shapes");
    if (json_array_size(shapes)) {
        raw(w, "<h3>Shapes</h3><table><tr><th>shape</th><th>count</th><th>share</th></tr>");
        size_t i;
        json_t *it;
        json_array_foreach(shapes, i, it)
        {
            raw(w, "<tr><td class=\"v\">");
            esc_json(w, json_object_get(it, "shape"));
            raw(w, "</td><td class=\"n\">");
            cnt(w, key_count(it, "count"));
            wr(w, "</td><td class=\"n\">%.1f%%</td></tr>", share(key_count(it, "count"), nm));
        }
        raw(w, "</table>");
    }
    raw(w, "</section>");
}

assay_status eng_profile_html(const json_t *profile, io_out *o, assay_error *err)
{
    const json_t *fields = json_object_get(profile, "fields");
    size_t i;
    json_t *fd;
    if (!json_is_array(fields)) {
        if (err) {
            err->status = ASSAY_E_USAGE;
            snprintf(err->message, sizeof err->message, "profile: no \"fields\" array");
        }
        return ASSAY_E_USAGE;
    }
    json_array_foreach(fields, i, fd)
    {
        if (!json_is_string(json_object_get(fd, "name"))) {
            if (err) {
                err->status = ASSAY_E_USAGE;
                snprintf(err->message, sizeof err->message,
                         "profile: field %zu has no \"name\"", i + 1);
            }
            return ASSAY_E_USAGE;
        }
    }
    hw w = {o, ASSAY_OK};
    raw(&w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>assay profile");
    const json_t *in0 = json_array_get(json_object_get(profile, "inputs"), 0);
    if (json_is_string(json_object_get(in0, "name"))) {
        raw(&w, ": ");
        esc_json(&w, json_object_get(in0, "name"));
    }
    raw(&w, "</title><style>");
    raw(&w, CSS);
    raw(&w, "</style></head>\n<body><main><h1>Profile</h1>\n");
    summary(&w, profile);
    json_array_foreach(fields, i, fd)
    {
        raw(&w, "\n");
        field(&w, profile, fd, i);
    }
    raw(&w, "\n<footer>assay " ASSAY_VERSION " &middot; profile version ");
    num(&w, json_object_get(profile, "profile_version"));
    raw(&w, "</footer></main></body></html>\n");
    if (w.st != ASSAY_OK)
        io_out_error(o, err);
    return w.st;
}
