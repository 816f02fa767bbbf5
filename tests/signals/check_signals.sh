#!/usr/bin/env bash
# check_signals.sh ASSAY — SPEC §2's promises that a one-command golden case
# cannot express:
#   - SIGINT/SIGTERM remove the temporary output files, then the signal is
#     re-raised (the shell sees 130/143) and no target is created;
#   - a closed stdout (`assay … | head`) ends the run silently with exit 3.
# Deterministic: the input is a FIFO this script holds open, so assay is
# blocked reading, with its outputs open, when the signal arrives.
set -u
assay=$1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/assay-signals.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat > "$work/rules.json" <<'JSON'
{"fields": [{"name": "id", "type": "integer"}, {"name": "note", "type": "string"}]}
JSON
# 100 KiB of records: past the 64 KiB encoding sample, so outputs are open.
python3 - "$work/rows.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,note\n")
    for i in range(1, 8001):
        f.write("%d,row number %d\n" % (i, i))
PY

interrupt() { # SIGNAL EXPECTED_STATUS
  local sig=$1 want=$2 d=$work/$1
  mkdir "$d" && mkfifo "$d/in.csv"
  # A shell starts background jobs with SIGINT ignored; restore the default
  # first, as a terminal's Ctrl-C would find it.
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$assay" check -r "$work/rules.json" -o "$d/out.csv" \
    -q "$d/q.csv" -e "$d/e.ndjson" "$d/in.csv" 2> "$d/stderr" &
  local pid=$!
  exec 3> "$d/in.csv"
  cat "$work/rows.csv" >&3
  local i
  for i in $(seq 1 100); do # until the temporaries exist (at most 10 s)
    compgen -G "$d/.out.csv.assay-*" > /dev/null && break
    sleep 0.1
  done
  compgen -G "$d/.out.csv.assay-*" > /dev/null || bad "$sig: no temporary output appeared"
  kill -"$sig" "$pid"
  wait "$pid"
  local st=$?
  exec 3>&-
  [ "$st" -eq "$want" ] && ok "$sig: exit status $st" || bad "$sig: exit status $st, want $want"
  local left
  left=$(cd "$d" && ls -A | grep -v -e '^in.csv$' -e '^stderr$')
  [ -z "$left" ] && ok "$sig: no output or temporary file left" ||
    bad "$sig: files left behind: $left"
}
interrupt INT 130
interrupt TERM 143

# A closed stdout: exit 3, nothing on stderr.
python3 - "$work/big.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,note\n")
    for i in range(1, 100001):
        f.write("%d,row number %d\n" % (i, i))
PY
"$assay" check -r "$work/rules.json" -q "$work/q.csv" "$work/big.csv" 2> "$work/head.err" | head -1 > /dev/null
st=${PIPESTATUS[0]}
[ "$st" -eq 3 ] && ok "| head: exit 3" || bad "| head: exit $st, want 3"
[ ! -s "$work/head.err" ] && ok "| head: nothing on stderr" || bad "| head: stderr: $(cat "$work/head.err")"
[ ! -e "$work/q.csv" ] && ok "| head: the quarantine was not renamed into place" ||
  bad "| head: a quarantine of a failed run was left"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
