#!/usr/bin/env python3
"""check_reports.py ASSAY WORKDIR — validate `check --junit` and `--metrics`.

Runs assay on two small inputs with both flags (inline and with worker
threads), then:
  - the JUnit file parses (xml.etree), its structure is what CI tools read
    (testsuites > testsuite > testcase, the attributes each needs), the
    counts add up, and the failures agree with the -s statistics;
  - the metrics file passes a strict parser of the Prometheus text format
    0.0.4 (HELP and TYPE before each family's samples, names, labels and
    their escapes, float values, counters ending in _total, no duplicate
    series), and its numbers equal the -s statistics;
  - both files are the same for every -j (once the durations are masked).
The validators are also run on broken copies of the files, each of which
must be rejected, so this test cannot pass by accepting anything.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

RULES = {
    "encoding": "utf-8",
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
        {"name": "email", "type": "string", "constraints": {"pattern": "[^@ ]+@[^@ ]+"}},
        {"name": 'note "q"\\x', "type": "string", "severity": "warn",
         "constraints": {"maxLength": 5}},
        {"name": "qty", "type": "integer", "constraints": {"minimum": 0}},
    ],
    "rules": [
        {"name": "qty_below_100", "check": "qty < 100"},
        {"name": "mostly_small", "check": "qty < 10", "mostly": 0.5},
    ],
}
HEADER = 'id,email,"note ""q""\\x",qty\n'
A = HEADER.encode() + (b"1,a@x.org,ok,3\n2,bad-email,far too long,5\n3,c@x.org,fine,500\n"
                       b"3,d@x.org,x,-1\n5,no at all,y,7\n6,e@x.org,toolong,8\n"
                       b"7,f@x.org,z,1,extra\n8,ok@y.org,\x01,2\n9,\"x\xff@y.org\",n,2\n")
B = (HEADER + "".join("%d,u%d@x.org,n,%d\n" % (i, i, i % 120) for i in range(2, 40))).encode()

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


class Bad(Exception):
    pass


def need(cond, msg):
    if not cond:
        raise Bad(msg)


# ---- Prometheus text format 0.0.4 ---------------------------------------

def parse_labels(s, i, line):
    """Parses {a="b",...} from s[i] == '{'; returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i] == "}":
            return labels, i + 1
        j = i
        while j < len(s) and s[j] not in '=}':
            j += 1
        name = s[i:j]
        need(LABEL.match(name), "bad label name %r: %s" % (name, line))
        need(name not in labels, "label %s twice: %s" % (name, line))
        need(s[j:j + 2] == '="', "label %s without a quoted value: %s" % (name, line))
        j += 2
        val = []
        while True:
            need(j < len(s), "unterminated label value: %s" % line)
            c = s[j]
            if c == "\\":
                need(j + 1 < len(s) and s[j + 1] in '\\"n', "bad escape in: %s" % line)
                val.append({"\\": "\\", '"': '"', "n": "\n"}[s[j + 1]])
                j += 2
            elif c == '"':
                j += 1
                break
            else:
                need(c != "\n", "raw line feed in a label value")
                val.append(c)
                j += 1
        labels[name] = "".join(val)
        if s[j] == ",":
            j += 1
        else:
            need(s[j] == "}", "expected , or } in: %s" % line)
        i = j


def parse_metrics(text):
    """Returns {name: {"type": t, "samples": {frozenset(labels): float}}}."""
    need(text.endswith("\n"), "the file does not end with a line feed")
    fams, helped, typed = {}, set(), {}
    for line in text[:-1].split("\n"):
        need(line.strip() == line and line, "blank or padded line: %r" % line)
        if line.startswith("#"):
            parts = line.split(" ", 3)
            need(len(parts) >= 3 and parts[1] in ("HELP", "TYPE"),
                 "comment that is neither HELP nor TYPE: %s" % line)
            name = parts[2]
            need(NAME.match(name), "bad metric name %r" % name)
            if parts[1] == "HELP":
                need(name not in helped, "second HELP for %s" % name)
                need(name not in fams, "HELP after samples of %s" % name)
                need(len(parts) == 4 and parts[3], "empty HELP for %s" % name)
                helped.add(name)
            else:
                need(name not in typed, "second TYPE for %s" % name)
                need(name not in fams, "TYPE after samples of %s" % name)
                need(len(parts) == 4 and parts[3] in ("counter", "gauge"),
                     "bad TYPE line: %s" % line)
                typed[name] = parts[3]
            continue
        m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
        need(m, "bad sample line: %s" % line)
        name, i = m.group(0), m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, line)
        need(line[i:i + 1] == " ", "no value in: %s" % line)
        rest = line[i + 1:].split(" ")
        need(len(rest) == 1, "extra fields (timestamps are not expected): %s" % line)
        try:
            value = float(rest[0])
        except ValueError:
            raise Bad("value is not a float: %s" % line)
        need(name in helped and name in typed, "sample of %s before its HELP and TYPE" % name)
        if typed[name] == "counter":
            need(name.endswith("_total"), "counter %s does not end in _total" % name)
            need(value >= 0, "negative counter: %s" % line)
        need(name.startswith("assay_"), "name without the assay_ prefix: %s" % name)
        fam = fams.setdefault(name, {"type": typed[name], "samples": {}})
        key = frozenset(labels.items())
        need(key not in fam["samples"], "duplicate series: %s" % line)
        fam["samples"][key] = value
    need(set(helped) == set(typed), "HELP and TYPE name different families")
    return fams


def sample(fams, name, **labels):
    fam = fams.get(name)
    need(fam is not None, "family %s missing" % name)
    key = frozenset(labels.items())
    need(key in fam["samples"], "series %s%s missing" % (name, labels))
    return fam["samples"][key]


def check_metrics(text, stats):
    fams = parse_metrics(text)
    rec = stats["records"]
    for k in ("read", "passed", "quarantined", "cleaned", "skipped", "unparsed"):
        need(sample(fams, "assay_records_%s_total" % k) == rec[k],
             "assay_records_%s_total differs from the stats" % k)
    need(sample(fams, "assay_bytes_read_total") > 0, "no bytes read")
    viol = {}
    for field, fs in stats["fields"].items():
        need(sample(fams, "assay_field_missing_total", field=field) == fs["missing"],
             "missing count of %s differs" % field)
        need(sample(fams, "assay_field_invalid_total", field=field) == fs["invalid"],
             "invalid count of %s differs" % field)
        for rule, n in fs["violations"].items():
            viol[(field, rule)] = n
    for rule, n in stats["record_violations"].items():
        viol[("", rule)] = viol.get(("", rule), 0) + n
    for rule, r in stats["rules"].items():
        viol[("", rule)] = viol.get(("", rule), 0) + r["violations"]
    got = {(dict(k)["field"], dict(k)["rule"]): v
           for k, v in fams["assay_violations_total"]["samples"].items()}
    need(got == viol, "assay_violations_total differs from the stats:\n%r\n%r" % (got, viol))
    q = rec["quarantined"] / rec["read"] if rec["read"] else 0
    need(abs(sample(fams, "assay_quarantine_ratio") - q) < 1e-9, "quarantine ratio differs")
    ok = all(t["ok"] for t in stats["thresholds"])
    need(sample(fams, "assay_thresholds_ok") == (1 if ok else 0), "thresholds_ok differs")
    need(sample(fams, "assay_run_duration_seconds") >= 0, "negative duration")
    need(sample(fams, "assay_last_run_timestamp_seconds") == 1717243200,
         "last run timestamp is not --now")
    for name, fam in fams.items():
        need(fam["type"] == ("counter" if name.endswith("_total") else "gauge"),
             "%s has type %s" % (name, fam["type"]))


# ---- JUnit ---------------------------------------------------------------

def count_attr(el, name):
    v = el.get(name)
    need(v is not None, "<%s> without %s=" % (el.tag, name))
    need(re.match(r"[0-9]+\Z", v), "%s=%r is not a count" % (name, v))
    return int(v)


def check_junit(data, stats, inputs):
    root = ET.fromstring(data)
    need(root.tag == "testsuites", "root element is <%s>" % root.tag)
    need(root.get("name") == "assay", "testsuites name")
    total = {"tests": 0, "failures": 0, "skipped": 0}
    field_fail = {}
    suites = root.findall("testsuite")
    need([s.get("name") for s in suites] == inputs + ["assay policy"],
         "suites %r" % [s.get("name") for s in suites])
    for suite in suites:
        for a in ("name", "time", "timestamp"):
            need(suite.get(a), "testsuite without %s=" % a)
        float(suite.get("time"))
        need(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\Z", suite.get("timestamp")),
             "timestamp %r" % suite.get("timestamp"))
        need(count_attr(suite, "errors") == 0, "errors")
        cases = suite.findall("testcase")
        need(len(cases) == len(list(suite)), "a child of testsuite that is not a testcase")
        need(count_attr(suite, "tests") == len(cases), "tests= of %s" % suite.get("name"))
        fails = skips = 0
        for tc in cases:
            need(tc.get("classname") == suite.get("name"), "classname %r" % tc.get("classname"))
            need(tc.get("name"), "testcase without a name")
            f = tc.findall("failure")
            skips += len(tc.findall("skipped"))
            need(len(f) <= 1, "two failures in one testcase")
            if not f:
                continue
            fails += 1
            need(f[0].get("type") and f[0].get("message"), "failure without type/message")
            if suite.get("name") == "assay policy":
                continue
            m = re.match(r"(\d+) of (\d+) records failed\Z", f[0].get("message"))
            need(m, "failure message %r" % f[0].get("message"))
            lines = [l for l in (f[0].text or "").split("\n") if l.startswith("record ")]
            need(1 <= len(lines) <= 5, "%d failing records named" % len(lines))
            nums = [int(re.match(r"record (\d+), line \d+: ", l).group(1)) for l in lines]
            need(nums == sorted(nums), "failing records out of order: %r" % nums)
            field, _, rule = tc.get("name").rpartition(": ")
            field_fail[(field, rule)] = field_fail.get((field, rule), 0) + int(m.group(1))
        need(count_attr(suite, "failures") == fails, "failures= of %s" % suite.get("name"))
        need(count_attr(suite, "skipped") == skips, "skipped= of %s" % suite.get("name"))
        for k, v in (("tests", len(cases)), ("failures", fails), ("skipped", skips)):
            total[k] += v
    for k, v in total.items():
        need(count_attr(root, k) == v, "testsuites %s= is not the sum" % k)
    need(count_attr(root, "errors") == 0, "errors")
    # Every error-severity violation the stats count is in a failing testcase.
    want = {}
    for field, fs in stats["fields"].items():
        sev_warn = field.startswith("note")
        for rule, n in fs["violations"].items():
            if n and not sev_warn:
                want[(field, rule)] = n
    breached = {t["rule"] for t in stats["thresholds"] if "rule" in t and not t["ok"]}
    need("mostly_small" in breached, "the data no longer breaches mostly_small")
    for rule, r in stats["rules"].items():
        if r["violations"] and (rule != "mostly_small" or rule in breached):
            want[("record", rule)] = r["violations"]
    for rule, n in stats["record_violations"].items():
        if n:
            want[("record", rule)] = n
    need(field_fail == want, "failures differ from the stats:\n%r\n%r" % (field_fail, want))
    return root


# ---- the run ---------------------------------------------------------------

def mask(data):
    data = re.sub(rb'(\stime=)"[^"]*"', rb'\1"x"', data)
    return re.sub(rb"(?m)^(assay_run_duration_seconds )\S+", rb"\1x", data)


def run(assay, work, extra):
    out = os.path.join(work, "j" + "_".join(extra))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name, text in (("a.csv", A), ("b.csv", B)):
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(text)
    with open(os.path.join(out, "rules.json"), "w") as fh:
        json.dump(RULES, fh)
    cmd = [assay, "check"] + extra + ["-r", "rules.json", "a.csv", "b.csv", "-o", "out.csv",
                                      "-s", "stats.json", "--junit", "junit.xml",
                                      "--metrics", "assay.prom", "--now", "2024-06-01T12:00:00Z"]
    p = subprocess.run(cmd, cwd=out, capture_output=True)
    need(p.returncode == 1, "exit %d (want 1): %s" % (p.returncode, p.stderr.decode()))
    res = {}
    for name in ("stats.json", "junit.xml", "assay.prom"):
        with open(os.path.join(out, name), "rb") as fh:
            res[name] = fh.read()
    return res


def must_reject(what, fn, data):
    try:
        fn(data)
    except (Bad, ET.ParseError, ValueError, KeyError, IndexError):
        return
    raise Bad("the %s validator accepted a broken file" % what)


def self_test(res, stats):
    prom = res["assay.prom"].decode()
    jm = lambda t: check_metrics(t, stats)
    must_reject("metrics", jm, re.sub(r"# HELP assay_records_read_total[^\n]*\n", "", prom))
    must_reject("metrics", jm, prom.replace("# TYPE assay_quarantine_ratio gauge\n", ""))
    must_reject("metrics", jm, prom.replace("\nassay_records_passed_total ",
                                            "\nassay_records_passed_total 1", 1))
    line = next(l for l in prom.split("\n") if l.startswith("assay_violations_total{"))
    must_reject("metrics", jm, prom + line + "\n")
    must_reject("metrics", jm, prom.replace('\\"q\\"', '"q"'))
    must_reject("metrics", jm, prom.replace("counter", "gauge", 1))
    must_reject("metrics", jm, prom.replace("assay_bytes_read_total ", "assay_bytes-read_total "))
    xml = res["junit.xml"]
    jj = lambda d: check_junit(d, stats, ["a.csv", "b.csv"])
    must_reject("junit", jj, xml.replace(b'failures="', b'failures="1', 1))
    must_reject("junit", jj, xml.replace(b"<failure ", b"<skipped ", 1))
    must_reject("junit", jj, xml.replace(b"</testsuites>", b""))
    must_reject("junit", jj, re.sub(rb' classname="[^"]*"', b"", xml, count=1))
    must_reject("junit", jj, xml.replace(b"records failed", b"records broke", 1))


def main():
    if len(sys.argv) != 3:
        print("usage: check_reports.py ASSAY WORKDIR", file=sys.stderr)
        return 2
    assay, work = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.makedirs(work, exist_ok=True)
    try:
        first = None
        for extra in ([], ["-j", "0"], ["-j", "3", "--batch-records", "1"]):
            res = run(assay, work, extra)
            stats = json.loads(res["stats.json"])
            check_junit(res["junit.xml"], stats, ["a.csv", "b.csv"])
            check_metrics(res["assay.prom"].decode("utf-8"), stats)
            if first is None:
                first = res
                self_test(res, stats)
            for name in ("junit.xml", "assay.prom"):
                need(mask(res[name]) == mask(first[name]),
                     "%s differs with %s" % (name, " ".join(extra)))
    except Bad as e:
        print("FAIL: %s" % e)
        return 1
    print("junit and metrics reports: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
