#!/usr/bin/env bash
# check_jobs.sh ASSAY SHARED_DIR — the parallel engine gives the same results
# for every -j: output, quarantine, errors and changes byte for byte, and the
# stats once "timing" is removed, against -j 0 (no worker thread). Data: the
# benchmark generator's messy orders (duplicates, multi-line records, ragged
# rows, bad encodings), with the benchmark rules, record rules, an errors cap
# and --annotate, cut into batches of many sizes. Then a slow pipe, CSV and
# NDJSON: records read before the input goes quiet reach the output without
# waiting for the batch to fill or the input to end.
set -u
assay=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shared=$(cd "$2" 2>/dev/null && pwd) || shared=$2
[ -f "$shared/bench/gen_orders.py" ] || { echo "skipped: it needs ../shared beside the repository"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/assay-jobs.XXXXXX")
trap 'rm -rf "$work"; [ -n "${feeder:-}" ] && kill "$feeder" 2>/dev/null' EXIT
cd "$work" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

python3 "$shared/bench/gen_orders.py" --rows 30000 --seed 11 > d.csv
python3 - "$shared/bench/orders.rules.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["rules"] = [
    {"name": "cancelled_or_bounded", "check": "status == 'cancelled' || quantity <= 100"},
    {"name": "us_zip_digits", "when": "country == 'US'", "check": "matches(zip, '^[0-9]{5}$')"},
]
r["primaryKey"] = ["order_id", "customer_email"]  # a composite key beside unique
for f in r["fields"]:
    if f["name"] == "customer_name":
        f["clean"] = ["trim", "collapse_spaces"]
json.dump(r, open("rules.json", "w"))
PY
# Same rows with their duplicates spread over the whole file.
awk 'NR == 1 || NR % 97 != 0' d.csv > d2.csv
sed -n '2,3000p' d.csv >> d2.csv

run() { # NAME ARGS...
  local name=$1; shift
  "$assay" check -r rules.json -o "$name.out" -q "$name.q" -e "$name.e" -c "$name.c" \
    -s "$name.stats.json" --quiet --now 2026-01-01 "$@" > /dev/null 2> "$name.stderr"
  echo $? > "$name.rc"
  python3 - "$name.stats.json" <<'PY'
import json, sys
p = sys.argv[1]
try:
    s = json.load(open(p))
except Exception:
    sys.exit(0)
s.pop("timing", None)
json.dump(s, open(p, "w"), sort_keys=True)
PY
}

same() { # A B: every output of run B equals run A's
  local a=$1 b=$2 f
  for f in out q e c stats.json rc stderr; do
    if ! cmp -s "$a.$f" "$b.$f"; then
      bad "$b.$f differs from $a.$f"
      return
    fi
  done
  ok
}

for input in d.csv d2.csv; do
  for extra in "" "--max-errors-per-rule 3" "--annotate"; do
    tag=$(echo "$input $extra" | tr -c 'a-z0-9\n' _)
    run "$tag.j0" -j 0 $extra "$input"
    [ -s "$tag.j0.q" ] || bad "$tag: nothing quarantined (the data has faults)"
    for jb in "1 4096" "2 4096" "2 1" "3 7" "4 250" "8 1000"; do
      set -- $jb
      run "$tag.j$1b$2" -j "$1" --batch-records "$2" $extra "$input"
      same "$tag.j0" "$tag.j$1b$2"
    done
  done
done

# Several inputs, one without a final newline, and standard input.
head -c -1 d.csv > nofinal.csv
run multi.j0 -j 0 nofinal.csv d2.csv
run multi.j3 -j 3 --batch-records 64 nofinal.csv d2.csv
same multi.j0 multi.j3
run stdin.j0 -j 0 - < d.csv
run stdin.j2 -j 2 --batch-records 100 - < d.csv
same stdin.j0 stdin.j2

# A key limit reached by the writer stops the run as it does inline.
run limit.j0 -j 0 --max-unique-keys 1000 d.csv
run limit.j2 -j 2 --max-unique-keys 1000 d.csv
[ "$(cat limit.j2.rc)" = 3 ] || bad "limit: exit $(cat limit.j2.rc), want 3"
cmp -s limit.j0.stderr limit.j2.stderr && ok || bad "limit: messages differ: $(cat limit.j2.stderr)"

# A slow pipe: 50 records, then the writer waits for them to come out.
mkfifo in.fifo
head -n 51 d.csv > first.csv
( cat first.csv; for _ in $(seq 1 100); do [ -s live.out ] && { touch saw; break; }; sleep 0.1; done;
  sed -n '52,$p' d.csv ) > in.fifo &
feeder=$!
"$assay" check -r rules.json -j 2 -q live.q --quiet --now 2026-01-01 - < in.fifo > live.out
wait "$feeder"
feeder=
run live.j0 -j 0 - < d.csv
cmp -s live.out live.j0.out && ok || bad "slow pipe: output differs"
# The feeder saw output before it sent the rest (else it gave up after 10 s
# and the records reached the output only at the end of the input).
[ -e saw ] && ok || bad "slow pipe: the first records were not written while the input was quiet"

# The same for NDJSON, whose lines the workers parse.
python3 - d.csv d.ndjson <<'PY'
import csv, json, sys
rows = csv.reader(open(sys.argv[1], newline="", encoding="utf-8", errors="replace"))
head = next(rows)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for r in rows:
        if len(r) == len(head):
            f.write(json.dumps(dict(zip(head, r)), ensure_ascii=False) + "\n")
PY
mkfifo nd.fifo
rm -f saw
( head -n 50 d.ndjson; for _ in $(seq 1 100); do [ -s live.nd.out ] && { touch saw; break; }; sleep 0.1; done;
  sed -n '51,$p' d.ndjson ) > nd.fifo &
feeder=$!
"$assay" check -r rules.json -f ndjson -j 2 -q live.nd.q --quiet --now 2026-01-01 - < nd.fifo > live.nd.out
wait "$feeder"
feeder=
run live.nd.j0 -j 0 -f ndjson - < d.ndjson
cmp -s live.nd.out live.nd.j0.out && ok || bad "slow NDJSON pipe: output differs"
[ -e saw ] && ok || bad "slow NDJSON pipe: the first records were not written while the input was quiet"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
