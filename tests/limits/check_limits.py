#!/usr/bin/env python3
"""check_limits.py ASSAY WORKDIR quick|big [--sanitize] — hostile shapes
against the readers' limits (docs/limits.md).

Every shape is a generated input (written into a fresh temporary directory
under WORKDIR, never committed) with the outcome it must have: the exit code,
records read = passed + quarantined with the expected counts, the rule named
in the errors file, and, where a record is quarantined for its size, the
quarantine holding its bytes exactly.

quick: each shape at N and 2N under `valgrind --tool=callgrind` (one thread,
       -j 0): the instructions the shape itself costs (the total minus the
       same shape at a tiny size, which is start-up and rules) must grow by
       at most 2.2x when the shape doubles: linear work, never a timer.
       Skipped (77) when valgrind is missing or the build is sanitized.
big:   the full-size shapes (a million columns, a 100 MB line within and
       over the limits, nesting 100,000 deep, a million quotes, commas, blank
       lines and CRs) run natively with the default -j; peak RSS
       (/usr/bin/time -f %M) must stay under each shape's stated bound, which
       does not grow with the input. --sanitize: correctness only (RSS means
       nothing under AddressSanitizer).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

MiB = 1 << 20
RULES = {
    "name": "limits",
    "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "string"}],
    "policy": {"max_quarantine_rate": 1},
}
MAX_RATIO = 2.2


# ---- the shapes -----------------------------------------------------------
# gen(n) returns the input's bytes; expect(n) the records' counts and the rule
# of the quarantined records (None: nothing quarantined); quar(n, data) the
# exact quarantine text, or None when it is not compared.

def columns(n):
    head = b"a,b," + b",".join(b"c%d" % i for i in range(n)) + b"\n"
    return head + b",".join([b"x"] * (n + 2)) + b"\n"


def long_line(n):
    return b"a,b\n1," + b"x" * n + b"\n2,y\n"


def long_quoted(n):
    return b'a,b\n1,"' + b"x" * n + b'"\n2,y\n'


def quotes_even(n):  # a quoted field of n escaped quotes: valid
    return b'a,b\n1,"' + b'""' * (n // 2) + b'"\n2,y\n'


def quotes_odd(n):  # a quote opened, then an even run: never closes
    return b'a,b\n1,"' + b'"' * (n // 2 * 2) + b"\n2,y\n3,z\n"


def commas(n):
    return b"a,b\n1," + b"," * n + b"\n2,y\n"


def blank_lines(n):
    return b"a,b\n" + b"\n" * n + b"2,y\n"


def crs(n):
    return b"a,b\n" + b"\r" * n + b"2,y\n"


def crlfs(n):
    return b"a,b\r\n" + b"\r\n" * n + b"2,y\r\n"


def deep_ndjson(n):
    deep = b'{"a":' + b"[" * n + b"]" * n + b',"b":"x"}'
    return b'{"a":"1","b":"2"}\n' + deep + b'\n{"a":"3","b":"4"}\n'


def deep_array(n):
    deep = b'{"a":' + b"[" * n + b"]" * n + b',"b":"x"}'
    return b'[{"a":"1","b":"2"},\n' + deep + b',\n{"a":"3","b":"4"}]\n'


def deep_array_open(n):  # never closed: the rest of the input is one record
    return b'[{"a":"1","b":"2"},\n{"a":' + b"[" * n + b"\n"


def deep_xml(n):
    deep = b"<rec><a>" + b"<x>" * n + b"</x>" * n + b"</a></rec>"
    return (b"<r><rec><a>1</a><b>2</b></rec>\n" + deep +
            b"\n<rec><a>3</a><b>4</b></rec></r>\n")


def deep_xml_open(n):  # a record whose elements never close
    return b"<r><rec><a>1</a><b>2</b></rec>\n<rec>" + b"<x>" * n + b"\n"


def counts(read, passed, rule=None, unparsed=None):
    q = read - passed
    return {"read": read, "passed": passed, "quarantined": q,
            "unparsed": q if unparsed is None else unparsed, "rule": rule}


def line_of(data, k):  # the k-th line (0-based) with its terminator, LF lines
    return data.split(b"\n")[k] + b"\n"


# name: (gen, ext, extra args, expect(n), quarantine(n, data) or None,
#        quick N, big N, RSS bound in MiB at the big N)
SHAPES = {
    "columns": (columns, "csv", [], lambda n: counts(1, 1), None,
                10000, 1000000, 640),
    "columns_two_inputs": (columns, "csv", ["@twice"], lambda n: counts(2, 2), None,
                           10000, 1000000, 640),
    "line_over_limits": (long_line, "csv", [], lambda n: counts(2, 1, "record_too_large"),
                         lambda n, d: d[:-4], 17 * MiB, 100 * MiB, 64 + 3 * 16),
    "line_over_small_limits": (long_line, "csv",
                               ["--max-record-bytes", "64K", "--max-field-bytes", "16K"],
                               lambda n: counts(2, 1, "record_too_large"),
                               lambda n, d: d[:-4], 2 * MiB, 100 * MiB, 64),
    "line_within_limits": (long_line, "csv",
                           ["--max-record-bytes", "200M", "--max-field-bytes", "200M"],
                           lambda n: counts(2, 2), None, 2 * MiB, 100 * MiB,
                           64 + 4 * 100),
    "field_over_limit": (long_line, "csv", [], lambda n: counts(2, 1, "record_too_large"),
                         lambda n, d: d[:-4], 5 * MiB, 10 * MiB, 64 + 3 * 16),
    # a quote open past max_record_bytes is damage: the line is malformed
    "quoted_over_limits": (long_quoted, "csv", [],
                           lambda n: counts(2, 1, "malformed"),
                           lambda n, d: d[:-4], 17 * MiB, 100 * MiB, 64 + 3 * 16),
    "quotes_even": (quotes_even, "csv", [], lambda n: counts(2, 2), None,
                    250000, 1000000, 64),
    "quotes_odd": (quotes_odd, "csv", [], lambda n: counts(3, 2, "malformed"),
                   lambda n, d: line_of(d, 0) + line_of(d, 1), 250000, 1000000, 64),
    "commas": (commas, "csv", [], lambda n: counts(2, 1, "extra_cell"),
               lambda n, d: line_of(d, 0) + line_of(d, 1), 250000, 1000000, 64),
    "blank_lines": (blank_lines, "csv", [], lambda n: counts(n + 1, 1, "blank_row"),
                    None, 20000, 1000000, 64),
    "crs": (crs, "csv", [], lambda n: counts(n + 1, 1, "blank_row"), None,
            20000, 1000000, 64),
    "crlfs": (crlfs, "csv", [], lambda n: counts(n + 1, 1, "blank_row"), None,
              20000, 1000000, 64),
    "deep_ndjson": (deep_ndjson, "ndjson", [], lambda n: counts(3, 2, "json_parse"),
                    lambda n, d: line_of(d, 1), 25000, 100000, 64),
    "deep_array": (deep_array, "json", [], lambda n: counts(3, 2, "json_parse"), None,
                   25000, 100000, 64),
    "deep_array_open": (deep_array_open, "json", [],
                        lambda n: counts(2, 1, "json_parse"), None, 25000, 100000, 64),
    "deep_xml": (deep_xml, "xml", ["--record-path", "/r/rec"],
                 lambda n: counts(3, 2, "xml"), None, 25000, 100000, 64),
    "deep_xml_open": (deep_xml_open, "xml", ["--record-path", "/r/rec"],
                      lambda n: counts(2, 1, "xml"), None, 25000, 100000, 64),
}
# The record over the limit in blank_lines & co is not quarantined for its
# size; for those a quarantine check would only repeat the input: the counts
# and the rule say it all.


class Failure(Exception):
    pass


def run(assay, work, name, n, prefix=(), jobs=None, rss=False, check=True):
    gen, ext, extra, expect, quar, _, _, _ = SHAPES[name]
    data = gen(n)
    inp = os.path.join(work, "%s.%s" % (name, ext))
    with open(inp, "wb") as f:
        f.write(data)
    args = [a for a in extra if a != "@twice"]
    inputs = [inp, inp] if "@twice" in extra else [inp]
    qpath = os.path.join(work, "q.%s" % ext)
    stats = os.path.join(work, "stats.json")
    errs = os.path.join(work, "errors.ndjson")
    cmd = list(prefix) + [assay, "check", "-r", os.path.join(work, "rules.json")] + \
        args + inputs + ["-o", "/dev/null", "-q", qpath, "-s", stats, "-e", errs,
                         "--quiet"]
    if jobs is not None:
        cmd += ["-j", str(jobs)]
    rss_file = os.path.join(work, "rss")
    if rss:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    what = "%s n=%d" % (name, n)
    if not check:
        return None, None
    if p.returncode != 0:
        raise Failure("%s: exit %d, want 0: %s" % (what, p.returncode,
                                                    p.stderr.decode(errors="replace")[-2000:]))
    want = expect(n)
    with open(stats) as f:
        rec = json.load(f)["records"]
    for k in ("read", "passed", "quarantined", "unparsed"):
        if rec[k] != want[k]:
            raise Failure("%s: records.%s = %d, want %d (%s)" % (what, k, rec[k], want[k], rec))
    if rec["read"] != rec["passed"] + rec["quarantined"]:
        raise Failure("%s: read != passed + quarantined: %s" % (what, rec))
    rules = set()
    with open(errs, "rb") as f:
        for line in f:
            rules.add(json.loads(line)["rule"])
    want_rules = {want["rule"]} if want["rule"] else set()
    if rules != want_rules:
        raise Failure("%s: rules in the errors file %s, want %s" % (what, sorted(rules),
                                                                  sorted(want_rules)))
    if quar is not None:
        with open(qpath, "rb") as f:
            got = f.read()
        exp = quar(n, data)
        if got != exp:
            raise Failure("%s: the quarantine (%d bytes) is not the record's bytes (%d)"
                          % (what, len(got), len(exp)))
    peak = None
    if rss:
        with open(rss_file) as f:
            peak = int(f.read().split()[-1]) // 1024  # KiB -> MiB
    return p.stderr.decode(errors="replace"), peak


def callgrind_ir(assay, work, name, n, check=True):
    out = os.path.join(work, "callgrind.out")
    prefix = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
    run(assay, work, name, n, prefix=prefix, jobs=0, check=check)
    with open(out) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise Failure("%s: no totals in the callgrind output" % name)


def quick(assay, work, only):
    if shutil.which("valgrind") is None:
        print("SKIP: valgrind is missing")
        return 77
    failed = 0
    bases = {}  # start-up and rules: one tiny run per format and options
    for name in only:
        n = SHAPES[name][5]
        try:
            key = (SHAPES[name][1], tuple(SHAPES[name][2]))
            if key not in bases:
                bases[key] = callgrind_ir(assay, work, name, 2, check=False)
            base = bases[key]
            ir1 = callgrind_ir(assay, work, name, n)
            ir2 = callgrind_ir(assay, work, name, 2 * n)
        except Failure as e:
            print("FAIL %s" % e)
            failed += 1
            continue
        ratio = (ir2 - base) / max(ir1 - base, 1)
        ok = ratio <= MAX_RATIO
        failed += not ok
        print("%s %-24s N=%-9d Ir(tiny)=%-12d Ir(N)=%-12d Ir(2N)=%-12d ratio %.2f"
              % ("ok  " if ok else "FAIL", name, n, base, ir1, ir2, ratio))
        sys.stdout.flush()
    return 1 if failed else 0


def big(assay, work, only, sanitize):
    if not sanitize and not os.access("/usr/bin/time", os.X_OK):
        print("SKIP: /usr/bin/time is missing")
        return 77
    failed = 0
    for name in only:
        n, bound = SHAPES[name][6], SHAPES[name][7]
        try:
            _, peak = run(assay, work, name, n, rss=not sanitize)
        except Failure as e:
            print("FAIL %s" % e)
            failed += 1
            continue
        ok = sanitize or peak <= bound
        failed += not ok
        print("%s %-24s N=%-10d peak RSS %s (bound %d MiB)"
              % ("ok  " if ok else "FAIL", name, n,
                 "not measured (sanitizers)" if sanitize else "%d MiB" % peak, bound))
        sys.stdout.flush()
    return 1 if failed else 0


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in ("quick", "big"):
        print(__doc__)
        return 2
    assay = os.path.abspath(sys.argv[1])
    sanitize = "--sanitize" in sys.argv[4:]
    only = [a for a in sys.argv[4:] if not a.startswith("--")] or list(SHAPES)
    for name in only:
        if name not in SHAPES:
            print("unknown shape %s" % name)
            return 2
    os.makedirs(sys.argv[2], exist_ok=True)
    work = tempfile.mkdtemp(prefix="limits.", dir=sys.argv[2])
    try:
        with open(os.path.join(work, "rules.json"), "w") as f:
            json.dump(RULES, f)
        if sys.argv[3] == "quick":
            if sanitize:
                print("SKIP: callgrind cannot run a sanitized build")
                return 77
            return quick(assay, work, only)
        return big(assay, work, only, sanitize)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
