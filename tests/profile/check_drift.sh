#!/usr/bin/env bash
# check_drift.sh ASSAY SHARED — assay diff and assay merge on generated orders.
#
# 1. The profile of gen_orders.py (20000 rows, seed 1, the default fault rate
#    0.05) as baseline; the same generator at 5x the fault rate (0.25) must be
#    drift (exit 1, order_date's type_share_drop named: the share of values
#    that read as dates falls); the default rate with another seed must not
#    (exit 0), nor 40000 rows at the default rate (sequential order ids are
#    id-like: their PSI is reported, not judged).
# 2. The profiles of the two halves of a file, merged, against the profile of
#    the whole: counts equal exactly, distinct within 3%, quantiles within the
#    sketch's rank error.
# Exit 77 (skipped) until `assay profile` exists or without ../shared.
set -uo pipefail
assay=$1 shared=$2
gen=$shared/bench/gen_orders.py
[ -f "$gen" ] || { echo "skipped: no $gen"; exit 77; }
"$assay" profile --help >/dev/null 2>&1 || { echo "skipped: no assay profile"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/assay-drift.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 "$gen" --rows 20000 --seed 1 >"$tmp/base.csv" &&
python3 "$gen" --rows 20000 --seed 2 --faults 0.25 >"$tmp/faulty.csv" &&
python3 "$gen" --rows 20000 --seed 3 >"$tmp/other.csv" &&
python3 "$gen" --rows 40000 --seed 4 >"$tmp/larger.csv" || fail "generator"
for f in base faulty other larger; do
  "$assay" profile "$tmp/$f.csv" --json "$tmp/$f.json" >/dev/null 2>&1 ||
    fail "assay profile $f.csv"
done

"$assay" diff "$tmp/base.json" "$tmp/faulty.json" >"$tmp/drift.txt"
rc=$?
cat "$tmp/drift.txt"
[ $rc -eq 1 ] || fail "diff against the faulty data: exit $rc, want 1"
grep -q '^fields: .*DRIFT: .*crossed: [a-z_]*: ' "$tmp/drift.txt" ||
  fail "the summary does not name the drifted fields"
grep -q '^fields: .*DRIFT: .*order_date: type_share_drop' "$tmp/drift.txt" ||
  fail "order_date's type share drop is not named"
grep -q '^order_date .* date share -0\.0[0-9]*\*' "$tmp/drift.txt" ||
  fail "order_date's line does not mark its date share"

"$assay" diff "$tmp/base.json" "$tmp/other.json" >"$tmp/same.txt"
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/same.txt"; fail "diff against another seed: exit $rc, want 0"; }

"$assay" diff "$tmp/base.json" "$tmp/larger.json" >"$tmp/larger.txt"
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/larger.txt"; fail "diff against 40000 rows: exit $rc, want 0"; }
grep -q '^order_id .*id-like' "$tmp/larger.txt" || fail "order_id is not marked id-like"

# halves: the header, then each half of the data lines
lines=$(($(wc -l <"$tmp/base.csv") - 1))
head -n 1 "$tmp/base.csv" >"$tmp/h1.csv"
head -n 1 "$tmp/base.csv" >"$tmp/h2.csv"
tail -n +2 "$tmp/base.csv" | head -n $((lines / 2)) >>"$tmp/h1.csv"
tail -n +$((lines / 2 + 2)) "$tmp/base.csv" >>"$tmp/h2.csv"
for f in h1 h2; do
  "$assay" profile "$tmp/$f.csv" --json "$tmp/$f.json" >/dev/null 2>&1 || fail "profile $f"
done
"$assay" merge -o "$tmp/merged.json" "$tmp/h1.json" "$tmp/h2.json" || fail "merge"
python3 - "$tmp/base.json" "$tmp/merged.json" "$tmp/base.csv" <<'PY' || exit 1
import bisect, csv, json, sys
whole, merged = (json.load(open(p)) for p in sys.argv[1:3])
columns = {}
with open(sys.argv[3], newline="", encoding="utf-8", errors="replace") as fp:
    rows = csv.reader(fp)
    names = next(rows)
    for row in rows:
        for name, cell in zip(names, row):
            try:
                x = float(cell.strip())
            except ValueError:
                continue
            if x == x and abs(x) != float("inf"):
                columns.setdefault(name, []).append(x)
bad = []
if whole["records"] != merged["records"]:
    bad.append("records %s != %s" % (whole["records"], merged["records"]))
mf = {f["name"]: f for f in merged["fields"]}
for w in whole["fields"]:
    m = mf.get(w["name"])
    if m is None:
        bad.append("field %s missing" % w["name"]); continue
    for key in ("count", "missing", "types", "date_formats", "missing_tokens", "inferred"):
        if w.get(key) != m.get(key):
            bad.append("%s.%s: %s != %s" % (w["name"], key, w.get(key), m.get(key)))
    wn, mn = w["numeric"], m["numeric"]
    for key in ("count", "min", "max"):
        if wn[key] != mn[key]:
            bad.append("%s.numeric.%s: %s != %s" % (w["name"], key, wn[key], mn[key]))
    if wn["count"]:
        for key in ("mean", "stddev"):
            if abs(wn[key] - mn[key]) > 1e-9 * max(1.0, abs(wn[key])):
                bad.append("%s.numeric.%s: %r != %r" % (w["name"], key, wn[key], mn[key]))
        # quantiles: the merged value's true rank in the column within the
        # sketch's rank error (under 1% per sketch at k = 200; 2% allowed)
        vals = sorted(columns[w["name"]])
        for k, v in wn["quantiles"].items():
            p, mv = float("0." + k[1:]), mn["quantiles"][k]
            lo = bisect.bisect_left(vals, mv) / len(vals)
            hi = bisect.bisect_right(vals, mv) / len(vals)
            if not (lo - 0.02 <= p <= hi + 0.02):
                bad.append("%s.%s: merged %s has rank %.3f..%.3f" % (w["name"], k, mv, lo, hi))
    we, me = w["distinct"]["estimate"], m["distinct"]["estimate"]
    if abs(we - me) > 0.03 * max(we, 1):
        bad.append("%s.distinct: %s vs %s" % (w["name"], we, me))
if bad:
    print("FAIL: merged halves differ from the whole:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("merged halves equal the whole (%d fields)" % len(whole["fields"]))
PY
echo "check_drift: ok"
