"""tests/case_files.py — what the golden-case runner (run_case.sh) and the
allocation torture (torture/check_torture.py) share: every file of a folder,
the names of assay's temporary files, and the masks for what changes from
run to run (durations, and with rates=True the rates derived from them)."""
import os
import re

LEFTOVER = re.compile(r"^\..*\.assay-|\.tmp")
TIMING = re.compile(rb'("timing"\s*:\s*)\{[^{}]*\}')
SECONDS = re.compile(rb'("seconds"\s*:\s*)-?[0-9][0-9.eE+-]*')
RATES = re.compile(rb'("(?:records_per_second|bytes_per_second)"\s*:\s*)-?[0-9][0-9.eE+-]*')
XML_TIME = re.compile(rb'(\stime=)"[^"]*"')  # JUnit reports
PROM_DURATION = re.compile(rb'(?m)^(assay_run_duration_seconds )\S+')  # metrics


def walk(top):
    """{path relative to top: bytes} for every file under top."""
    out = {}
    for d, _, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, top)] = fh.read()
    return out


def mask_times(data, rates=False):
    """data with its durations (and rates) replaced by <masked>."""
    data = TIMING.sub(rb'\1"<masked>"', data)
    data = SECONDS.sub(rb'\1"<masked>"', data)
    if rates:
        data = RATES.sub(rb'\1"<masked>"', data)
    data = XML_TIME.sub(rb'\1"<masked>"', data)
    return PROM_DURATION.sub(rb'\1<masked>', data)
