#!/usr/bin/env bash
# check_json_memory.sh ASSAY SHARED_DIR — memory stays flat on a large JSON
# array: peak RSS checking a 200 MB array is within 1.25x (plus 8 MiB) of
# peak RSS checking a 50 MB one, and every record is read (read = passed +
# quarantined, as many as the generator wrote). The same for NDJSON.
set -u
assay=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shared=$(cd "$2" 2>/dev/null && pwd) || shared=$2
[ -f "$shared/bench/gen_orders.py" ] || { echo "skipped: it needs ../shared beside the repository"; exit 77; }
[ -x /usr/bin/time ] || { echo "skipped: /usr/bin/time is missing"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/assay-jsonmem.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail=0
# The benchmark rows as JSON objects (every value a string, as CSV has them).
python3 "$shared/bench/gen_orders.py" --rows 150000 --seed 5 > base.csv
python3 - <<'PY'
import csv, json
rows = list(csv.reader(open("base.csv", newline="", encoding="utf-8", errors="surrogateescape")))
head, body = rows[0], rows[1:]
def obj(r):
    return json.dumps({k: v for k, v in zip(head, r)}, ensure_ascii=False)
lines = [obj(r) for r in body if len(r) == len(head)]
text = "\n".join(lines).encode("utf-8", "surrogateescape")
for name, target in (("small", 50 << 20), ("large", 200 << 20)):
    n = 0
    with open(name + ".json", "wb") as a, open(name + ".ndjson", "wb") as nd:
        a.write(b"[\n")
        size = 0
        first = True
        while size < target:
            for l in lines:
                b = l.encode("utf-8", "surrogateescape")
                a.write(b if first else b",\n" + b)
                nd.write(b + b"\n")
                first = False
                size += len(b) + 2
                n += 1
                if size >= target:
                    break
        a.write(b"\n]\n")
    open(name + ".count", "w").write(str(n))
PY
python3 - "$shared/bench/orders.rules.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
# Values repeat across the copies: uniqueness would keep a key set that grows.
for f in r["fields"]:
    f.get("constraints", {}).pop("unique", None)
r.pop("primaryKey", None)
r["policy"] = {"max_quarantine_rate": 1}
json.dump(r, open("rules.json", "w"))
PY
for fmt in json ndjson; do
  declare -A rss=()
  for size in small large; do
    /usr/bin/time -f %M -o "$size.$fmt.rss" "$assay" check -r rules.json "$size.$fmt" \
      -o /dev/null -q /dev/null -s "$size.$fmt.stats" --quiet 2> "$size.$fmt.err"
    code=$?
    if [ "$code" -gt 1 ]; then
      echo "FAIL $fmt $size: exit $code: $(cat "$size.$fmt.err")"; fail=1; continue
    fi
    rss[$size]=$(tail -1 "$size.$fmt.rss")
    read -r read passed quar < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['records']; print(r['read'], r['passed'], r['quarantined'])" "$size.$fmt.stats")
    want=$(cat "$size.count")
    if [ "$read" != "$want" ] || [ $((passed + quar)) != "$read" ]; then
      echo "FAIL $fmt $size: read $read passed $passed quarantined $quar, want $want read"; fail=1
    fi
  done
  small=${rss[small]:-0} large=${rss[large]:-0}
  echo "$fmt: peak RSS $small KiB at 50 MB, $large KiB at 200 MB"
  if [ "$small" -eq 0 ] || [ "$large" -gt $((small * 125 / 100 + 8192)) ]; then
    echo "FAIL $fmt: memory grows with the input"; fail=1
  fi
done
[ $fail = 0 ] && echo "memory flat: ok"
exit $fail
