#!/usr/bin/env python3
"""End to end: rules suggested by `assay profile --suggest` hold on the data
they were drawn from and catch the faults of other data.

  check_suggest.py ASSAY SHARED WORKDIR

  1. gen_orders.py --rows 20000 --seed 1 (5% faults) -> d1.csv;
     assay profile --suggest s1.rules.json d1.csv; assay lint: clean;
     assay check -r s1.rules.json d1.csv: every parsed record passes
     (quarantined == unparsed: only structurally broken records fail);
     on --seed 2 data the same rules quarantine records, among them every
     structurally broken one of the manifest (ragged rows, invalid UTF-8).
  2. The same from clean data (--faults 0, seed 1): nothing quarantined on
     it; on --seed 2 the rules catch most faults of the kinds value rules can
     see (a share per kind, printed, with floors asserted).
Exit 77 when SHARED has no bench/gen_orders.py or ASSAY has no profile."""
import json
import os
import subprocess
import sys

ROWS = 20000
# Kinds and the least share of their records the rules from clean data must
# quarantine on seed 2 (duplicate ids and e-mail shapes are not inferred;
# padding is caught only where a type, enum or pattern sees it).
FLOORS_CLEAN = {"empty_required": 0.95, "unparseable_date": 0.95, "impossible_date": 0.95,
                "bad_status": 0.95, "null_token": 0.6, "ragged_row": 1.0,
                "invalid_utf8": 1.0, "quantity_out_of_range": 0.5,
                "whitespace_padding": 0.5}
# Null tokens in the string columns without pattern (e-mail, a date read as
# text) are plain values. Date faults count only when the profile typed
# order_date as a date (the rules then hold its formats).
DATE_KINDS = ("impossible_date", "unparseable_date")
# From data holding the same kinds of faults the value rules are loose; what is
# structurally broken is caught regardless.
FLOORS_FAULTY = {"ragged_row": 1.0, "invalid_utf8": 1.0}


def run(cmd, ok=(0,), **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode not in ok:
        sys.exit("check_suggest: %s: exit %d\n%s%s" % (" ".join(cmd), p.returncode,
                                                       p.stdout, p.stderr))
    return p


def gen(shared, work, name, seed, faults=None):
    path = os.path.join(work, name + ".csv")
    man = os.path.join(work, name + ".manifest.json")
    cmd = [sys.executable, os.path.join(shared, "bench", "gen_orders.py"), "--rows",
           str(ROWS), "--seed", str(seed), "--manifest", man, "--manifest-rows"]
    if faults is not None:
        cmd += ["--faults", str(faults)]
    with open(path, "wb") as f:
        subprocess.run(cmd, stdout=f, check=True)
    return path, json.load(open(man))


def check(assay, work, rules, data, tag):
    stats = os.path.join(work, tag + ".stats.json")
    errs = os.path.join(work, tag + ".errors.ndjson")
    run([assay, "check", "-r", rules, data, "-o", os.devnull, "-q",
         os.path.join(work, tag + ".quarantine.csv"), "-s", stats, "-e", errs, "--quiet"],
        ok=(0, 1))
    st = json.load(open(stats))["records"]
    failed = set()
    with open(errs) as f:
        for line in f:
            e = json.loads(line)
            if e.get("severity", "error") == "error":
                failed.add(e["record"])
    return st, failed


def suggest(assay, work, data, tag):
    rules = os.path.join(work, tag + ".rules.json")
    run([assay, "profile", "--suggest", rules, data])
    p = run([assay, "lint", rules])
    out = p.stdout + p.stderr
    if "warning:" in out or "error:" in out or " 0 warnings" not in out:
        sys.exit("check_suggest: %s: lint is not clean:\n%s" % (rules, out))
    return rules


def coverage(manifest, failed, floors, label):
    bad = []
    for kind, rows in sorted(manifest["fault_rows"].items()):
        if not rows:
            continue
        got = sum(1 for r in rows if r in failed)
        share = got / len(rows)
        floor = floors.get(kind)
        mark = "" if floor is None else (" (floor %.2f)" % floor)
        print("check_suggest: %s: %-22s %4d of %4d caught (%.0f%%)%s"
              % (label, kind, got, len(rows), 100 * share, mark))
        if floor is not None and share < floor:
            bad.append("%s: %s: %.2f below %.2f" % (label, kind, share, floor))
    return bad


def main():
    assay, shared, work = sys.argv[1:4]
    if not os.path.exists(os.path.join(shared, "bench", "gen_orders.py")):
        print("check_suggest: no bench/gen_orders.py: skipped")
        return 77
    if subprocess.run([assay, "profile", "--help"], capture_output=True).returncode != 0:
        print("check_suggest: %s has no profile command: skipped" % assay)
        return 77
    os.makedirs(work, exist_ok=True)
    fails = []
    d1, m1 = gen(shared, work, "d1", 1)
    d2, m2 = gen(shared, work, "d2", 2)
    d0, _ = gen(shared, work, "d0", 1, faults=0)

    for tag, data, floors in (("s1", d1, FLOORS_FAULTY), ("s0", d0, FLOORS_CLEAN)):
        rules = suggest(assay, work, data, tag)
        st, _ = check(assay, work, rules, data, tag + "-self")
        print("check_suggest: %s on its own data: %s" % (tag, json.dumps(st)))
        if st["quarantined"] != st["unparsed"]:
            fails.append("%s: %d records quarantined on the data it came from, %d unparsed"
                         % (tag, st["quarantined"], st["unparsed"]))
        if st["read"] != ROWS:
            fails.append("%s: read %d records, want %d" % (tag, st["read"], ROWS))
        floors = dict(floors)
        od = [f for f in json.load(open(rules))["fields"] if f["name"] == "order_date"]
        if not od or od[0].get("type") != "date":
            print("check_suggest: %s: order_date was not inferred as a date: the date "
                  "faults are not asserted" % tag)
            for k in DATE_KINDS:
                floors.pop(k, None)
        st2, failed = check(assay, work, rules, d2, tag + "-seed2")
        print("check_suggest: %s on seed 2: %s" % (tag, json.dumps(st2)))
        if st2["quarantined"] == 0:
            fails.append("%s: nothing quarantined on seed 2" % tag)
        fails += coverage(m2, failed, floors, tag)
        # A clean record of seed 2 quarantined by the rules of clean data would
        # mean a rule tighter than the data's own range: allowed by margins,
        # but counted.
        faulty = set(r for rows in m2["fault_rows"].values() for r in rows)
        extra = len(failed - faulty)
        print("check_suggest: %s: %d clean records of seed 2 quarantined" % (tag, extra))
    for f in fails:
        print("check_suggest: FAIL " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
