#!/usr/bin/env python3
"""Allocation-failure torture over golden cases (see tests/torture/README.md).

usage: check_torture.py ASSAY SHIM CASES_DIR [options] [CASE ...]

For each case (a folder of CASES_DIR, in the format of tests/cases/README.md)
the command first runs normally under the shim, which counts the heap
allocations made after main() is entered; then it runs once for every n from 1
to that count with the n-th allocation failing (ASSAY_TORTURE_FAIL=n). A run
passes when either
  (a) it exits 3 with a message that says "out of memory" on stderr, leaves no
      temporary file and changes no file of the working folder (every output of
      the normal run is absent, every input untouched), or
  (b) the failure was recovered from: the same exit code, stdout, stderr and
      files as the normal run.
Anything else fails: a signal, a hang (--timeout), another exit code, other
outputs. Each failure is printed with the case, n and what happened.
"""
import argparse
import concurrent.futures as cf
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from case_files import LEFTOVER, mask_times, walk  # noqa: E402

# What an exit 3 caused by a failed allocation must say: assay's own words,
# or the system's (strerror of ENOMEM; EAGAIN is what pthread_create returns
# when it cannot allocate a thread).
OOM = re.compile(rb"out of memory|Cannot allocate memory|Resource temporarily unavailable")


def masked(data, work):
    data = data.replace(os.path.realpath(work).encode(), b"@WORKDIR@")
    data = data.replace(work.encode(), b"@WORKDIR@")
    return mask_times(data, rates=True)


class Case:
    def __init__(self, path, shared, extra):
        self.path = path
        self.name = os.path.basename(path)
        with open(os.path.join(path, "cmd")) as fh:
            line = fh.readline().rstrip("\n")
        if "@SHARED@" in line:
            if not shared:
                raise LookupError("needs ../shared")
            line = line.replace("@SHARED@", shared)
        self.args = line.split()
        if extra and self.args[:1] == ["check"] and not any(
                a.startswith(("-j", "--jobs", "--batch-records")) for a in self.args):
            self.args = ["check"] + extra + self.args[1:]
        stdin = os.path.join(path, "stdin")
        self.stdin = stdin if os.path.isfile(stdin) else os.devnull
        self.before = {k: hashlib.sha256(v).hexdigest()
                       for k, v in walk(path).items()
                       if not k.startswith("expected" + os.sep)}


def run_once(assay, shim, case, env_extra, timeout):
    """Runs the case in a fresh copy; returns (rc, stdout, stderr, files,
    problems) where files holds every created or changed file (masked) and
    problems lists leftovers and removed inputs."""
    tmp = tempfile.mkdtemp(prefix="assay-torture.")
    try:
        work = os.path.join(tmp, "work")
        shutil.copytree(case.path, work, symlinks=True,
                        ignore=shutil.ignore_patterns("expected"))
        env = dict(os.environ, LC_ALL=os.environ.get("LC_ALL", "C.UTF-8"),
                   LD_PRELOAD=shim, **env_extra)
        with open(case.stdin, "rb") as fin:
            try:
                p = subprocess.run([assay] + case.args, cwd=work, stdin=fin,
                                   capture_output=True, env=env, timeout=timeout)
                rc, out, err = p.returncode, p.stdout, p.stderr
            except subprocess.TimeoutExpired as e:
                rc, out, err = "hang", e.stdout or b"", e.stderr or b""
        after = walk(work)
        files, problems = {}, []
        for rel, data in after.items():
            if LEFTOVER.search(os.path.basename(rel)):
                problems.append("temporary file left behind: " + rel)
            if case.before.get(rel) != hashlib.sha256(data).hexdigest():
                files[rel] = masked(data, work)
        for rel in case.before:
            if rel not in after:
                problems.append("input removed: " + rel)
        return rc, masked(out, work), masked(err, work), files, problems
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def describe(rc):
    if rc == "hang":
        return "hang (killed after the timeout)"
    if rc < 0:
        return "killed by signal %d" % -rc
    return "exit %d" % rc


def judge(normal, got):
    """None when the run is acceptable, else why not."""
    rc, out, err, files, problems = got
    if problems:
        return "; ".join(problems)
    if rc == 3 and (normal[0] != 3 or OOM.search(err)):
        if not OOM.search(err):
            return "exit 3 without an 'out of memory' message: %r" % err[-300:]
        if files:
            return "exit 3 but outputs were left: " + ", ".join(sorted(files))
        return None
    if (rc, out, err, files) == normal[:4]:
        return None
    why = [describe(rc) + " (normal run: %s)" % describe(normal[0])]
    if out != normal[1]:
        why.append("stdout differs")
    if err != normal[2]:
        why.append("stderr: %r" % err[-300:])
    for rel in sorted(set(files) | set(normal[3])):
        if files.get(rel) != normal[3].get(rel):
            why.append("%s differs" % rel if rel in files and rel in normal[3]
                       else "%s %s" % (rel, "missing" if rel in normal[3] else "unexpected"))
    return "; ".join(why)


def torture_case(assay, shim, case, timeout, pool, stride):
    with tempfile.NamedTemporaryFile(prefix="assay-torture-count.") as cnt:
        normal = run_once(assay, shim, case, {"ASSAY_TORTURE_COUNT": cnt.name}, timeout)
        text = open(cnt.name).read().strip()
    if normal[4] or normal[0] == "hang" or (isinstance(normal[0], int) and normal[0] < 0):
        return 0, 0, ["normal run: %s %s" % (describe(normal[0]), "; ".join(normal[4]))]
    count = int(text or 0)
    ns = list(range(1, count + 1, stride))
    futures = {pool.submit(run_once, assay, shim, case,
                           {"ASSAY_TORTURE_FAIL": str(n)}, timeout): n for n in ns}
    failures = []
    for fut in cf.as_completed(futures):
        why = judge(normal, fut.result())
        if why:
            failures.append((futures[fut], why))
    failures.sort()
    return count, len(ns), ["n=%d: %s" % f for f in failures]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("assay")
    ap.add_argument("shim")
    ap.add_argument("cases_dir")
    ap.add_argument("cases", nargs="*", help="case folder names (default: all)")
    ap.add_argument("--extra", default="",
                    help="options put after `check` (unless the case sets -j), e.g. '-j 0'")
    ap.add_argument("--parallel", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--stride", type=int, default=1, help="test every STRIDE-th n only")
    ap.add_argument("--max-failures", type=int, default=20,
                    help="failures printed per case")
    o = ap.parse_intermixed_args()

    assay = os.path.abspath(o.assay)
    shim = os.path.abspath(o.shim)
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.realpath(os.path.join(here, "..", "..", "..", "shared"))
    shared = shared if os.path.isdir(shared) else ""
    names = o.cases or sorted(d for d in os.listdir(o.cases_dir)
                              if os.path.isfile(os.path.join(o.cases_dir, d, "cmd")))
    extra = o.extra.split()
    start = time.monotonic()
    total_runs = bad_cases = skipped = 0
    with cf.ThreadPoolExecutor(max_workers=max(1, o.parallel)) as pool:
        for name in names:
            path = os.path.join(o.cases_dir, name)
            try:
                case = Case(path, shared, extra)
            except LookupError as e:
                print("%-40s skipped: %s" % (name, e))
                skipped += 1
                continue
            except OSError as e:
                print("%-40s FAILED: %s" % (name, e))
                bad_cases += 1
                continue
            t0 = time.monotonic()
            count, runs, failures = torture_case(assay, shim, case, o.timeout, pool, o.stride)
            total_runs += runs
            state = "ok" if not failures else "FAILED (%d)" % len(failures)
            print("%-40s %6d allocations %6d runs %6.1fs  %s"
                  % (name, count, runs, time.monotonic() - t0, state), flush=True)
            for f in failures[:o.max_failures]:
                print("    " + f)
            if len(failures) > o.max_failures:
                print("    ... %d more" % (len(failures) - o.max_failures))
            bad_cases += bool(failures)
    print("%d cases, %d runs, %d failed, %d skipped, %.1fs"
          % (len(names), total_runs, bad_cases, skipped, time.monotonic() - start))
    return 1 if bad_cases else 0


if __name__ == "__main__":
    sys.exit(main())
