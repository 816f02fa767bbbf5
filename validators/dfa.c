/* validators/dfa.c — pattern subset -> Glushkov automaton -> byte DFA (see
 * dfa.h).
 *
 * Three steps. The parser turns the pattern into a tree of character sets,
 * concatenations, alternations and repeats, refusing anything outside the
 * subset. The Glushkov construction numbers every character set of the tree
 * with counted repeats written out ("x{2,3}" is x x x?), and computes which
 * position may follow which. The subset construction then makes a DFA whose
 * states are sets of positions (the positions just read; position 0 is the
 * start), over byte classes: bytes that every character set treats alike
 * share a column of the transition table. State 0 is the dead state. */
#include "validators/dfa.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The longest run of nested groups taken (pcre2 allows 250). */
#define DFA_MAX_DEPTH 32
#define REP_INF UINT32_MAX
/* pcre2's largest repeat count. */
#define REP_MAX 65535u

/* Matching is a chain of dependent table loads, one per step: its speed is
 * the load latency. So when the tables stay small, a step reads two or
 * three bytes. A row of the wide table (one per state) holds the ncls^3
 * three-byte steps, indexed c1 * ncls^2 + c2 * ncls + c3, then the ncls^2
 * two-byte steps, the ncls one-byte steps and the accept flag; entries are
 * next state * wide stride. A table of at most DFA_WIDE_MAX entries keeps
 * it in the first-level cache; past it a two-byte table is tried, then the
 * one-byte one alone. */
#define DFA_WIDE_MAX 8192u

struct val_dfa {
    size_t stride;       /* row width: the byte classes, then the accept flag */
    int step;            /* bytes a step of the wide table reads: 1 (none), 2, 3 */
    int wide_k;          /* the longest step the wide table holds */
    size_t wstride;      /* wide row width */
    size_t off2, off1;   /* where a row's two- and one-byte steps start */
    uint8_t map[256];    /* byte -> class; class 0 leads every state to dead */
    uint16_t m1[256];    /* byte -> class * ncls */
    uint16_t m2[256];    /* byte -> class * ncls^2 */
    const uint16_t *wide; /* the wide table; NULL when none */
    uint16_t trans[];    /* [state * stride + class] = next state * stride;
                          * the wide table follows when there is one */
};

/* ---- parsing ---------------------------------------------------------- */

typedef enum dfa_kind { DN_EMPTY, DN_SET, DN_CAT, DN_ALT, DN_REP } dfa_kind;

typedef struct dfa_node {
    dfa_kind kind;
    int child, next;     /* first child (CAT, ALT, REP), next sibling; -1 none */
    uint32_t min, max;   /* REP; max REP_INF: no upper bound */
    uint64_t set[2];     /* SET: the ASCII bytes matched */
} dfa_node;

typedef struct dfa_parser {
    const unsigned char *p, *end;
    dfa_node *nodes;
    size_t nn, cap;
    int depth;
} dfa_parser;

static int new_node(dfa_parser *ps, dfa_kind kind)
{
    if (ps->nn == ps->cap)
        return -1;
    dfa_node *d = &ps->nodes[ps->nn];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->child = d->next = -1;
    return (int)ps->nn++;
}

static void set_add(uint64_t set[2], unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        set[c >> 6] |= (uint64_t)1 << (c & 63);
}

static bool is_alnum(unsigned c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* An escape after the backslash at ps->p: a class (\d \w \s) into set with
 * *ch = -1, or one character into *ch. False: not in the subset. */
static bool parse_escape(dfa_parser *ps, uint64_t set[2], int *ch)
{
    if (ps->p == ps->end)
        return false;
    unsigned c = *ps->p++;
    *ch = -1;
    switch (c) {
    case 'd':
        set_add(set, '0', '9');
        return true;
    case 'w':
        set_add(set, '0', '9');
        set_add(set, 'A', 'Z');
        set_add(set, 'a', 'z');
        set_add(set, '_', '_');
        return true;
    case 's': /* pcre2 without UCP: space, \t \n \v \f \r */
        set_add(set, '\t', '\r');
        set_add(set, ' ', ' ');
        return true;
    case 't': *ch = '\t'; return true;
    case 'n': *ch = '\n'; return true;
    case 'r': *ch = '\r'; return true;
    case 'f': *ch = '\f'; return true;
    case 'a': *ch = 7; return true;
    case 'e': *ch = 27; return true;
    default:
        /* pcre2: a backslash before a non-alphanumeric character quotes it. */
        if (c >= 0x80 || is_alnum(c))
            return false;
        *ch = (int)c;
        return true;
    }
}

/* One endpoint of a class range: a character, escaped or not. */
static int class_char(dfa_parser *ps)
{
    if (ps->p == ps->end || *ps->p >= 0x80 || *ps->p == '[' || *ps->p == ']')
        return -1;
    if (*ps->p != '\\')
        return *ps->p++;
    ps->p++;
    uint64_t set[2] = {0, 0};
    int ch;
    if (!parse_escape(ps, set, &ch))
        return -1;
    return ch; /* -1 for a class escape: no range endpoint */
}

/* Does the class after its '[' at p look like a POSIX class ("[:alpha:]",
 * "[.x.]", "[=x=]")? pcre2 takes it for one (an error outside a class) when
 * the terminator and ']' come before a plain ']'. */
static bool posix_like(const unsigned char *p, const unsigned char *end)
{
    if (p == end || (*p != ':' && *p != '.' && *p != '='))
        return false;
    unsigned char term = *p++;
    for (; end - p >= 2; p++) {
        if (*p == '\\' && (p[1] == ']' || p[1] == '\\'))
            p++;
        else if ((*p == '[' && p[1] == term) || *p == ']')
            return false;
        else if (*p == term && p[1] == ']')
            return true;
    }
    return false;
}

/* A bracket class after its '['. A '-' is literal only first or last; a
 * ']' first is literal and starts no range. */
static int parse_class(dfa_parser *ps)
{
    int id = new_node(ps, DN_SET);
    if (id < 0 || (ps->p < ps->end && *ps->p == '^') || posix_like(ps->p, ps->end))
        return -1;
    uint64_t *set = ps->nodes[id].set;
    bool first = true;
    for (;;) {
        if (ps->p == ps->end)
            return -1;
        unsigned c = *ps->p;
        if (c == ']' && !first) {
            ps->p++;
            return id;
        }
        bool last = ps->end - ps->p >= 2 && ps->p[1] == ']';
        bool dash_next = ps->end - ps->p >= 3 && ps->p[1] == '-' && ps->p[2] != ']';
        if (c == ']' || (c == '-' && (first || last))) {
            if (dash_next)
                return -1;
            ps->p++;
            set_add(set, c, c);
        } else if (c == '\\') {
            ps->p++;
            int ch;
            if (!parse_escape(ps, set, &ch))
                return -1;
            bool range = ps->end - ps->p >= 2 && ps->p[0] == '-' && ps->p[1] != ']';
            if (range) {
                ps->p++;
                int hi = class_char(ps);
                if (ch < 0 || hi < ch)
                    return -1;
                set_add(set, (unsigned)ch, (unsigned)hi);
            } else if (ch >= 0) {
                set_add(set, (unsigned)ch, (unsigned)ch);
            }
        } else if (c == '[' || c == '-' || c >= 0x80) {
            return -1;
        } else {
            ps->p++;
            if (dash_next) {
                ps->p++;
                int hi = class_char(ps);
                if (hi < (int)c)
                    return -1;
                set_add(set, c, (unsigned)hi);
            } else {
                set_add(set, c, c);
            }
        }
        first = false;
    }
}

static int parse_alt(dfa_parser *ps);

static int parse_atom(dfa_parser *ps)
{
    unsigned c = *ps->p++;
    if (c == '(') {
        if (ps->p < ps->end && *ps->p == '*')
            return -1;
        if (ps->p < ps->end && *ps->p == '?') {
            if (ps->end - ps->p < 2 || ps->p[1] != ':')
                return -1;
            ps->p += 2;
        }
        if (++ps->depth > DFA_MAX_DEPTH)
            return -1;
        int id = parse_alt(ps);
        ps->depth--;
        if (id < 0 || ps->p == ps->end || *ps->p != ')')
            return -1;
        ps->p++;
        return id;
    }
    if (c == '[')
        return parse_class(ps);
    if (c == '$' && ps->p == ps->end && ps->depth == 0)
        return new_node(ps, DN_EMPTY); /* the final '$' of an anchored match */
    if (c >= 0x80 || c == '.' || c == '^' || c == '$' || c == '*' || c == '+' ||
        c == '?' || c == '{')
        return -1;
    int id = new_node(ps, DN_SET);
    if (id < 0)
        return -1;
    if (c == '\\') {
        int ch;
        if (!parse_escape(ps, ps->nodes[id].set, &ch))
            return -1;
        if (ch >= 0)
            set_add(ps->nodes[id].set, (unsigned)ch, (unsigned)ch);
    } else {
        set_add(ps->nodes[id].set, c, c);
    }
    return id;
}

/* Decimal digits at ps->p (at least one, at most REP_MAX), or -1. */
static long parse_count(dfa_parser *ps)
{
    long v = 0;
    const unsigned char *start = ps->p;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        v = v * 10 + (*ps->p++ - '0');
        if (v > (long)REP_MAX)
            return -1;
    }
    return ps->p == start ? -1 : v;
}

/* A quantifier at ps->p, if any: true with *min, *max set; false with
 * *bad set when it is malformed or outside the subset. */
static bool parse_quant(dfa_parser *ps, uint32_t *min, uint32_t *max, bool *bad)
{
    *bad = false;
    if (ps->p == ps->end)
        return false;
    switch (*ps->p) {
    case '?': *min = 0; *max = 1; break;
    case '*': *min = 0; *max = REP_INF; break;
    case '+': *min = 1; *max = REP_INF; break;
    case '{': {
        /* Only {m} {m,} {m,n}; any other '{' (a literal in pcre2) is
         * refused rather than second-guessed. */
        ps->p++;
        long lo = parse_count(ps), hi = lo;
        if (lo >= 0 && ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            hi = ps->p < ps->end && *ps->p == '}' ? -2 : parse_count(ps);
        }
        if (lo < 0 || hi == -1 || ps->p == ps->end || *ps->p != '}' ||
            (hi >= 0 && hi < lo)) {
            *bad = true;
            return false;
        }
        *min = (uint32_t)lo;
        *max = hi == -2 ? REP_INF : (uint32_t)hi;
        break;
    }
    default:
        return false;
    }
    ps->p++;
    if (ps->p < ps->end && *ps->p == '?') /* lazy: same language */
        ps->p++;
    /* A possessive '+' or a second quantifier. */
    if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '*' || *ps->p == '?' ||
                            *ps->p == '{')) {
        *bad = true;
        return false;
    }
    return true;
}

static int parse_cat(dfa_parser *ps)
{
    int cat = new_node(ps, DN_CAT), tail = -1;
    if (cat < 0)
        return -1;
    while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
        int atom = parse_atom(ps);
        if (atom < 0)
            return -1;
        uint32_t min, max;
        bool bad;
        if (parse_quant(ps, &min, &max, &bad)) {
            int rep = new_node(ps, DN_REP);
            if (rep < 0)
                return -1;
            ps->nodes[rep].child = atom;
            ps->nodes[rep].min = min;
            ps->nodes[rep].max = max;
            atom = rep;
        } else if (bad) {
            return -1;
        }
        if (tail < 0)
            ps->nodes[cat].child = atom;
        else
            ps->nodes[tail].next = atom;
        tail = atom;
    }
    return cat;
}

static int parse_alt(dfa_parser *ps)
{
    int first = parse_cat(ps);
    if (first < 0 || ps->p == ps->end || *ps->p != '|')
        return first;
    int alt = new_node(ps, DN_ALT), tail = first;
    if (alt < 0)
        return -1;
    ps->nodes[alt].child = first;
    while (ps->p < ps->end && *ps->p == '|') {
        ps->p++;
        int next = parse_cat(ps);
        if (next < 0)
            return -1;
        ps->nodes[tail].next = next;
        tail = next;
    }
    return alt;
}

/* Positions of the tree with repeats written out, saturating past the
 * limit. */
static size_t count_positions(const dfa_node *nodes, int id)
{
    const dfa_node *d = &nodes[id];
    size_t sum = 0;
    switch (d->kind) {
    case DN_EMPTY:
        return 0;
    case DN_SET:
        return 1;
    case DN_CAT:
    case DN_ALT:
        for (int c = d->child; c >= 0; c = nodes[c].next) {
            sum += count_positions(nodes, c);
            if (sum > VAL_DFA_MAX_POSITIONS)
                return VAL_DFA_MAX_POSITIONS + 1;
        }
        return sum;
    case DN_REP: {
        size_t copies = d->max == REP_INF ? (d->min ? d->min : 1) : d->max;
        size_t one = count_positions(nodes, d->child);
        if (one && copies > (VAL_DFA_MAX_POSITIONS + 1) / one)
            return VAL_DFA_MAX_POSITIONS + 1;
        return one * copies;
    }
    }
    return VAL_DFA_MAX_POSITIONS + 1;
}

/* ---- Glushkov construction ------------------------------------------- */

typedef struct dfa_glu {
    const dfa_node *nodes;
    size_t words;        /* 64-bit words of a position set */
    uint64_t *follow;    /* [position * words]: who may follow it */
    uint64_t (*sets)[2]; /* [position]: its character set */
    size_t count;        /* positions numbered so far (0 is the start) */
} dfa_glu;

/* Every position of last may be followed by every position of first. */
static void glu_link(dfa_glu *g, const uint64_t *last, const uint64_t *first)
{
    for (size_t w = 0; w < g->words; w++)
        for (uint64_t bits = last[w]; bits; bits &= bits - 1) {
            size_t p = w * 64 + (size_t)__builtin_ctzll(bits);
            uint64_t *fp = g->follow + p * g->words;
            for (size_t k = 0; k < g->words; k++)
                fp[k] |= first[k];
        }
}

/* The (first, last, nullable) of a piece appended to an accumulated
 * concatenation (first, last, *nullable). */
static void glu_append(dfa_glu *g, uint64_t *first, uint64_t *last, bool *nullable,
                       const uint64_t *pf, const uint64_t *pl, bool pn)
{
    glu_link(g, last, pf);
    for (size_t w = 0; w < g->words; w++) {
        if (*nullable)
            first[w] |= pf[w];
        last[w] = pn ? last[w] | pl[w] : pl[w];
    }
    *nullable = *nullable && pn;
}

/* Numbers the positions of node id (again, for each copy of a repeat) into
 * the zeroed sets first and last. False: out of memory. */
static bool glu_node(dfa_glu *g, int id, uint64_t *first, uint64_t *last,
                     bool *nullable)
{
    const dfa_node *d = &g->nodes[id];
    *nullable = true;
    if (d->kind == DN_EMPTY)
        return true;
    if (d->kind == DN_SET) {
        size_t p = ++g->count;
        first[p / 64] |= (uint64_t)1 << (p % 64);
        last[p / 64] |= (uint64_t)1 << (p % 64);
        g->sets[p][0] = d->set[0];
        g->sets[p][1] = d->set[1];
        *nullable = false;
        return true;
    }
    uint64_t *pf = calloc(2 * g->words, sizeof *pf);
    if (!pf)
        return false;
    uint64_t *pl = pf + g->words;
    bool ok = true, pn;
    if (d->kind == DN_ALT) {
        *nullable = false;
        for (int c = d->child; ok && c >= 0; c = g->nodes[c].next) {
            memset(pf, 0, 2 * g->words * sizeof *pf);
            ok = glu_node(g, c, pf, pl, &pn);
            for (size_t w = 0; w < g->words; w++) {
                first[w] |= pf[w];
                last[w] |= pl[w];
            }
            *nullable = *nullable || pn;
        }
    } else if (d->kind == DN_CAT) {
        for (int c = d->child; ok && c >= 0; c = g->nodes[c].next) {
            memset(pf, 0, 2 * g->words * sizeof *pf);
            ok = glu_node(g, c, pf, pl, &pn);
            glu_append(g, first, last, nullable, pf, pl, pn);
        }
    } else { /* DN_REP: min copies, then a loop or max - min optional ones */
        bool inf = d->max == REP_INF;
        uint32_t copies = inf ? (d->min ? d->min : 1) : d->max;
        for (uint32_t i = 0; ok && i < copies; i++) {
            memset(pf, 0, 2 * g->words * sizeof *pf);
            ok = glu_node(g, d->child, pf, pl, &pn);
            if (inf && i + 1 == copies)
                glu_link(g, pl, pf); /* the loop of x* or x+ */
            if (i >= d->min)
                pn = true;
            glu_append(g, first, last, nullable, pf, pl, pn);
        }
    }
    free(pf);
    return ok;
}

/* ---- subset construction --------------------------------------------- */

typedef struct dfa_build {
    size_t words, nstates, ncls;
    uint64_t *states;    /* [state * words]: its position set */
    int16_t hash[1024];  /* open addressing: state number, -1 empty */
} dfa_build;

static size_t set_hash(const uint64_t *s, size_t words)
{
    uint64_t h = 1469598103934665603u;
    for (size_t w = 0; w < words; w++)
        h = (h ^ s[w]) * 1099511628211u;
    return (size_t)(h ^ (h >> 29));
}

/* The state of position set s, added when new; -1 past the state limit. */
static int state_of(dfa_build *b, const uint64_t *s)
{
    size_t mask = sizeof b->hash / sizeof b->hash[0] - 1;
    for (size_t h = set_hash(s, b->words) & mask;; h = (h + 1) & mask) {
        int st = b->hash[h];
        if (st < 0)
            break;
        if (!memcmp(b->states + (size_t)st * b->words, s, b->words * sizeof *s))
            return st;
    }
    if (b->nstates == VAL_DFA_MAX_STATES)
        return -1;
    size_t h = set_hash(s, b->words) & mask;
    while (b->hash[h] >= 0)
        h = (h + 1) & mask;
    b->hash[h] = (int16_t)b->nstates;
    memcpy(b->states + b->nstates * b->words, s, b->words * sizeof *s);
    return (int)b->nstates++;
}

/* Splits the ASCII bytes into classes no position set tells apart: cls[b]
 * in 1..ncls (0 stays for the bytes >= 0x80). Returns ncls + 1. */
static size_t byte_classes(uint64_t (*sets)[2], size_t npos, uint8_t cls[128])
{
    memset(cls, 0, 128);
    size_t n = 1;
    for (size_t p = 1; p <= npos; p++) {
        int16_t remap[256];
        size_t m = 0;
        memset(remap, -1, sizeof remap);
        for (unsigned c = 0; c < 128; c++) {
            unsigned in = (unsigned)(sets[p][c >> 6] >> (c & 63)) & 1u;
            unsigned key = cls[c] * 2u + in;
            if (remap[key] < 0)
                remap[key] = (int16_t)m++;
            cls[c] = (uint8_t)remap[key];
        }
        n = m;
    }
    for (unsigned c = 0; c < 128; c++)
        cls[c]++;
    return n + 1;
}

static val_dfa *subset(dfa_glu *g, const uint64_t *accepting)
{
    size_t words = g->words, npos = g->count;
    uint8_t cls[128];
    size_t ncls = byte_classes(g->sets, npos, cls);
    size_t stride = ncls + 1;
    val_dfa *d = NULL;
    dfa_build b = {.words = words, .ncls = ncls};
    memset(b.hash, -1, sizeof b.hash);
    b.states = calloc(VAL_DFA_MAX_STATES * words, sizeof *b.states);
    uint64_t *masks = calloc(ncls * words, sizeof *masks);
    uint64_t *reach = calloc(2 * words, sizeof *reach);
    uint16_t *trans = calloc(VAL_DFA_MAX_STATES * stride, sizeof *trans);
    if (!b.states || !masks || !reach || !trans)
        goto out;
    /* masks[class]: the positions whose set holds the class's bytes. */
    for (unsigned c = 0; c < 128; c++)
        for (size_t p = 1; p <= npos; p++)
            if ((g->sets[p][c >> 6] >> (c & 63)) & 1u)
                masks[cls[c] * words + p / 64] |= (uint64_t)1 << (p % 64);
    uint64_t *next = reach + words;
    if (state_of(&b, reach) != 0) /* the empty set: dead */
        goto out;
    reach[0] = 1; /* {start} */
    if (state_of(&b, reach) != 1)
        goto out;
    for (size_t st = 1; st < b.nstates; st++) {
        const uint64_t *s = b.states + st * words;
        memset(reach, 0, words * sizeof *reach);
        bool acc = false;
        for (size_t w = 0; w < words; w++) {
            acc = acc || (s[w] & accepting[w]);
            for (uint64_t bits = s[w]; bits; bits &= bits - 1) {
                size_t p = w * 64 + (size_t)__builtin_ctzll(bits);
                for (size_t k = 0; k < words; k++)
                    reach[k] |= g->follow[p * words + k];
            }
        }
        trans[st * stride + ncls] = acc;
        for (size_t c = 1; c < ncls; c++) {
            for (size_t k = 0; k < words; k++)
                next[k] = reach[k] & masks[c * words + k];
            int to = state_of(&b, next);
            if (to < 0)
                goto out;
            trans[st * stride + c] = (uint16_t)((size_t)to * stride);
        }
    }
    size_t ns = b.nstates, c2 = ncls * ncls, c3 = c2 * ncls, k = 3;
    size_t wstride = c3 + c2 + ncls + 1;
    if (ns * wstride > DFA_WIDE_MAX) {
        k = 2;
        wstride = c2 + ncls + 1;
        if (ns * wstride > DFA_WIDE_MAX)
            k = 1;
    }
    size_t nwide = k > 1 ? ns * wstride : 0;
    d = malloc(sizeof *d + (ns * stride + nwide) * sizeof *trans);
    if (!d)
        goto out;
    d->stride = stride;
    memset(d->map, 0, sizeof d->map);
    memcpy(d->map, cls, sizeof cls);
    memcpy(d->trans, trans, ns * stride * sizeof *trans);
    d->step = d->wide_k = (int)k;
    d->wstride = nwide ? wstride : 0;
    d->off2 = k == 3 ? c3 : 0;
    d->off1 = d->off2 + c2;
    d->wide = nwide ? d->trans + ns * stride : NULL;
    for (size_t c = 0; c < 256; c++) {
        d->m1[c] = (uint16_t)(d->map[c] * ncls);
        d->m2[c] = (uint16_t)(d->map[c] * c2);
    }
    for (size_t st = 0; nwide && st < ns; st++) {
        /* Next state in wide units, from a state in one-byte units. */
#define WIDE(x) ((uint16_t)((x) / stride * wstride))
        uint16_t *row = d->trans + ns * stride + st * wstride;
        const uint16_t *one = trans + st * stride;
        for (size_t a = 0; a < ncls; a++) {
            const uint16_t *mid = trans + one[a];
            for (size_t b2 = 0; b2 < ncls; b2++) {
                if (k == 3) {
                    const uint16_t *last = trans + mid[b2];
                    for (size_t c = 0; c < ncls; c++)
                        row[a * c2 + b2 * ncls + c] = WIDE(last[c]);
                }
                row[d->off2 + a * ncls + b2] = WIDE(mid[b2]);
            }
            row[d->off1 + a] = WIDE(one[a]);
        }
        row[wstride - 1] = one[ncls];
#undef WIDE
    }
out:
    free(b.states);
    free(masks);
    free(reach);
    free(trans);
    return d;
}

/* ---- API --------------------------------------------------------------- */

static val_dfa *build(const dfa_node *nodes, int root)
{
    size_t npos = count_positions(nodes, root);
    if (npos > VAL_DFA_MAX_POSITIONS)
        return NULL;
    dfa_glu g = {.nodes = nodes, .words = (npos + 1 + 63) / 64};
    val_dfa *d = NULL;
    g.follow = calloc((npos + 1) * g.words, sizeof *g.follow);
    g.sets = calloc(npos + 1, sizeof *g.sets);
    uint64_t *fl = calloc(2 * g.words, sizeof *fl);
    bool nullable;
    if (g.follow && g.sets && fl && glu_node(&g, root, fl, fl + g.words, &nullable)) {
        memcpy(g.follow, fl, g.words * sizeof *fl); /* the start's followers */
        uint64_t *accepting = fl + g.words;         /* the last positions */
        if (nullable)
            accepting[0] |= 1;
        d = subset(&g, accepting);
    }
    free(g.follow);
    free(g.sets);
    free(fl);
    return d;
}

val_dfa *val_dfa_compile(const char *pat, size_t n)
{
    dfa_parser ps = {.p = (const unsigned char *)pat,
                     .end = (const unsigned char *)pat + n};
    /* A leading '^' is implied by the anchored match (not before a
     * quantifier: pcre2 may see "^*" differently). */
    if (ps.p < ps.end && *ps.p == '^') {
        ps.p++;
        if (ps.p < ps.end && (*ps.p == '*' || *ps.p == '+' || *ps.p == '?' ||
                              *ps.p == '{'))
            return NULL;
    }
    /* Every byte makes at most two nodes (an atom and its repeat, or a group
     * and its first alternative). A pattern that long is left to pcre2. */
    if (n > VAL_DFA_MAX_PATTERN)
        return NULL;
    ps.cap = 2 * n + 4;
    ps.nodes = malloc(ps.cap * sizeof *ps.nodes);
    if (!ps.nodes)
        return NULL;
    val_dfa *d = NULL;
    int root = parse_alt(&ps);
    if (root >= 0 && ps.p == ps.end)
        d = build(ps.nodes, root);
    free(ps.nodes);
    return d;
}

int val_dfa_match(const val_dfa *d, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    const uint8_t *map = d->map;
    if (d->step > 1) {
        const uint16_t *t = d->wide, *m1 = d->m1;
        size_t st = d->wstride; /* state 1 */
        if (d->step == 3) {
            const uint16_t *m2 = d->m2;
            for (; end - p >= 3; p += 3) {
                st = t[st + m2[p[0]] + m1[p[1]] + map[p[2]]];
                if (!st)
                    return 0;
            }
        }
        for (; end - p >= 2; p += 2) {
            st = t[st + d->off2 + m1[p[0]] + map[p[1]]];
            if (!st)
                return 0;
        }
        if (p < end)
            st = t[st + d->off1 + map[*p]];
        return t[st + d->wstride - 1];
    }
    const uint16_t *t = d->trans;
    size_t st = d->stride; /* state 1, the start */
    while (p < end) {
        st = t[st + map[*p++]];
        if (!st)
            return 0;
    }
    return t[st + d->stride - 1];
}

int val_dfa_step(const val_dfa *d)
{
    return d->step;
}

void val_dfa_limit_step(val_dfa *d, int k)
{
    if (k < d->step)
        d->step = k < 1 ? 1 : k;
}

void val_dfa_free(val_dfa *d)
{
    free(d);
}
