#!/usr/bin/env bash
# check_shards.sh ASSAY SHARED_DIR — the sharded recipe: one file checked as
# byte-range shards, their outputs, quarantines and errors concatenated and
# their stats merged, must equal one run over the whole file (for record-local
# rules: unique/primaryKey need shards partitioned by key, so they are left
# out). Cuts fall anywhere: inside records, inside quoted line breaks, on line
# starts.
set -u
assay=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shared=$(cd "$2" 2>/dev/null && pwd) || shared=$2
[ -f "$shared/bench/gen_orders.py" ] || { echo "skipped: it needs ../shared beside the repository"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/assay-shards.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
pass=0 fail=0
python3 "$shared/bench/gen_orders.py" --rows 20000 --seed 3 > d.csv
python3 - "$shared/bench/orders.rules.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["fields"][0]["constraints"].pop("unique", None)
r.pop("primaryKey", None)
json.dump(r, open("rules.json", "w"))
PY
run() { # NAME RANGE...
  local name=$1; shift
  "$assay" check -r rules.json d.csv "$@" -o "$name.out" -q "$name.q" -e "$name.e" \
    -s "$name.stats.json" --quiet --now 2026-01-01 2> "$name.stderr"
}
run whole
size=$(stat -c %s d.csv)
for cuts in "1 2" "3" "7 9 10" "$((size / 2))" "1000 2000 2001"; do
  # cuts in tenths of the file (or absolute when > 10)
  bounds=(0)
  for c in $cuts; do
    if [ "$c" -le 10 ]; then bounds+=($((size * c / 10 + c * 37))); else bounds+=("$c"); fi
  done
  bounds+=("")
  files=() outs=() qs=() es=()
  for ((i = 0; i + 1 < ${#bounds[@]}; i++)); do
    run "s$i" --byte-range "${bounds[$i]}:${bounds[$((i + 1))]}"
    outs+=("s$i.out") qs+=("s$i.q") es+=("s$i.e") files+=("s$i.stats.json")
  done
  { cat "${outs[0]}"; for f in "${outs[@]:1}"; do tail -n +2 "$f"; done; } > all.out
  { cat "${qs[0]}"; for f in "${qs[@]:1}"; do tail -n +2 "$f"; done; } > all.q
  cat "${es[@]}" | python3 -c 'import json,sys; [print(json.loads(l)["line"], json.loads(l)["rule"]) for l in sys.stdin]' > all.e
  python3 -c 'import json,sys; [print(json.loads(l)["line"], json.loads(l)["rule"]) for l in sys.stdin]' < whole.e > whole.e.txt
  "$assay" merge -o merged.json "${files[@]}" 2> /dev/null
  python3 - <<'PY' > verdict.txt
import json
a, b = json.load(open("merged.json")), json.load(open("whole.stats.json"))
keys = ["records", "fields", "record_violations", "rules", "header"]
print("same" if all(a[k] == b[k] for k in keys) else "differ")
PY
  if cmp -s all.out whole.out && cmp -s all.q whole.q && cmp -s all.e whole.e.txt &&
     [ "$(cat verdict.txt)" = same ]; then
    pass=$((pass + 1)); echo "ok: cuts at ${bounds[*]}"
  else
    fail=$((fail + 1)); echo "FAILED: cuts at ${bounds[*]}"
  fi
done
# A range must name one regular file with a header.
"$assay" check -r rules.json --byte-range 0:10 d.csv d.csv -o /dev/null -q /dev/null 2> err.txt
[ $? -eq 2 ] && { pass=$((pass + 1)); echo "ok: two inputs refused"; } ||
  { fail=$((fail + 1)); echo "FAILED: two inputs not refused"; }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
