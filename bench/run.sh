#!/usr/bin/env bash
# bench/run.sh — assay beside its peers on the standard messy orders data, in
# one run on one machine, so that ratios (not absolute figures) are compared.
#
#   bench/run.sh [BUILD_DIR] [ROWS]      (defaults: build, 1000000)
#
# Needs: python3, Debian's `time` (for peak memory), python3-pandas (system
# python) and miller for the peers; a missing peer is reported and skipped.
# Data and outputs go to $BENCH_DIR (default: BUILD_DIR/bench-data).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=$(cd "$root/../shared" && pwd)
build=${1:-$root/build}
rows=${2:-1000000}
assay=$build/assay
dir=${BENCH_DIR:-$build/bench-data}
mkdir -p "$dir"
data=$dir/orders-$rows.csv
small=$dir/orders-100000.csv
[ -s "$data" ] || python3 "$shared/bench/gen_orders.py" --rows "$rows" --seed 1 > "$data"
[ -s "$small" ] || python3 "$shared/bench/gen_orders.py" --rows 100000 --seed 1 > "$small"
TIME=/usr/bin/time
[ -x $TIME ] || { echo "bench: Debian's 'time' package is needed for peak memory" >&2; exit 2; }

printf '# %s, %s rows, %s bytes; load: %s\n' "$(date -u +%FT%TZ)" "$rows" \
  "$(stat -c %s "$data")" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %9s %10s %12s %10s %s\n' tool seconds MB/s rows/s peak_MiB exit

# run NAME INPUT CMD...: times CMD, prints one row.
run() {
  local name=$1 input=$2; shift 2
  local bytes lines rc=0 slug=${name//[^a-z0-9]/_}
  bytes=$(stat -c %s "$input")
  lines=$(( $(wc -l < "$input") ))
  $TIME -f '%e %M' -o "$dir/time.txt" "$@" > "$dir/$slug.out" 2> "$dir/$slug.err" || rc=$?
  read -r secs kib < "$dir/time.txt"
  awk -v n="$name" -v s="$secs" -v b="$bytes" -v r="$lines" -v k="$kib" -v rc="$rc" 'BEGIN {
    if (s <= 0) s = 0.001;
    printf "%-34s %9.2f %10.1f %12.0f %10.1f %s\n", n, s, b / s / 1e6, r / s, k / 1024, rc }'
}

run "cat (floor)" "$data" cat "$data"
# The benchmark rules plus three record rules, to price the expressions.
python3 - "$shared/bench/orders.rules.json" "$dir/orders.rules3.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["rules"] = [
    {"name": "cancelled_or_bounded", "check": "status == 'cancelled' || quantity <= 100"},
    {"name": "us_zip_digits", "when": "country == 'US'", "check": "matches(zip, '^[0-9]{5}$')"},
    {"name": "unit_price", "check": "amount / quantity < 100000"},
]
json.dump(r, open(sys.argv[2], "w"))
PY
run "assay check" "$data" "$assay" check -r "$shared/bench/orders.rules.json" \
  -o "$dir/assay.good.csv" -q "$dir/assay.bad.csv" --quiet "$data"
run "assay check --no-clean" "$data" "$assay" check -r "$shared/bench/orders.rules.json" \
  -o "$dir/assay.good.csv" -q "$dir/assay.bad.csv" --quiet --no-clean "$data"
run "assay check (+3 record rules)" "$data" "$assay" check -r "$dir/orders.rules3.json" \
  -o "$dir/assay.good.csv" -q "$dir/assay.bad.csv" --quiet "$data"
run "assay check (core rules, no dates)" "$data" "$assay" check \
  -r "$shared/bench/orders.core.rules.json" \
  -o "$dir/assay.good.csv" -q "$dir/assay.bad.csv" --quiet "$data"
run "python stdlib" "$data" python3 "$shared/bench/peers/py_stdlib_validate.py" "$data" "$dir/py.bad.csv"
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  run "pandas" "$data" /usr/bin/python3 "$shared/bench/peers/pandas_validate.py" "$data" \
    "$dir/pd.good.csv" "$dir/pd.bad.csv"
else
  echo "pandas: not installed (apt-get install python3-pandas), skipped"
fi
if command -v mlr >/dev/null; then
  run "miller (100k rows)" "$small" mlr --icsv --ocsv --allow-ragged-csv-input --infer-none \
    put -q -s bad="$dir/mlr.bad.csv" -f "$shared/bench/peers/checks.mlr" \
    -f "$shared/bench/peers/split.mlr" "$small"
else
  echo "miller: not installed (apt-get install miller), skipped"
fi
