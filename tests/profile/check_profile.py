#!/usr/bin/env python3
"""assay profile against exact answers computed here: counts exactly, distinct
counts within 3%, quantiles within the documented rank error (1% of n).

    check_profile.py ASSAY_BINARY [ROWS]
"""
import json, os, random, subprocess, sys, tempfile

assay = sys.argv[1]
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
def check(ok, what):
    global fails
    if not ok:
        fails += 1
        print("FAIL:", what)

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "data.csv")
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        for i in range(rows):
            f.write(",".join(cols[c][i] for c in cols) + "\n")
    out = os.path.join(d, "p.json")
    subprocess.run([assay, "profile", "--quiet", "--no-table", "--json", out, path], check=True)
    doc = json.load(open(out))
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
            import bisect
            lo, hi = bisect.bisect_left(xs, v), bisect.bisect_right(xs, v)
            target = q * n
            err = 0 if lo <= target <= hi else min(abs(lo - target), abs(hi - target))
            check(err <= 0.01 * n, "%s %s rank error %.4f" % (name, key, err / n))
    # the city top values: exact counts of the most frequent
    from collections import Counter
    top = Counter(cols["city"]).most_common(3)
    got = [(t["value"], t["count"]) for t in fields["city"]["top"][:3]]
    check(fields["city"]["top_counted"] == min(rows, doc["sampling"]["top_after"]), "top counted")
    if rows <= doc["sampling"]["top_after"]:
        check(got == top, "city top %s vs %s" % (got, top))
print("%d passed, %d failed" % (0 if fails else 1, 1 if fails else 0))
sys.exit(1 if fails else 0)
