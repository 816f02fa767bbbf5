"""Conservation under attack: hostile inputs and random mutations.

For every input, in every format (CSV, NDJSON, JSON array, XML), for -j 0 and
-j 2, `assay check --no-clean` must:
  - exit 0 or 1 (2 only for an XML record path that matches nothing), never by
    a signal, never 3, and within a time limit;
  - say read == passed + quarantined in its stats;
  - give the same output, quarantine, errors and counts for both -j values;
  - conserve bytes:
      CSV/TSV and NDJSON: the output and quarantine lines (headers aside)
        interleave to the input lines exactly, every line that starts a
        quarantined record (errors file) coming from the quarantine;
      JSON array and XML: the output and quarantine are framed ("[" "]" / the
        input's head and tail) and every piece of their bodies between
        separators is a span of the input, in order, the spans of both files
        together not overlapping (nothing duplicated, nothing invented).

The hostile corpus is built here (deterministic) plus every file dropped into
corpus/ (a reproducer of a past bug, say); random mutations of small valid
files are seeded, so a failure names a case that can be rebuilt.
"""
import json
import os
import random
import re
import subprocess

TIMEOUT = 30
BOM = b"\xef\xbb\xbf"

FIELDS = [
    {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
    {"name": "name", "type": "string", "constraints": {"required": True, "maxLength": 12}},
    {"name": "price", "type": "number", "constraints": {"minimum": 0}},
    {"name": "day", "type": "date", "formats": ["yyyy-MM-dd"]},
]
EXT = {"csv": "csv", "tsv": "tsv", "ndjson": "ndjson", "json": "json", "xml": "xml"}


def rules_for(fmt):
    fields = [dict(f) for f in FIELDS]
    if fmt == "xml":
        fields[0] = dict(fields[0], name="@id")
    r = {"fields": fields, "policy": {"max_quarantine_rate": 1}}
    if fmt == "xml":
        r["dialect"] = {"recordPath": "/orders/order"}
    return r


# ---- valid seeds ------------------------------------------------------------

def seed_rows(rng, n):
    rows = []
    for i in range(1, n + 1):
        rid = i if rng.random() > 0.1 else rng.choice([i - 1, "x%d" % i, ""])
        name = rng.choice(["Ann", "Bob", "Cy", "Dee Dee", "Eve,Jr", 'Fay "F"', "",
                           "averyveryverylongname", "Zoë", "日本"])
        price = rng.choice(["1.5", "0", "-2", "abc", "10", ""])
        day = rng.choice(["2024-03-05", "2024-02-30", "05/03/2024", "", "1999-12-31"])
        rows.append((rid, name, price, day))
    return rows


def csv_cell(v, delim):
    s = str(v)
    if any(c in s for c in (delim, '"', "\n", "\r")):
        return '"' + s.replace('"', '""') + '"'
    return s


def make_csv(rows, delim=","):
    lines = [delim.join(["id", "name", "price", "day"])]
    for r in rows:
        lines.append(delim.join(csv_cell(v, delim) for v in r))
    return ("\n".join(lines) + "\n").encode()


def json_obj(r):
    o = {}
    o["id"] = r[0] if isinstance(r[0], int) else r[0]
    o["name"] = r[1]
    if r[2] != "":
        try:
            o["price"] = float(r[2]) if "." in r[2] else int(r[2])
        except ValueError:
            o["price"] = r[2]
    if r[3]:
        o["day"] = r[3]
    return json.dumps(o, ensure_ascii=False)


def make_ndjson(rows):
    return "".join(json_obj(r) + "\n" for r in rows).encode()


def make_json(rows):
    return ("[\n" + ",\n".join("  " + json_obj(r) for r in rows) + "\n]\n").encode()


def xml_esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def make_xml(rows):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<orders>\n']
    for r in rows:
        parts = ['  <order id="%s">' % xml_esc(r[0])]
        for tag, v in (("name", r[1]), ("price", r[2]), ("day", r[3])):
            if v != "":
                parts.append("<%s>%s</%s>" % (tag, xml_esc(v), tag))
        parts.append("</order>\n")
        out.append("".join(parts))
    out.append("</orders>\n")
    return "".join(out).encode()


# ---- the hostile corpus -------------------------------------------------------

def hostile():
    """(name, fmt, bytes) for every hand-made hostile input."""
    rng = random.Random(7)
    rows = seed_rows(rng, 8)
    csv = make_csv(rows)
    nd = make_ndjson(rows)
    js = make_json(rows)
    xml = make_xml(rows)
    big = "x" * (5 * 1024 * 1024)
    junk = bytes(random.Random(3).randrange(256) for _ in range(4096))
    bom = b"\xef\xbb\xbf"
    deep = "[" * 10000 + "]" * 10000
    deep_o = '{"a":' * 10000 + "1" + "}" * 10000
    c = []
    # CSV
    c += [("csv-empty", "csv", b""),
          ("csv-header-only", "csv", b"id,name,price,day\n"),
          ("csv-header-only-no-eol", "csv", b"id,name,price,day"),
          ("csv-unterminated-quote-eof", "csv", csv + b'9,"never closed,1,2024-01-01\n10,x,1,'),
          ("csv-quote-eof-bare", "csv", csv + b'"'),
          ("csv-nul", "csv", csv.replace(b"Bob", b"B\x00b").replace(b"\n3,", b"\n\x00\x00\n3,")),
          ("csv-junk", "csv", junk),
          ("csv-junk-after-header", "csv", b"id,name,price,day\n" + junk),
          ("csv-mixed-eol", "csv", csv.replace(b"\n", b"\r\n", 3).replace(b"\n5,", b"\r5,")),
          ("csv-cr-only", "csv", csv.replace(b"\n", b"\r")),
          ("csv-bom-middle", "csv", csv.replace(b"\n4,", b"\n" + bom + b"4,").replace(
              b"Ann", b"A" + bom + b"nn")),
          ("csv-bom-start", "csv", bom + csv),
          ("csv-5mb-field", "csv", b"id,name,price,day\n1,Ann,1,2024-01-01\n2," +
           big.encode() + b",1,2024-01-01\n3,Cy,2,2024-01-02\n"),
          ("csv-5mb-quoted-field", "csv", b"id,name,price,day\n1,Ann,1,2024-01-01\n2,\"" +
           big.encode() + b"\",1,2024-01-01\n3,Cy,2,2024-01-02\n"),
          ("csv-5mb-unclosed", "csv", b"id,name,price,day\n1,Ann,1,2024-01-01\n2,\"" +
           big.encode() + b",1,2024-01-01\n3,Cy,2,2024-01-02\n"),
          ("csv-header-invalid-utf8", "csv", b"id,na\xffme,pr\xc3ice,day\n" + csv.split(b"\n", 1)[1]),
          ("csv-body-invalid-utf8", "csv", csv.replace(b"Cy", b"C\xfe\xff")),
          ("csv-no-final-eol", "csv", csv.rstrip(b"\n")),
          ("csv-blank-lines", "csv", csv.replace(b"\n", b"\n\n\r\n", 2)),
          ("csv-ragged", "csv", csv.replace(b"\n2,", b"\n2,a,b,c,d,e,f\n,\n")),
          ("csv-quote-mid-field", "csv", csv.replace(b"Ann", b'A"nn').replace(b"Cy", b'"Cy"x')),
          ("tsv-basic", "tsv", make_csv(rows, "\t")),
          ("tsv-quote-eof", "tsv", make_csv(rows, "\t") + b'1\t"open\t1\t2024-01-01\n')]
    # NDJSON
    c += [("ndjson-empty", "ndjson", b""),
          ("ndjson-truncated", "ndjson", nd[:len(nd) * 2 // 3]),
          ("ndjson-nul", "ndjson", nd.replace(b'"Bob"', b'"B\x00b"').replace(b"\n", b"\n\x00\n", 1)),
          ("ndjson-junk", "ndjson", junk),
          ("ndjson-deep-array", "ndjson", nd + deep.encode() + b"\n" + nd),
          ("ndjson-deep-object", "ndjson", deep_o.encode() + b"\n" + nd),
          ("ndjson-bom-middle", "ndjson", nd.replace(b"\n", b"\n" + bom, 2)),
          ("ndjson-bom-start", "ndjson", bom + nd),
          ("ndjson-mixed-eol", "ndjson", nd.replace(b"\n", b"\r\n", 3).replace(b"}\n{", b"}\r{", 1)),
          ("ndjson-invalid-utf8-key", "ndjson", nd.replace(b'"name"', b'"na\xffme"', 2)),
          ("ndjson-invalid-utf8-value", "ndjson", nd.replace(b'"Ann"', b'"A\xc3\x28n"')),
          ("ndjson-dup-keys", "ndjson", b'{"id":1,"id":2,"name":"a"}\n{"id":3,"name":"b","name":"b"}\n' + nd),
          ("ndjson-5mb-value", "ndjson", b'{"id":1,"name":"' + big.encode() + b'"}\n' + nd),
          ("ndjson-blank-and-ws", "ndjson", b"\n \n\t\n" + nd + b"   \n"),
          ("ndjson-no-final-eol", "ndjson", nd.rstrip(b"\n")),
          ("ndjson-two-per-line", "ndjson", nd.replace(b"}\n{", b"} {", 2))]
    # JSON arrays
    c += [("json-empty", "json", b""),
          ("json-empty-array", "json", b"[]"),
          ("json-truncated", "json", js[:len(js) // 2]),
          ("json-truncated-in-string", "json", js[:js.index(b"Bob") + 1]),
          ("json-only-open", "json", b"["),
          ("json-nul", "json", js.replace(b'"Cy"', b'"C\x00y"').replace(b",\n", b",\x00\n", 1)),
          ("json-junk", "json", junk),
          ("json-array-junk", "json", b"[" + junk + b"]"),
          ("json-deep", "json", b"[" + deep.encode() + b",\n" + js[1:]),
          ("json-deep-object", "json", b"[" + deep_o.encode() + b",\n" + js[1:]),
          ("json-bom-middle", "json", js.replace(b",\n", b"," + bom + b"\n", 2)),
          ("json-bom-start", "json", bom + js),
          ("json-mixed-eol", "json", js.replace(b"\n", b"\r\n", 3).replace(b",\n", b",\r", 1)),
          ("json-invalid-utf8-key", "json", js.replace(b'"name"', b'"n\xe9me"', 2)),
          ("json-dup-keys", "json", js.replace(b'"id"', b'"id": 0, "id"', 2)),
          ("json-5mb-value", "json", b'[{"id":1,"name":"' + big.encode() + b'"},\n' + js[1:]),
          ("json-missing-commas", "json", js.replace(b"},\n", b"}\n", 2)),
          ("json-trailing-comma", "json", js.replace(b"\n]", b",\n]")),
          ("json-trailing-garbage", "json", js + b"[1]\n{}"),
          ("json-not-array", "json", b'{"id": 1, "name": "a"}\n'),
          ("json-scalars", "json", b'[1, "two", null, true, [], {"id": 3, "name": "c"}]')]
    # XML
    c += [("xml-empty", "xml", b""),
          ("xml-truncated", "xml", xml[:len(xml) // 2]),
          ("xml-truncated-in-tag", "xml", xml[:xml.index(b"<order", 200) + 3]),
          ("xml-nul", "xml", xml.replace(b"Bob", b"B\x00b").replace(b"</order>\n", b"</order>\x00\n", 1)),
          ("xml-junk", "xml", junk),
          ("xml-junk-inside", "xml", xml.replace(b"</order>\n", b"</order>\n" + junk[:300] + b"\n", 1)),
          ("xml-deep", "xml", xml.replace(b"<name>", b"<name>" + b"<a>" * 10000 + b"</a>" * 10000, 1)),
          ("xml-deep-unclosed", "xml", xml.replace(b"<name>", b"<name>" + b"<a>" * 10000, 1)),
          ("xml-bom-middle", "xml", xml.replace(b"</order>\n", b"</order>\n" + bom, 2)),
          ("xml-bom-start", "xml", bom + xml),
          ("xml-mixed-eol", "xml", xml.replace(b"\n", b"\r\n", 4).replace(b"\n", b"\r", 2)),
          ("xml-invalid-utf8-name", "xml", xml.replace(b"<name>", b"<n\xffame>", 1)),
          ("xml-invalid-utf8-text", "xml", xml.replace(b"Cy", b"C\xc3\x28")),
          ("xml-dup-attr", "xml", xml.replace(b'<order id="', b'<order id="0" id="', 2)),
          ("xml-never-closes", "xml", xml.replace(b"</order>", b"", 1)),
          ("xml-record-never-closes-eof", "xml", xml[:xml.rindex(b"</order>")]),
          ("xml-5mb-text", "xml", xml.replace(b"<name>", b"<name>" + big.encode(), 1)),
          ("xml-no-match", "xml", b'<?xml version="1.0"?>\n<root><item/></root>\n'),
          ("xml-comment-cdata", "xml", xml.replace(b"<orders>\n", b"<orders>\n<!-- <order> -->\n<![CDATA[<order id=\"9\">]]>\n")),
          ("xml-unclosed-comment", "xml", xml.replace(b"</order>\n", b"</order>\n<!-- never\n", 1)),
          ("xml-root-only", "xml", b"<orders></orders>")]
    return c


def corpus_files(folder):
    out = []
    if not os.path.isdir(folder):
        return out
    for name in sorted(os.listdir(folder)):
        ext = name.rsplit(".", 1)[-1]
        if ext in EXT:
            with open(os.path.join(folder, name), "rb") as f:
                out.append(("corpus/" + name, ext, f.read()))
    return out


# ---- mutations ------------------------------------------------------------------

SPECIAL = [b'"', b"[", b"]", b"{", b"}", b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xff",
           b"<", b">", b"/", b"\t", b"\\", b":", b"<order>", b"</order>", b"&", b"\xef\xbb\xbf"]


def mutate(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not b:
            b += rng.choice(SPECIAL)
            continue
        op = rng.randrange(5)
        p = rng.randrange(len(b) + 1)
        if op == 0 and p < len(b):
            b[p] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[p:p] = rng.choice(SPECIAL)
        elif op == 2:
            del b[rng.randrange(len(b) // 2, len(b) + 1):]
        elif op == 3:
            q = min(len(b), p + rng.randint(1, 40))
            r = rng.randrange(len(b) + 1)
            b[r:r] = b[p:q]
        else:
            q = min(len(b), p + rng.randint(1, 10))
            del b[p:q]
    return bytes(b)


def mutants(n, seed):
    rng = random.Random(seed)
    out = []
    makers = [("csv", make_csv), ("ndjson", make_ndjson), ("json", make_json), ("xml", make_xml)]
    for fmt, mk in makers:
        for i in range(n):
            data = mk(seed_rows(rng, rng.randint(1, 10)))
            out.append(("mut-%s-%d" % (fmt, i), fmt, mutate(rng, data)))
    return out


# ---- running -------------------------------------------------------------------------

def run_one(assay, work, name, fmt, data, jobs):
    safe = name.replace("/", "_")
    d = os.path.join(work, safe + ".j%d" % jobs)
    os.makedirs(d, exist_ok=True)
    ext = EXT[fmt]
    src = os.path.join(work, safe + "." + ext)
    with open(src, "wb") as f:
        f.write(data)
    rules = os.path.join(work, "rules." + fmt + ".json")
    if not os.path.exists(rules):
        with open(rules, "w") as f:
            json.dump(rules_for(fmt), f)
    paths = {k: os.path.join(d, k) for k in ("out", "quar", "errs", "stats")}
    for p in paths.values():
        if os.path.exists(p):
            os.remove(p)
    cmd = [assay, "check", "-r", rules, "-f", fmt, "--no-clean", "--quiet",
           "-o", paths["out"], "-q", paths["quar"], "-e", paths["errs"], "-s", paths["stats"],
           "-j", str(jobs), src]
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"cmd": cmd, "rc": "timeout"}
    res = {"cmd": cmd, "rc": p.returncode, "stderr": p.stderr.decode("utf-8", "replace")}
    if p.returncode in (0, 1):
        for k, path in paths.items():
            with open(path, "rb") as f:
                res[k] = f.read()
    return res


def lines_of(b):
    return b.splitlines(keepends=True) if b else []


def split_lf(b):
    """Lines ending in LF (a CR alone does not end one)."""
    out, s = [], 0
    while True:
        i = b.find(b"\n", s)
        if i < 0:
            break
        out.append(b[s:i + 1])
        s = i + 1
    if s < len(b):
        out.append(b[s:])
    return out


def converter(stats):
    """How a passing line's bytes are written: as read for UTF-8, else
    converted from the detected encoding (None: cannot tell here)."""
    enc = (stats.get("encoding") or {}).get("detected") or "UTF-8"
    if enc.upper().replace("-", "") in ("UTF8", "ASCII", "USASCII"):
        return lambda b: b
    def conv(b):
        try:
            return b.decode(enc).encode("utf-8")
        except (LookupError, UnicodeDecodeError):
            return None
    return conv


class AllLines:
    """Every line starts a quarantined record (a bad header fails them all)."""

    def __contains__(self, _):
        return True


def interleave(inp, out, quar, qstarts, first_line, conv=lambda b: b):
    """Whether the input lines are out's and quar's lines interleaved, every
    input line numbered in qstarts taken from quar and every quar line that
    starts no quarantined record continuing one (the previous input line also
    went to quar). Lines compare without their terminator's last byte
    differences only when the input's last line lacks one."""
    states = {(0, 0, None)}
    for k, line in enumerate(inp):
        num = first_line + k
        last = k == len(inp) - 1
        nxt = set()
        for io_, iq, prev in states:
            cl = conv(line)
            if io_ < len(out) and num not in qstarts and (cl is None or same(out[io_], cl, last)):
                nxt.add((io_ + 1, iq, "o"))
            if iq < len(quar) and same(quar[iq], line, last) and (num in qstarts or prev == "q"):
                nxt.add((io_, iq + 1, "q"))
        states = nxt
        if not states:
            return "input line %d (%r) is in neither output nor quarantine where expected" % (
                num, line[:80])
    if not any(io_ == len(out) and iq == len(quar) for io_, iq, _ in states):
        return "output or quarantine holds lines beyond the input's"
    return None


def same(got, line, last):
    if got == line:
        return True
    # the writer may end a final record that had no terminator
    return last and got.rstrip(b"\r\n") == line.rstrip(b"\r\n") and not line.endswith(b"\n")


def spans_in_order(inp, pieces, start, end):
    """Each piece occurs in inp[start:end], in order, not overlapping; returns
    the ranges found or an error string."""
    cur, got = start, []
    for p in pieces:
        if not p:
            continue
        i = inp.find(p, cur, end)
        if i < 0:
            return "piece %r... not found in the input after offset %d" % (p[:60], cur)
        got.append((i, i + len(p)))
        cur = i + len(p)
    return got


def check_doc(fmt, inp, res, stats):
    """JSON array / XML framing and spans."""
    out, quar = res["out"], res["quar"]
    conv = converter(stats)
    cinp = conv(inp)  # what passing bytes are spans of
    if cinp is None:
        cinp = out  # undecidable here: the output goes unchecked
    if fmt == "json":
        def body(b, what):
            if b == b"[]\n":
                return [], None
            if not (b.startswith(b"[\n") and b.endswith(b"\n]\n")):
                return None, what + " is not framed by [ and ]"
            return b[2:-3].split(b",\n"), None
        po, e1 = body(out, "output")
        pq, e2 = body(quar, "quarantine")
        if e1 or e2:
            return e1 or e2
        olo, ohi, qlo, qhi = 0, len(cinp), 0, len(inp)
    else:
        # head and tail: the quarantine's are the input's first and last
        # bytes; the output's the same converted
        def frame(b, src):
            n = 0
            m = min(len(b), len(src))
            while n < m and b[n] == src[n]:
                n += 1
            # an overshoot into a tag (both files' first records begin alike)
            # backs up to its "<"
            k = src.rfind(b"<", 0, n)
            if k >= 0 and b">" not in src[k:n]:
                n = k
            t = 0
            while t < min(len(b), len(src)) - n and b[-1 - t] == src[-1 - t]:
                t += 1
            return n, t
        on, ot = frame(out, cinp)
        qn, qt = frame(quar, inp)
        def pieces(b, n, t):
            return [x.strip(b" \t") for x in re.split(rb"[\r\n]+", b[n:len(b) - t])
                    if x.strip(b" \t")]
        po, pq = pieces(out, on, ot), pieces(quar, qn, qt)
        olo, ohi, qlo, qhi = on, len(cinp) - ot, qn, len(inp) - qt
        if stats["records"]["passed"] == 0 and po:
            return "output holds record bytes but nothing passed: %r" % po[0][:80]
        if stats["records"]["quarantined"] == 0 and pq:
            return "quarantine holds record bytes but nothing was quarantined: %r" % pq[0][:80]
    ro = spans_in_order(cinp, po, olo, ohi)
    if isinstance(ro, str):
        return "output: " + ro
    rq = spans_in_order(inp, pq, qlo, qhi)
    if isinstance(rq, str):
        return "quarantine: " + rq
    if sum(b - a for a, b in ro) + sum(b - a for a, b in rq) > max(len(inp), len(cinp)):
        return "output and quarantine together hold more bytes than the input"
    return None


def check_case(name, fmt, data, r0, r2):
    """Problems with one input (a list of strings)."""
    errs = []
    for res, j in ((r0, 0), (r2, 2)):
        rc = res["rc"]
        if rc == "timeout":
            errs.append("-j %d: no exit within %d s" % (j, TIMEOUT))
            continue
        if rc < 0:
            errs.append("-j %d: killed by signal %d; stderr: %s" % (j, -rc, res["stderr"][-300:]))
            continue
        if rc == 2 and fmt == "xml":
            continue
        if rc not in (0, 1):
            errs.append("-j %d: exit %d; stderr: %s" % (j, rc, res["stderr"][-300:]))
    if errs or r0["rc"] == 2:
        if r0["rc"] != r2["rc"]:
            errs.append("exit %s for -j 0 but %s for -j 2" % (r0["rc"], r2["rc"]))
        return errs
    for k in ("out", "quar", "errs"):
        if r0[k] != r2[k]:
            errs.append("-j 0 and -j 2 differ in %s" % k)
    stats = json.loads(r0["stats"])
    s2 = json.loads(r2["stats"])
    rec = stats["records"]
    if rec["read"] != rec["passed"] + rec["quarantined"]:
        errs.append("read %d != passed %d + quarantined %d" % (rec["read"], rec["passed"], rec["quarantined"]))
    if {k: v for k, v in rec.items()} != {k: v for k, v in s2["records"].items()}:
        errs.append("records differ between -j 0 and -j 2: %s vs %s" % (rec, s2["records"]))
    violations = [json.loads(x) for x in r0["errs"].splitlines() if x.strip()]
    bad = {v["record"] for v in violations if v["severity"] == "error" and v["record"] > 0}
    header_bad = any(v["record"] == 0 and v["severity"] == "error" for v in violations)
    if not header_bad and len(bad) != rec["quarantined"]:
        errs.append("%d records with an error in -e but %d quarantined" % (len(bad), rec["quarantined"]))
    qlines = {v["line"] for v in violations if v["severity"] == "error" and v["record"] > 0}
    if header_bad:
        qlines = AllLines()
    out, quar = r0["out"], r0["quar"]
    conv = converter(stats)
    lone_cr = b"\r" in data.replace(b"\r\n", b"")
    split = (lambda b: b.splitlines(keepends=True)) if lone_cr else split_lf
    if fmt in ("csv", "tsv"):
        inp = split(data)
        o, q = split(out), split(quar)
        if rec["read"] == 0 and not data.strip(b"\r\n"):
            return errs
        # the header line leads the output and the quarantine
        h0 = conv(inp[0][3:] if inp and inp[0].startswith(BOM) else inp[0]) if inp else b""
        if inp and h0 is not None and not (o and same(o[0], h0, len(inp) == 1)):
            errs.append("output does not start with the input's header line")
        if inp and q[:1] != inp[:1] and not (q and same(q[0], inp[0], len(inp) == 1)):
            errs.append("quarantine does not start with the input's header line")
        e = interleave(inp[1:], o[1:], q[1:], qlines, 2, conv)
        if e:
            errs.append(e)
    elif fmt == "ndjson":
        inp, o, q = split_lf(data), split_lf(out), split_lf(quar)
        if inp and inp[0].startswith(BOM) and 1 not in qlines:
            inp[0] = inp[0][3:]
        e = interleave(inp, o, q, qlines, 1, conv)
        if e:
            errs.append(e)
        elif len(inp) != rec["read"] and rec["skipped"] == 0:
            errs.append("%d input lines but %d records read" % (len(inp), rec["read"]))
    else:
        e = check_doc(fmt, data, r0, stats)
        if e:
            errs.append(e)
    return errs


def each_case(corpus_dir, n_mutants, seed):
    """The cases one at a time, so that the big ones are not all held while
    the runs fork."""
    cs = hostile()
    cs.reverse()
    while cs:
        yield cs.pop()
    for c in corpus_files(corpus_dir):
        yield c
    for c in mutants(n_mutants, seed):
        yield c


def run_all(assay, work, corpus_dir, n_mutants, seed, log):
    failed, n = [], 0
    for name, fmt, data in each_case(corpus_dir, n_mutants, seed):
        r0 = run_one(assay, work, name, fmt, data, 0)
        r2 = run_one(assay, work, name, fmt, data, 2)
        errs = check_case(name, fmt, data, r0, r2)
        n += 1
        if errs:
            failed.append(name)
            log("FAIL %s (%s, %d bytes):" % (name, fmt, len(data)))
            for e in errs[:6]:
                log("   " + e)
            log("   reproduce: " + " ".join(r0["cmd"]))
    log("hostile+mutations: %d inputs, %d failed" % (n, len(failed)))
    return n, failed
