#!/usr/bin/env bash
# check_cli_faults.sh ASSAY_BINARY SHIM_LIBRARY — I/O faults end to end.
#
# Runs the real `assay check` and `assay profile` on a few MB of generated CSV,
# NDJSON and gzip input while the fault shim (fail_io.c, through LD_PRELOAD
# on the assay process only) makes reads, writes, opens or closes fail, and
# holds each run to SPEC §2:
#
#   - exit code 3 (an I/O error outranks the breached threshold of 1 that a
#     clean run of this data gives);
#   - stderr is exactly one line, "assay: error: <file>: <what>: <reason>";
#     nothing at all when stdout was closed early (`| head`);
#   - the working directory is as before, byte for byte: outputs that existed
#     (-o, -q, -s) keep their old content, outputs that did not (-e, --junit)
#     are not created, and no temporary (.*.assay-*) is left;
#   - transient faults (EINTR, EAGAIN, short reads and writes) change nothing:
#     same exit code and same outputs as a run without the shim.
#
# Every scenario runs at -j 0 (one thread) and at the default -j.
# Prints "N passed, N failed"; exits 1 when a check failed.
set -u

if [ $# -ne 2 ]; then
  echo "usage: check_cli_faults.sh ASSAY_BINARY SHIM_LIBRARY" >&2
  exit 2
fi
abs() { [[ $1 == /* ]] && echo "$1" || echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
ASSAY=$(abs "$1")
SHIM=$(abs "$2")
[ -x "$ASSAY" ] || { echo "not executable: $ASSAY" >&2; exit 2; }
[ -f "$SHIM" ] || { echo "no shim: $SHIM" >&2; exit 2; }
export LC_ALL=C # strerror texts in English

W=$(mktemp -d -t assay-faults-XXXXXX) || exit 2
trap 'rm -rf "$W"' EXIT
IN=$W/in   # the inputs, generated once
RUN=$W/run # the working directory of one run
passes=0
fails=0
CASE=""

ok() { passes=$((passes + 1)); }
bad() {
  fails=$((fails + 1))
  echo "FAIL: $CASE: $*" >&2
}

# ---- inputs ----------------------------------------------------------------

mkdir -p "$IN"
# 150000 records, one in two failing (id not an integer, amount below 0):
# about 4 MB, with a quarantine and an errors file over the 1 MiB write buffer
# so that their writes fail midway, not only at the final flush.
awk 'BEGIN {
  print "id,name,amount"
  for (i = 1; i <= 150000; i++)
    if (i % 2 == 0) printf "x%d,  bad %d  ,-%d.5\n", i, i, i % 1000
    else printf "%d,  name %d  ,%d.%02d\n", i, i, i % 1000, i % 100
}' > "$IN/data.csv"
awk 'BEGIN {
  for (i = 1; i <= 100000; i++)
    if (i % 4 == 0) printf "{\"id\":\"x%d\",\"name\":\"  bad %d  \",\"amount\":-%d.5}\n", i, i, i % 1000
    else printf "{\"id\":%d,\"name\":\"  name %d  \",\"amount\":%d.%02d}\n", i, i, i % 1000, i % 100
}' > "$IN/data.ndjson"
cp "$IN/data.csv" "$IN/data2.csv"
have_gzip=0
if command -v gzip > /dev/null 2>&1; then
  gzip -c "$IN/data.csv" > "$IN/data.csv.gz" && have_gzip=1
fi
cat > "$IN/rules.json" << 'EOF'
{ "fields": [
    { "name": "id", "type": "integer", "constraints": { "required": true } },
    { "name": "name", "type": "string", "clean": ["trim"] },
    { "name": "amount", "type": "number", "constraints": { "minimum": 0 } } ] }
EOF
size_of() { wc -c < "$IN/$1" | tr -d ' '; }

# ---- one run ---------------------------------------------------------------

# A fresh working directory: the inputs (hard links, else copies) and three
# outputs that exist before the run with known content.
fresh() {
  rm -rf "$RUN"
  mkdir "$RUN" || exit 2
  for f in "$IN"/*; do
    ln "$f" "$RUN/" 2> /dev/null || cp "$f" "$RUN/"
  done
  for f in out.csv q.csv s.json p.json; do
    printf 'old content of %s\n' "$f" > "$RUN/$f"
  done
}

# Every entry of the working directory (hidden ones too) with its checksum.
snapshot() {
  (cd "$RUN" && for f in $(ls -A | LC_ALL=C sort); do
    if [ -f "$f" ]; then cksum < "$f" | sed "s|^|$f |"; else echo "$f (not a file)"; fi
  done)
}

# run STDOUT STDIN [VAR=value ...] -- ARGS...: assay ARGS in $RUN under the
# shim with those settings; sets rc; stderr in $W/stderr.
run() {
  local out=$1 in=$2
  shift 2
  local vars=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  (cd "$RUN" && env LD_PRELOAD="$SHIM" "${vars[@]}" "$ASSAY" "$@" \
    < "$in" > "$out" 2> "$W/stderr")
  rc=$?
}

# The checks of a failed run: exit 3, the message, the directory unchanged.
expect_failed() {
  local message=$1 before=$2
  [ "$rc" = 3 ] && ok || bad "exit code $rc, expected 3"
  local got
  got=$(cat "$W/stderr")
  if [ -z "$message" ]; then
    [ -z "$got" ] && ok || bad "stderr should be empty, holds: $got"
  else
    [ "$got" = "assay: error: $message" ] && ok ||
      bad "stderr: '$got', expected 'assay: error: $message'"
  fi
  local after
  after=$(snapshot)
  [ "$before" = "$after" ] && ok ||
    bad "the directory changed:$(diff <(echo "$before") <(echo "$after") | sed 's/^/  /')"
}

# fault JOBS MESSAGE [VAR=value ...] -- ARGS...: a run that must fail.
fault() {
  local jobs=$1 message=$2
  shift 2
  fresh
  local before
  before=$(snapshot)
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  run "$W/stdout" /dev/null "${vars[@]}" -- "$@" $jobs
  expect_failed "$message" "$before"
}

# fault_stdin JOBS MESSAGE STDIN-FILE [VAR=value ...] -- ARGS...
fault_stdin() {
  local jobs=$1 message=$2 input=$3
  shift 3
  fresh
  local before
  before=$(snapshot)
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  run "$W/stdout" "$RUN/$input" "${vars[@]}" -- "$@" $jobs
  expect_failed "$message" "$before"
}

# fault_full JOBS MESSAGE ARGS...: standard output is /dev/full.
fault_full() {
  local jobs=$1 message=$2
  shift 2
  fresh
  local before
  before=$(snapshot)
  run /dev/full /dev/null -- "$@" $jobs
  expect_failed "$message" "$before"
}

# closed_early JOBS READER ARGS...: standard output is a pipe into READER
# ("head" reads 100 bytes and leaves; "none" closes it at once).
closed_early() {
  local jobs=$1 reader=$2
  shift 2
  fresh
  local before
  before=$(snapshot)
  if [ "$reader" = head ]; then
    (cd "$RUN" && "$ASSAY" "$@" $jobs < /dev/null 2> "$W/stderr" | head -c 100 > /dev/null
     exit "${PIPESTATUS[0]}")
  else
    (cd "$RUN" && "$ASSAY" "$@" $jobs < /dev/null 2> "$W/stderr" | exec 0<&-
     exit "${PIPESTATUS[0]}")
  fi
  rc=$?
  expect_failed "" "$before"
}

# An output without what changes from run to run: the timing lines of a
# stats or profile file and of the metrics, the time="..." attributes of a
# JUnit report.
masked() {
  grep -v -e '"seconds"' -e '_per_second"' -e '"generated' -e '_seconds' "$1" 2> /dev/null |
    sed -e 's/ time="[^"]*"/ time=""/g' -e 's/ timestamp="[^"]*"/ timestamp=""/g'
}

# same JOBS OUTPUTS [VAR=value ...] -- ARGS...: under the shim the run must
# give what it gives without: exit code, stdout and each of OUTPUTS (a
# space-separated list).
same() {
  local jobs=$1 outputs=$2
  shift 2
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  fresh
  run "$W/ref.stdout" /dev/null -- "$@" $jobs
  local ref_rc=$rc f
  rm -rf "$W/ref"
  mkdir "$W/ref"
  for f in $outputs; do cp "$RUN/$f" "$W/ref/$f" 2> /dev/null; done
  fresh
  run "$W/stdout" /dev/null "${vars[@]}" -- "$@" $jobs
  [ "$rc" = "$ref_rc" ] && ok || bad "exit code $rc, without faults $ref_rc"
  [ "$ref_rc" = 0 ] || [ "$ref_rc" = 1 ] && ok || bad "the reference run failed: $ref_rc"
  cmp -s "$W/stdout" "$W/ref.stdout" && ok || bad "stdout differs"
  for f in $outputs; do
    if [ ! -f "$W/ref/$f" ]; then
      bad "the reference run wrote no $f"
    elif [[ $f == *.json || $f == *.xml || $f == *.prom ]]; then
      cmp -s <(masked "$RUN/$f") <(masked "$W/ref/$f") && ok || bad "$f differs"
    else
      cmp -s "$RUN/$f" "$W/ref/$f" && ok || bad "$f differs"
    fi
  done
  [ -z "$(cd "$RUN" && ls -A | grep '\.assay-')" ] && ok || bad "a temporary file is left"
}

# ---- scenarios -------------------------------------------------------------

CHECK=(check -r rules.json -o out.csv -q q.csv -s s.json -e e.ndjson -c c.ndjson
       --junit j.xml --metrics m.prom)
OUTPUTS="out.csv q.csv s.json e.ndjson c.ndjson j.xml m.prom"
csv_size=$(size_of data.csv)
nd_size=$(size_of data.ndjson)
EIO="Input/output error"
NOSPC="No space left on device"

for jobs in "-j 0" ""; do
  J=${jobs:-"default -j"}

  # Reads failing with EIO: at the first byte, inside the header, midway,
  # at the last byte, and at the end (the read that would return 0).
  for off in 0 5 $((csv_size / 2)) $((csv_size - 1)) "$csv_size"; do
    CASE="csv read EIO after $off bytes, $J"
    fault "$jobs" "data.csv: read error: $EIO" ASSAY_INJECT_READ_ERRNO=EIO \
      ASSAY_INJECT_READ_AFTER="$off" ASSAY_INJECT_READ_MATCH=data.csv -- \
      "${CHECK[@]}" data.csv
  done
  for off in 0 $((nd_size / 2)) $((nd_size - 1)); do
    CASE="ndjson read EIO after $off bytes, $J"
    fault "$jobs" "data.ndjson: read error: $EIO" ASSAY_INJECT_READ_ERRNO=EIO \
      ASSAY_INJECT_READ_AFTER="$off" ASSAY_INJECT_READ_MATCH=data.ndjson -- \
      "${CHECK[@]}" data.ndjson
  done
  if [ "$have_gzip" = 1 ]; then
    gz_size=$(size_of data.csv.gz)
    for off in 0 $((gz_size / 2)) $((gz_size - 1)); do
      CASE="gzip read EIO after $off bytes, $J"
      fault "$jobs" "data.csv.gz: read error: $EIO" ASSAY_INJECT_READ_ERRNO=EIO \
        ASSAY_INJECT_READ_AFTER="$off" ASSAY_INJECT_READ_MATCH=data.csv.gz -- \
        "${CHECK[@]}" data.csv.gz
    done
  fi
  CASE="stdin read EIO midway, $J"
  fault_stdin "$jobs" "standard input: read error: $EIO" data.csv \
    ASSAY_INJECT_READ_ERRNO=EIO ASSAY_INJECT_READ_AFTER=$((csv_size / 3)) \
    ASSAY_INJECT_READ_MATCH=data.csv -- "${CHECK[@]}" -f csv
  CASE="read EIO midway, default quarantine, $J"
  fault "$jobs" "data.csv: read error: $EIO" ASSAY_INJECT_READ_ERRNO=EIO \
    ASSAY_INJECT_READ_AFTER=$((csv_size / 2)) ASSAY_INJECT_READ_MATCH=data.csv -- \
    check -r rules.json -o out.csv data.csv
  # --byte-range plans its shard with pread (both ends, the lines before it)
  # and then reads it: a failure anywhere is an error, never a short shard.
  for off in 60000 100000 200000 1000000 1500000; do
    CASE="--byte-range read EIO after $off bytes, $J"
    fault "$jobs" "data.csv: read error: $EIO" ASSAY_INJECT_READ_ERRNO=EIO \
      ASSAY_INJECT_READ_AFTER="$off" ASSAY_INJECT_READ_MATCH=data.csv -- \
      "${CHECK[@]}" --byte-range 1000000:2000000 data.csv
  done
  CASE="--byte-range read EINTR storm, $J"
  same "$jobs" "$OUTPUTS" ASSAY_INJECT_READ_ERRNO=EINTR ASSAY_INJECT_READ_SHORT=4093 \
    ASSAY_INJECT_READ_MATCH=data.csv -- "${CHECK[@]}" --byte-range 1000000:2000000 data.csv
  CASE="second input read EIO midway, $J"
  fault "$jobs" "data2.csv: read error: $EIO" ASSAY_INJECT_READ_ERRNO=EIO \
    ASSAY_INJECT_READ_AFTER=$((csv_size / 2)) ASSAY_INJECT_READ_MATCH=data2.csv -- \
    "${CHECK[@]}" data.csv data2.csv

  # Inputs that cannot be opened. chmod 000 does not stop root, the shim does.
  CASE="input open EACCES, $J"
  fault "$jobs" "data.csv: cannot open input: Permission denied" \
    ASSAY_INJECT_OPEN_ERRNO=EACCES ASSAY_INJECT_OPEN_MATCH=data.csv -- \
    "${CHECK[@]}" data.csv
  CASE="second input open EACCES, $J"
  fault "$jobs" "data2.csv: cannot open input: Permission denied" \
    ASSAY_INJECT_OPEN_ERRNO=EACCES ASSAY_INJECT_OPEN_MATCH=data2.csv -- \
    "${CHECK[@]}" data.csv data2.csv
  if [ "$(id -u)" != 0 ]; then
    CASE="second input chmod 000, $J"
    fresh
    chmod 000 "$RUN/data2.csv"
    before=$(snapshot)
    run "$W/stdout" /dev/null -- "${CHECK[@]}" data.csv data2.csv $jobs
    expect_failed "data2.csv: cannot open input: Permission denied" "$before"
    chmod 644 "$RUN/data2.csv"
  fi

  # Transient read faults (with short reads): retried, nothing changes.
  for input in data.csv data.ndjson $([ "$have_gzip" = 1 ] && echo data.csv.gz); do
    CASE="$input read EINTR storm, $J"
    same "$jobs" "$OUTPUTS" ASSAY_INJECT_READ_ERRNO=EINTR \
      ASSAY_INJECT_READ_SHORT=4093 ASSAY_INJECT_READ_MATCH="$input" -- \
      "${CHECK[@]}" "$input"
  done
  CASE="data.csv read EAGAIN storm, $J"
  same "$jobs" "$OUTPUTS" ASSAY_INJECT_READ_ERRNO=EAGAIN ASSAY_INJECT_READ_SHORT=4093 \
    ASSAY_INJECT_READ_MATCH=data.csv -- "${CHECK[@]}" data.csv

  # Writes failing midway (ENOSPC) in each output, EIO at close.
  for target in out.csv:300000 q.csv:300000 e.ndjson:300000 c.ndjson:300000 \
    s.json:100 j.xml:100 m.prom:100; do
    after=${target#*:}
    target=${target%:*}
    CASE="write ENOSPC to $target after $after bytes, $J"
    fault "$jobs" "$target: write failed: $NOSPC" ASSAY_INJECT_ERRNO=ENOSPC \
      ASSAY_INJECT_AFTER="$after" ASSAY_INJECT_MATCH=".$target.assay-" -- \
      "${CHECK[@]}" data.csv
    CASE="close EIO of $target, $J"
    fault "$jobs" "$target: close failed: $EIO" ASSAY_INJECT_CLOSE_ERRNO=EIO \
      ASSAY_INJECT_MATCH=".$target.assay-" -- "${CHECK[@]}" data.csv
  done
  CASE="write ENOSPC to the first byte of -o, $J"
  fault "$jobs" "out.csv: write failed: $NOSPC" ASSAY_INJECT_ERRNO=ENOSPC \
    ASSAY_INJECT_MATCH=.out.csv.assay- -- "${CHECK[@]}" data.csv
  CASE="write EINTR storm and short writes, $J"
  same "$jobs" "$OUTPUTS" ASSAY_INJECT_ERRNO=EINTR \
    ASSAY_INJECT_SHORT=5000 ASSAY_INJECT_MATCH=.assay- -- "${CHECK[@]}" data.csv

  # A full disk behind standard output.
  CASE="-o /dev/full, $J"
  fault "$jobs" "/dev/full: write failed: $NOSPC" -- check -r rules.json -q q.csv \
    -s s.json -o /dev/full data.csv
  CASE="stdout /dev/full, $J"
  fault_full "$jobs" "standard output: write failed: $NOSPC" check -r rules.json \
    -q q.csv -s s.json data.csv
  CASE="-o - into /dev/full, $J"
  fault_full "$jobs" "standard output: write failed: $NOSPC" check -r rules.json \
    -o - -q q.csv -s s.json data.csv

  # Standard output closed early: exit 3, silent, nothing committed.
  for reader in head none; do
    CASE="stdout closed early ($reader), $J"
    closed_early "$jobs" "$reader" check -r rules.json -q q.csv -s s.json data.csv
  done

  # assay profile: the same guarantees for its outputs.
  CASE="profile read EIO midway, $J"
  fault "$jobs" "data.csv: read error: $EIO" ASSAY_INJECT_READ_ERRNO=EIO \
    ASSAY_INJECT_READ_AFTER=$((csv_size / 2)) ASSAY_INJECT_READ_MATCH=data.csv -- \
    profile --json p.json --html p.html data.csv
  CASE="profile write ENOSPC to --json, $J"
  fault "$jobs" "p.json: write failed: $NOSPC" ASSAY_INJECT_ERRNO=ENOSPC \
    ASSAY_INJECT_AFTER=1000 ASSAY_INJECT_MATCH=.p.json.assay- -- \
    profile --json p.json --html p.html data.csv
  CASE="profile read EINTR storm, $J"
  same "$jobs" "p.json" ASSAY_INJECT_READ_ERRNO=EINTR ASSAY_INJECT_READ_SHORT=4093 \
    ASSAY_INJECT_READ_MATCH=data.csv -- profile --json p.json data.csv
  CASE="profile stdout /dev/full, $J"
  fault_full "$jobs" "standard output: write failed: $NOSPC" profile --json p.json data.csv
  CASE="profile stdout closed early, $J"
  closed_early "$jobs" head profile --json - --html p.html data.csv
done

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
