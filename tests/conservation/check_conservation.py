#!/usr/bin/env python3
"""Conservation on generated data (issue: the gate, point 5).

gen_orders.py --manifest-rows lists the record numbers of every injected fault.
With orders.core.rules.json the quarantine must hold exactly the faulty records
except kinds impossible_date and unparseable_date (dates are plain strings
there), byte-identical to their input bytes, the output everything else; with
clean: ["trim"] added on the padded fields the whitespace_padding records pass,
cleaned; and with the full orders.rules.json (dates checked strictly) the
quarantine holds exactly the faulty records of all 11 kinds, each with exactly
one violation.

Then conservation under attack (hostile.py): a corpus of malformed inputs
in every format and seeded random mutations of small valid files, for -j 0 and
-j 2 (ASSAY_CONSERVE_MUTANTS mutations per format, default 100; the seed is
ASSAY_CONSERVE_SEED, default 1). Files in corpus/ are replayed too.

usage: check_conservation.py ASSAY SHARED_DIR WORK_DIR [ROWS]
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402

NOT_CAUGHT = {"impossible_date", "unparseable_date"}


def split_records(data):
    """Raw byte spans of CSV records (quote-aware, LF/CRLF terminated)."""
    out, start, i, n, inq = [], 0, 0, len(data), False
    at_field_start = True
    while i < n:
        c = data[i]
        if inq:
            if c == 0x22:
                if i + 1 < n and data[i + 1] == 0x22:
                    i += 1
                else:
                    inq = False
        elif c == 0x22 and at_field_start:
            inq = True
        elif c == 0x0A:
            out.append(data[start:i + 1])
            start = i + 1
            at_field_start = True
            i += 1
            continue
        at_field_start = (not inq) and c == 0x2C
        i += 1
    if start < n:
        out.append(data[start:])
    return out


def run(assay, rules, src, work, tag):
    good = os.path.join(work, tag + ".good.csv")
    bad = os.path.join(work, tag + ".bad.csv")
    errs = os.path.join(work, tag + ".errors.ndjson")
    stats = os.path.join(work, tag + ".stats.json")
    rc = subprocess.run([assay, "check", "-r", rules, "-o", good, "-q", bad, "-e", errs,
                         "-s", stats, "--quiet", src]).returncode
    with open(good, "rb") as f:
        g = f.read()
    with open(bad, "rb") as f:
        b = f.read()
    with open(stats) as f:
        s = json.load(f)
    return rc, g, b, s


def main():
    assay, work = sys.argv[1], sys.argv[3]
    here = os.path.dirname(os.path.abspath(__file__))
    hwork = os.path.join(work, "hostile")
    os.makedirs(hwork, exist_ok=True)
    n, failed = hostile.run_all(assay, hwork, os.path.join(here, "corpus"),
                                int(os.environ.get("ASSAY_CONSERVE_MUTANTS", "100")),
                                int(os.environ.get("ASSAY_CONSERVE_SEED", "1")), print)
    gen = generated()
    if gen is None:
        print("generated data skipped: it needs ../shared beside the repository")
        gen = (0, 0)
    passed, fails = n - len(failed) + gen[0], len(failed) + gen[1]
    print(f"{passed} passed, {fails} failed")
    return 1 if fails else 0


def generated():
    """The generated-data checks: (passed, failed), None without ../shared."""
    assay, shared, work = sys.argv[1], sys.argv[2], sys.argv[3]
    if not os.path.exists(os.path.join(shared, "bench", "gen_orders.py")):
        return None
    rows = sys.argv[4] if len(sys.argv) > 4 else "100000"
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "orders.csv")
    man = os.path.join(work, "manifest.json")
    with open(src, "wb") as f:
        subprocess.run([sys.executable, os.path.join(shared, "bench", "gen_orders.py"),
                        "--rows", rows, "--seed", "1", "--manifest", man,
                        "--manifest-rows"], stdout=f, check=True)
    manifest = json.load(open(man))
    data = open(src, "rb").read()
    recs = split_records(data)
    header, body = recs[0], recs[1:]
    assert len(body) == int(rows), (len(body), rows)
    fails = 0

    def expect(tag, rules, caught):
        nonlocal fails
        rc, good, bad, stats = run(assay, rules, src, work, tag)
        exp_bad = header + b"".join(body[r - 1] for r in sorted(caught))
        exp_good_n = int(rows) - len(caught)
        r = stats["records"]
        ok = bad == exp_bad and r["quarantined"] == len(caught) and \
            r["passed"] == exp_good_n and r["read"] == r["passed"] + r["quarantined"]
        print(f"{tag}: exit {rc}, read {r['read']}, passed {r['passed']}, "
              f"quarantined {r['quarantined']} (expected {len(caught)}), "
              f"quarantine byte-exact: {bad == exp_bad}")
        if not ok:
            fails += 1
            got = set()
            # which records differ: compare sets through the errors file
            for line in open(os.path.join(work, tag + ".errors.ndjson")):
                got.add(json.loads(line)["record"])
            print("  unexpected:", sorted(got - caught)[:20], "missed:", sorted(caught - got)[:20])
        return good, stats

    kinds = manifest["fault_rows"]
    caught = {r for k, v in kinds.items() if k not in NOT_CAUGHT for r in v}
    good, _ = expect("core", os.path.join(shared, "bench", "orders.core.rules.json"), caught)
    exp_good = header + b"".join(b for i, b in enumerate(body, 1) if i not in caught)
    if good != exp_good:
        fails += 1
        print("core: the output is not the passing records' input bytes")

    rules = json.load(open(os.path.join(shared, "bench", "orders.core.rules.json")))
    padded = {"order_id", "customer_email", "country", "status", "zip", "amount",
              "quantity"}  # the generator's PAD_TARGETS
    for f in rules["fields"]:
        if f["name"] in padded:
            f["clean"] = ["trim"]
    trimmed = os.path.join(work, "trim.rules.json")
    json.dump(rules, open(trimmed, "w"))
    caught_trim = caught - set(kinds["whitespace_padding"])
    _, stats = expect("trim", trimmed, caught_trim)
    if stats["records"]["cleaned"] != len(kinds["whitespace_padding"]):
        fails += 1
        print("trim: records.cleaned", stats["records"]["cleaned"], "expected",
              len(kinds["whitespace_padding"]))
    caught_all = {r for v in kinds.values() for r in v}
    expect("full", os.path.join(shared, "bench", "orders.rules.json"), caught_all)
    nerr = sum(1 for _ in open(os.path.join(work, "full.errors.ndjson")))
    if nerr != len(caught_all):
        fails += 1
        print("full: %d violations for %d faulty records" % (nerr, len(caught_all)))
    print(f"generated data: {3 - min(fails, 3)} passed, {min(fails, 3)} failed")
    return 3 - min(fails, 3), min(fails, 3)


if __name__ == "__main__":
    sys.exit(main())
