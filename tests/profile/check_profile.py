#!/usr/bin/env python3
"""assay profile against exact answers computed here: counts exactly, distinct
counts within 3%, quantiles within the documented rank error (1% of n) --
with no worker thread (-j 0), two workers, and three with small batches; the
exact figures (everything but the sketches) must be the same in each. Then
the golden profile cases (tests/cases/profile-*) run with -j 0 and -j 3,
one record a batch: the same exit code, output and files.

    check_profile.py ASSAY_BINARY [ROWS]
"""
import bisect, glob, json, os, random, shutil, subprocess, sys, tempfile
from collections import Counter

assay = os.path.abspath(sys.argv[1])
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
rng = random.Random(1)
missing = {"", "NA", "N/A", "null", "NULL", "None", "-", "nan", "NaN"}
cols = {"id": [], "amount": [], "city": [], "code": []}
for i in range(rows):
    cols["id"].append(str(i * 7 % 1000003) if rng.random() > 0.01 else "NA")
    cols["amount"].append("%.2f" % rng.lognormvariate(3, 1) if rng.random() > 0.02 else "")
    cols["city"].append("c%d" % (int(rng.paretovariate(1.2)) % 5000))
    cols["code"].append("%s-%04d" % (rng.choice("ABC"), rng.randrange(10000)))

fails = 0
tag = ""
def check(ok, what):
    global fails
    if not ok:
        fails += 1
        print("FAIL:", tag, what)

def profile(d, path, jobs):
    out = os.path.join(d, "p.json")
    subprocess.run([assay, "profile", "--quiet", "--no-table", "--json", out] + jobs + [path],
                   check=True)
    return json.load(open(out))

def check_doc(doc):
    check(doc["records"] == rows, "records %d != %d" % (doc["records"], rows))
    fields = {f["name"]: f for f in doc["fields"]}
    for name, vals in cols.items():
        f = fields[name]
        present = [v for v in vals if v not in missing]
        check(f["count"] == rows, "%s count" % name)
        check(f["missing"] == rows - len(present), "%s missing %d" % (name, f["missing"]))
        exact = len(set(present))
        est = f["distinct"]["estimate"]
        check(abs(est - exact) <= 0.03 * exact, "%s distinct %d vs %d" % (name, est, exact))
        lens = [len(v) for v in present]
        check(f["length"]["min"] == min(lens) and f["length"]["max"] == max(lens), name + " length")
        check(f["text"]["min"] == min(present) and f["text"]["max"] == max(present), name + " text")
    check(fields["id"]["inferred"] == "integer", "id inferred " + fields["id"]["inferred"])
    check(fields["id"]["nulls_in_integers"] == cols["id"].count("NA"), "id nulls")
    check(fields["amount"]["inferred"] == "number", "amount inferred")
    check(fields["code"]["shapes"][0]["shape"] == "A-9999", "code shape")
    for name in ("id", "amount"):
        xs = sorted(float(v) for v in cols[name] if v not in missing)
        n = len(xs)
        num = fields[name]["numeric"]
        check(num["count"] == n, name + " numeric count")
        check(num["min"] == xs[0] and num["max"] == xs[-1], name + " min/max")
        mean = sum(xs) / n
        check(abs(num["mean"] - mean) <= 1e-9 * max(1, abs(mean)), name + " mean")
        for key, q in (("p01", .01), ("p05", .05), ("p25", .25), ("p50", .5), ("p75", .75),
                       ("p95", .95), ("p99", .99)):
            v = num["quantiles"][key]
            lo, hi = bisect.bisect_left(xs, v), bisect.bisect_right(xs, v)
            target = q * n
            err = 0 if lo <= target <= hi else min(abs(lo - target), abs(hi - target))
            check(err <= 0.01 * n, "%s %s rank error %.4f" % (name, key, err / n))
    # the city top values: exact counts of the most frequent
    top = Counter(cols["city"]).most_common(3)
    got = [(t["value"], t["count"]) for t in fields["city"]["top"][:3]]
    check(fields["city"]["top_counted"] == min(rows, doc["sampling"]["top_after"]), "top counted")
    if rows <= doc["sampling"]["top_after"]:
        check(got == top, "city top %s vs %s" % (got, top))

# the sketches' state and what is read from it; everything else is exact
SKETCHED = {"distinct", "top", "top_sketch", "shapes", "shape_sketch"}

def exact_part(doc):
    fields = []
    for f in doc["fields"]:
        g = {k: v for k, v in f.items() if k not in SKETCHED}
        g["numeric"] = {k: v for k, v in f["numeric"].items() if k not in ("quantiles", "sketch")}
        g["distinct_exact"] = f["distinct"]["exact"] and f["distinct"]["estimate"]
        fields.append(g)
    return {k: v for k, v in doc.items() if k != "fields"}, fields

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "data.csv")
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        for i in range(rows):
            f.write(",".join(cols[c][i] for c in cols) + "\n")
    base = None
    for jobs in (["-j", "0"], ["-j", "2"], ["-j", "3", "--batch-records", "4096"]):
        tag = " ".join(jobs) + ":"  # global: check() prefixes it
        doc = profile(d, path, jobs)
        check_doc(doc)
        if base is None:
            base = exact_part(doc)
        else:
            check(exact_part(doc) == base, "%s: exact figures differ from -j 0" % " ".join(jobs))

# The golden cases: one record a batch on three workers against none.
cases = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cases")

def run_case(src, extra):
    with tempfile.TemporaryDirectory() as d:
        wd = os.path.join(d, "w")
        shutil.copytree(src, wd, ignore=shutil.ignore_patterns("expected"))
        args = open(os.path.join(src, "cmd")).read().split()
        stdin = os.path.join(src, "stdin")
        with open(stdin if os.path.exists(stdin) else os.devnull, "rb") as inp:
            r = subprocess.run([assay, args[0]] + extra + args[1:], cwd=wd, stdin=inp,
                               capture_output=True, env=dict(os.environ, LC_ALL="C.UTF-8"))
        files = {}
        for root, _, names in os.walk(wd):
            for n in names:
                p = os.path.join(root, n)
                files[os.path.relpath(p, wd)] = unsketched(open(p, "rb").read())
        return r.returncode, unsketched(r.stdout), r.stderr, files

def unsketched(data):
    """A profile document without the sketches' inner state (the order of a
    merged sketch's items may differ; what is read from them may not)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return data
    for f in doc.get("fields", []) if isinstance(doc, dict) else []:
        for k in ("top_sketch", "shape_sketch"):
            f.pop(k, None)
        f.get("numeric", {}).pop("sketch", None)
        f.get("distinct", {}).pop("sketch", None)
    return doc

tag = ""
ncases = 0
for src in sorted(glob.glob(os.path.join(cases, "profile-*"))):
    if open(os.path.join(src, "cmd")).read().split()[:1] != ["profile"]:
        continue
    ncases += 1
    a = run_case(src, ["-j", "0", "--batch-records", "1"])
    b = run_case(src, ["-j", "3", "--batch-records", "1"])
    check(a == b, "%s: -j 3 --batch-records 1 differs from -j 0" % os.path.basename(src))
check(ncases >= 4, "golden profile cases found: %d" % ncases)
print("%d passed, %d failed" % (0 if fails else 1, 1 if fails else 0))
sys.exit(1 if fails else 0)
