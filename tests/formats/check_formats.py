#!/usr/bin/env python3
"""check_formats.py ASSAY — the same logical records and rules through CSV,
NDJSON, a JSON array and XML (each plain and gzip-compressed when the build
reads gzip) must give the same decisions and statistics.

Every format gets the same records (some pass, some are cleaned, some fail a
type, a constraint, a format, uniqueness or a record rule, some miss a
required value) and the same rules file. For each run the test compares with
the CSV run: exit code, the number of records passed and quarantined, the
errors file's (record, field, rule, value, message) and the statistics'
records, fields and rules sections; and it checks that the output holds the
passing records (read back by Python's own parsers) with the cleaned values,
and that the quarantine holds exactly the failing records' original text."""
import csv
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ASSAY = os.path.abspath(sys.argv[1])

RULES = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
        {"name": "name", "type": "string", "clean": ["trim", "collapse_spaces"],
         "constraints": {"required": True, "maxLength": 12}},
        {"name": "qty", "type": "integer", "constraints": {"minimum": 1, "maximum": 100}},
        {"name": "price", "type": "number", "constraints": {"minimum": 0}},
        {"name": "status", "type": "string", "clean": ["lower"],
         "constraints": {"enum": ["new", "paid", "shipped"]}},
        {"name": "email", "type": "string", "format": "email", "severity": "warn"},
        {"name": "day", "type": "date", "formats": ["yyyy-MM-dd", "dd/MM/yyyy"],
         "output": "yyyy-MM-dd"},
        {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}-[0-9]{3}"}},
    ],
    "rules": [{"name": "paid_has_price", "check": "status != 'paid' || price > 0"}],
    "policy": {"max_quarantine_rate": 1.0},
}
COLS = [f["name"] for f in RULES["fields"]]


def records(n, seed):
    rnd = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        r = {"id": str(i), "name": rnd.choice(["Ann", "  Bob  ", "Cy  Lee", "Dee"]),
             "qty": str(rnd.randint(1, 100)), "price": rnd.choice(["1.10", "0", "12.5", "99"]),
             "status": rnd.choice(["new", "PAID", "shipped"]),
             "email": rnd.choice(["a@example.com", "b@example.org"]),
             "day": rnd.choice(["2024-03-05", "05/03/2024", "2023-12-31"]),
             "code": rnd.choice(["AB-123", "ZZ-999"])}
        fault = rnd.random()
        if fault < 0.05:
            r["qty"] = "many"
        elif fault < 0.10:
            r["qty"] = "0"
        elif fault < 0.14:
            r["status"] = "lost"
        elif fault < 0.18:
            r["email"] = "not-an-email"
        elif fault < 0.22:
            r["day"] = "2024-02-30"
        elif fault < 0.26:
            r["code"] = "ab123"
        elif fault < 0.30:
            r["name"] = ""
        elif fault < 0.33:
            r["id"] = str(max(1, i - 3))
        elif fault < 0.36:
            r["status"], r["price"] = "paid", "0"
        elif fault < 0.40:
            r["price"] = ""
        elif fault < 0.43:
            r["name"] = "A name far too long"
        out.append(r)
    return out


def write_csv(recs):
    b = io.StringIO()
    w = csv.writer(b, lineterminator="\n")
    w.writerow(COLS)
    for r in recs:
        w.writerow([r[c] for c in COLS])
    return b.getvalue()


def json_obj(r):
    """Typed where the text is a clean literal; an empty value is absent."""
    o = {}
    for c in COLS:
        v = r[c]
        if v == "":
            continue
        if c in ("id", "qty") and v.lstrip("-").isdigit():
            o[c] = int(v)
        elif c == "price":
            o[c] = json.loads(v) if v.replace(".", "", 1).isdigit() else v
        else:
            o[c] = v
    return o


def write_ndjson(recs):
    # price keeps its written digits (1.10): emit the literal text.
    lines = []
    for r in recs:
        parts = []
        for k, v in json_obj(r).items():
            lit = r[k] if k == "price" and isinstance(v, (int, float)) else json.dumps(v)
            parts.append(json.dumps(k) + ":" + lit)
        lines.append("{" + ",".join(parts) + "}")
    return "\n".join(lines) + "\n"


def write_json(recs):
    body = write_ndjson(recs).strip("\n").split("\n")
    return "[\n  " + ",\n  ".join(l.replace(",\"", ",\n   \"") for l in body) + "\n]\n"


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_xml(recs):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<orders>\n']
    for r in recs:
        out.append('  <order id="%s">' % r["id"])
        for c in COLS[1:]:
            if r[c] != "":
                out.append("<%s>%s</%s>" % (c, xml_escape(r[c]), c))
        out.append("</order>\n")
    out.append("</orders>\n")
    return "".join(out)


def run(work, name, data, fmt, rules, gz):
    path = os.path.join(work, name)
    raw = data.encode()
    with open(path, "wb") as f:
        f.write(gzip.compress(raw, mtime=0) if gz else raw)
    base = os.path.join(work, "r-" + name)
    args = [ASSAY, "check", "-r", rules, path, "-o", base + ".out", "-q", base + ".q",
            "-e", base + ".errors", "-s", base + ".stats", "--quiet", "--now", "2026-01-01",
            "-f", fmt]
    if fmt == "xml":
        args += ["--record-path", "/orders/order"]
    p = subprocess.run(args, capture_output=True)
    res = {"exit": p.returncode, "stderr": p.stderr.decode(errors="replace")}
    for k in ("out", "q", "errors", "stats"):
        with open(base + "." + k, "rb") as f:
            b = f.read()
        res[k] = gzip.decompress(b) if gz and k in ("q",) and b[:2] == b"\x1f\x8b" else b
    return res


def decisions(res):
    errs = [json.loads(l) for l in res["errors"].decode().splitlines()]
    # An absent JSON key or XML element has no value (null) where CSV has "".
    return [(e["record"], e["field"], e["rule"],
             None if e["rule"] == "required" and e["value"] == "" else e["value"],
             e["message"]) for e in errs]


def stats_view(res):
    s = json.loads(res["stats"])
    return {k: s.get(k) for k in ("records", "fields", "rules", "thresholds")}


def passing_rows(fmt, out):
    text = out.decode()
    if fmt == "csv":
        return [dict(r) for r in csv.DictReader(io.StringIO(text))]
    if fmt == "ndjson":
        objs = [json.loads(l, parse_float=str, parse_int=str)
                for l in text.splitlines() if l.strip()]
    elif fmt == "json":
        objs = json.loads(text, parse_float=str, parse_int=str)
    else:
        root = ET.fromstring(text)
        objs = []
        for o in root.findall("order"):
            d = {"id": o.get("id")}
            for c in COLS[1:]:
                e = o.find(c)
                if e is not None:
                    d[c] = e.text or ""
            objs.append(d)
    rows = []
    for o in objs:
        rows.append({c: ("" if o.get(c) is None else str(o[c]) if not isinstance(o[c], str)
                         else o[c]) for c in COLS})
    return rows


def main():
    failures = 0
    gz_ok = True
    with tempfile.TemporaryDirectory() as work:
        rules = os.path.join(work, "rules.json")
        xml_rules = dict(RULES)
        xml_rules["fields"] = [dict(f) for f in RULES["fields"]]
        xml_rules["fields"][0]["name"] = "@id"
        xml_rules["rules"] = RULES["rules"]
        with open(rules, "w") as f:
            json.dump(RULES, f)
        xrules = os.path.join(work, "xrules.json")
        with open(xrules, "w") as f:
            json.dump(xml_rules, f)
        recs = records(400, 7)
        inputs = {"csv": write_csv(recs), "ndjson": write_ndjson(recs),
                  "json": write_json(recs), "xml": write_xml(recs)}
        # Is gzip input supported by this build? (Compression is optional here.)
        probe = run(work, "probe.csv", inputs["csv"], "csv", rules, True)
        gz_ok = probe["exit"] in (0, 1)
        base = run(work, "d.csv", inputs["csv"], "csv", rules, False)
        if base["exit"] not in (0, 1):
            print("csv run failed:", base["stderr"])
            return 1
        want_dec, want_stats = decisions(base), stats_view(base)
        want_rows = passing_rows("csv", base["out"])
        if not want_dec or not want_rows:
            print("the data must both pass and fail")
            return 1
        for fmt, data in inputs.items():
            for gz in ([False, True] if gz_ok else [False]):
                name = "d." + fmt + (".gz" if gz else "")
                res = run(work, name, data, fmt, xrules if fmt == "xml" else rules, gz)
                label = fmt + (" (gzip)" if gz else "")
                problems = []
                if res["exit"] != base["exit"]:
                    problems.append("exit %d, csv %d: %s" % (res["exit"], base["exit"],
                                                             res["stderr"]))
                else:
                    dec = decisions(res)
                    if fmt == "xml":  # the id field is named @id there
                        dec = [(r, "id" if f == "@id" else f, ru, v, m)
                               for r, f, ru, v, m in dec]
                    if dec != want_dec:
                        diff = [(a, b) for a, b in zip(dec, want_dec) if a != b][:3]
                        problems.append("decisions differ (%d vs %d lines), first: %s" %
                                        (len(dec), len(want_dec), diff))
                    sv = stats_view(res)
                    if fmt == "xml" and sv.get("fields") and "@id" in sv["fields"]:
                        sv["fields"]["id"] = sv["fields"].pop("@id")
                    if json.dumps(sv, sort_keys=True) != json.dumps(want_stats, sort_keys=True):
                        problems.append("statistics differ: %s vs %s" % (
                            json.dumps(sv, sort_keys=True)[:400],
                            json.dumps(want_stats, sort_keys=True)[:400]))
                    rows = passing_rows(fmt, res["out"])
                    if rows != want_rows:
                        bad = [(a, b) for a, b in zip(rows, want_rows) if a != b][:2]
                        problems.append("passing records differ (%d vs %d): %s" %
                                        (len(rows), len(want_rows), bad))
                    failing = {d[0] for d in want_dec
                               if d[2] not in ("format",)}  # format is a warning here
                    q = res["q"].decode()
                    for rec_no in sorted(failing)[:50]:
                        r = recs[rec_no - 1]
                        needle = {"csv": None, "ndjson": None, "json": None,
                                  "xml": '<order id="%s">' % r["id"]}[fmt]
                        if needle and needle not in q:
                            problems.append("record %d not in the quarantine" % rec_no)
                            break
                    if fmt == "json":
                        try:
                            json.loads(q)
                        except ValueError as e:
                            problems.append("the quarantine is not a JSON array: %s" % e)
                    if fmt == "xml":
                        try:
                            ET.fromstring(q)
                            ET.fromstring(res["out"])
                        except ET.ParseError as e:
                            problems.append("output or quarantine is not XML: %s" % e)
                if problems:
                    failures += 1
                    print("FAIL %s:\n  %s" % (label, "\n  ".join(problems)))
                else:
                    print("ok   %s: same decisions as CSV" % label)
    print("%d formats failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
