#!/usr/bin/env bash
# run_case.sh ASSAY_BINARY CASE_DIR — run one golden end-to-end case.
#
# The case folder format is described in tests/cases/README.md. In short: `cmd`
# holds the arguments after `assay` (one line, split on blanks, no quoting or
# globbing; @SHARED@ is the absolute path of the repository's ../shared); the
# command runs in a fresh temporary copy of the folder, with `stdin` (or
# /dev/null) as standard input; `expected/` holds exit, stdout, stderr and every
# file the command must leave behind.
#
# Environment:
#   ASSAY_UPDATE=1   rewrite expected/ from this run (after a deliberate change)
#   ASSAY_WRAPPER    prefix for the command, e.g.
#                    "valgrind --error-exitcode=99 --leak-check=full -q";
#                    a wrapper exit of 99 fails the case
#   LC_ALL           the locale of the run (default C.UTF-8); results must not
#                    depend on it
#   ASSAY_CASE_ARGS  options put after `check` (unless the case sets -j or --batch-records
#                    itself), e.g. "-j 3 --batch-records 1": every output must
#                    be the same whatever the number of threads and batches
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: run_case.sh ASSAY_BINARY CASE_DIR" >&2
  exit 2
fi
assay=$1
[[ $assay == /* ]] || assay=$(cd "$(dirname "$assay")" && pwd)/$(basename "$assay")
case_dir=$(cd "$2" && pwd) || exit 2
name=$(basename "$case_dir")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shared=$(cd "$here/../../shared" 2>/dev/null && pwd) || shared=""

fail() {
  echo "case $name: $*"
  echo "0 passed, 1 failed"
  exit 1
}

[ -f "$case_dir/cmd" ] || fail "no cmd file in $case_dir"
[ -x "$assay" ] || fail "not an executable: $assay"
command -v python3 >/dev/null || fail "python3 is needed to compare the outputs"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/assay-case.XXXXXX") || fail "cannot create a temporary folder"
trap 'rm -rf "$tmp"' EXIT
work=$tmp/work
mkdir "$work" && cp -a "$case_dir/." "$work/" && rm -rf "$work/expected" ||
  fail "cannot copy the case folder"

IFS= read -r line <"$case_dir/cmd" || [ -n "$line" ] || fail "empty cmd file"
if [[ $line == *@SHARED@* ]]; then
  if [ -z "$shared" ]; then # a checkout without ../shared beside it
    echo "case $name: skipped: it needs ../shared beside the repository"
    exit 77
  fi
  line=${line//@SHARED@/$shared}
fi
read -r -a args <<<"$line"
read -r -a wrapper <<<"${ASSAY_WRAPPER:-}"
if [ -n "${ASSAY_CASE_ARGS:-}" ] && [ "${args[0]:-}" = check ] &&
   [[ " ${args[*]} " != *" -j"* && " ${args[*]} " != *" --jobs"* && " ${args[*]} " != *" --batch-records"* ]]; then
  read -r -a extra <<<"$ASSAY_CASE_ARGS"
  args=(check "${extra[@]}" "${args[@]:1}")
fi
stdin_file=/dev/null
[ -f "$case_dir/stdin" ] && stdin_file=$case_dir/stdin
export LC_ALL=${LC_ALL:-C.UTF-8}

compare_py=$(cat <<'PY'
import difflib, hashlib, json, os, shutil, sys

from case_files import LEFTOVER, mask_times, walk

SPECIAL = {"exit", "stdout", "stderr", "absent", "mask"}


def digest(files):
    return {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}


def read(path, default=None):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return default


def lines_of(path):
    data = read(path, b"")
    return [l.strip() for l in data.decode("utf-8", "replace").splitlines() if l.strip()]


def diff(name, want, got):
    a = want.decode("utf-8", "backslashreplace").splitlines(True)
    b = got.decode("utf-8", "backslashreplace").splitlines(True)
    out = list(difflib.unified_diff(a, b, "expected/" + name, "actual/" + name))
    shown = "".join(l if l.endswith("\n") else l + "\n\\ No newline at end of file\n"
                    for l in out[:200])
    return shown + ("... (%d more diff lines)\n" % (len(out) - 200) if len(out) > 200 else "")


def main():
    mode = sys.argv[1]
    if mode == "snapshot":
        work, snap = sys.argv[2:4]
        with open(snap, "w") as fh:
            json.dump(digest(walk(work)), fh)
        return 0
    case_dir, work, tmp, rc, shared, name = sys.argv[2:8]
    exp = os.path.join(case_dir, "expected")
    with open(os.path.join(tmp, "before.json")) as fh:
        before = json.load(fh)
    masked = set(lines_of(os.path.join(exp, "mask")))

    def normal(rel, data):
        # Paths of this machine never reach an expected file.
        if shared:
            data = data.replace(shared.encode(), b"@SHARED@")
        data = data.replace(os.path.realpath(work).encode(), b"@WORKDIR@")
        data = data.replace(work.encode(), b"@WORKDIR@")
        if os.path.basename(rel).endswith("stats.json") or rel in masked:
            data = mask_times(data)
        return data

    after = walk(work)
    problems = []
    actual = {"exit": ("%s\n" % rc).encode(),
              "stdout": read(os.path.join(tmp, "stdout"), b""),
              "stderr": read(os.path.join(tmp, "stderr"), b"")}
    for rel, data in after.items():
        if rel not in before or hashlib.sha256(data).hexdigest() != before[rel]:
            actual[rel] = data
    for rel in before:
        if rel not in after:
            problems.append("file %s of the case folder was removed by the command\n" % rel)
    for rel in after:
        if LEFTOVER.search(os.path.basename(rel)):
            problems.append("temporary file left behind: %s\n" % rel)
    for rel in lines_of(os.path.join(exp, "absent")):
        if os.path.lexists(os.path.join(work, rel)):
            problems.append("%s must not exist after the run (expected/absent)\n" % rel)
    actual = {k: normal(k, v) for k, v in actual.items()}

    expected = {}
    if os.path.isdir(exp):
        for rel, data in walk(exp).items():
            if rel not in SPECIAL:
                expected[rel] = normal(rel, data)
    for k in ("exit", "stdout", "stderr"):
        data = read(os.path.join(exp, k))
        if data is not None:
            expected[k] = data
        elif k != "exit":
            expected[k] = b""

    if mode == "update":
        os.makedirs(exp, exist_ok=True)
        for rel in expected:
            if rel not in actual and rel not in SPECIAL:
                os.remove(os.path.join(exp, rel))
        for rel, data in actual.items():
            p = os.path.join(exp, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as fh:
                fh.write(data)
        print("case %s: expected/ updated from this run" % name)
    else:
        if "exit" not in expected:
            problems.append("expected/exit is missing (ASSAY_UPDATE=1 writes it)\n")
        for rel in sorted(expected):
            if rel not in actual and rel in after:
                actual[rel] = normal(rel, after[rel])
            if rel not in actual:
                problems.append("expected file %s was not written\n" % rel)
            elif actual[rel] != expected[rel]:
                problems.append(diff(rel, expected[rel], actual[rel]))
        for rel in sorted(set(actual) - set(expected)):
            if rel in before:
                problems.append("the command changed %s, a file of the case folder\n" % rel)
            else:
                problems.append("unexpected file written: %s (not in expected/)\n" % rel)

    if problems:
        sys.stdout.write("case %s (cmd: %s):\n" % (name, read(os.path.join(case_dir, "cmd"), b"").decode("utf-8", "replace").strip()))
        for p in problems:
            sys.stdout.write(p)
        print("0 passed, 1 failed")
        return 1
    print("1 passed, 0 failed")
    return 0


sys.exit(main())
PY
)
export PYTHONPATH=$here${PYTHONPATH:+:$PYTHONPATH} # case_files.py
python3 -c "$compare_py" snapshot "$work" "$tmp/before.json" || fail "snapshot failed"

(cd "$work" && exec "${wrapper[@]}" "$assay" "${args[@]}" <"$stdin_file" >"$tmp/stdout" 2>"$tmp/stderr")
rc=$?

if [ -n "${ASSAY_WRAPPER:-}" ] && [ "$rc" -eq 99 ]; then
  echo "case $name: the wrapper reported errors (exit 99):"
  cat "$tmp/stderr"
  echo "0 passed, 1 failed"
  exit 1
fi

mode=compare
[ "${ASSAY_UPDATE:-0}" = 1 ] && mode=update
python3 -c "$compare_py" "$mode" "$case_dir" "$work" "$tmp" "$rc" "$shared" "$name"
