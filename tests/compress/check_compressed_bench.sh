#!/usr/bin/env bash
# check_compressed_bench.sh ASSAY SHARED_DIR — the benchmark data (100,000
# rows) checked as a plain file, gzipped, zstd-compressed and gzipped through
# standard input: the same summary, the same passing records and the same
# quarantine, byte for byte; a compressed output name gives those bytes
# compressed (the default quarantine e.quarantine.csv.gz beside a .csv.gz
# input, -o out.csv.zst).
set -u
assay=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shared=$(cd "$2" 2>/dev/null && pwd) || shared=$2
[ -f "$shared/bench/gen_orders.py" ] || { echo "skipped: it needs ../shared beside the repository"; exit 77; }
command -v gzip >/dev/null || { echo "skipped: it needs the gzip tool"; exit 77; }
# the zstd parts run where the zstd tool is installed
have_zstd=0
command -v zstd >/dev/null && have_zstd=1 || echo "note: no zstd tool, its parts are left out"
work=$(mktemp -d "${TMPDIR:-/tmp}/assay-compressed.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
pass=0 fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAILED: $1"; fail=$((fail + 1)); }

python3 "$shared/bench/gen_orders.py" --rows 100000 --seed 1 > d.csv
gzip -k -n d.csv
[ $have_zstd = 1 ] && zstd -q -k d.csv
rules=$shared/bench/orders.rules.json
run() { # NAME INPUT [options...]: exit code in NAME.rc
  local name=$1 input=$2; shift 2
  "$assay" check -r "$rules" "$input" -o "$name.out" -q "$name.q" --now 2026-01-01 "$@" \
    2> "$name.stderr"
  echo $? > "$name.rc"
}
run plain d.csv
run gz d.csv.gz
[ $have_zstd = 1 ] && run zst d.csv.zst
"$assay" check -r "$rules" -o stdin.out -q stdin.q --now 2026-01-01 < d.csv.gz 2> stdin.stderr
echo $? > stdin.rc
grep -q 'records read' plain.stderr && ok "plain run summary" || bad "plain run: $(cat plain.stderr)"
kinds="gz stdin"
[ $have_zstd = 1 ] && kinds="gz zst stdin"
for n in $kinds; do
  # the summary but for the line naming the quarantine file
  grep -v '^assay: quarantine:' plain.stderr > plain.sum
  grep -v '^assay: quarantine:' $n.stderr > $n.sum
  if cmp -s plain.rc $n.rc && cmp -s plain.sum $n.sum; then ok "$n: same exit and summary"
  else bad "$n: exit $(cat $n.rc) vs $(cat plain.rc); $(diff plain.sum $n.sum | head -5)"; fi
  cmp -s plain.out $n.out && ok "$n: same passing records" || bad "$n: passing records differ"
  cmp -s plain.q $n.q && ok "$n: same quarantine" || bad "$n: quarantine differs"
done

# compressed outputs: the same bytes once decompressed
cp d.csv.gz e.csv.gz
"$assay" check -r "$rules" e.csv.gz -o out.csv.zst --now 2026-01-01 2> /dev/null
[ -f e.quarantine.csv.gz ] && ok "default quarantine of a .gz input is .gz" ||
  bad "no e.quarantine.csv.gz"
gzip -dc e.quarantine.csv.gz | cmp -s - plain.q && ok "the .gz quarantine holds the quarantine" ||
  bad "e.quarantine.csv.gz differs"
if [ $have_zstd = 1 ]; then
  zstd -qdc out.csv.zst | cmp -s - plain.out && ok "-o out.csv.zst holds the passing records" ||
    bad "out.csv.zst differs"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
