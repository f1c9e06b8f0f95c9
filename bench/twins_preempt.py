#!/usr/bin/env python3
"""Correct programs never fail, whatever the scheduling points: every corpus entry expected
to pass, under `ravel stress --runs N --keep-going` for every --preempt combination (the
subsets of sync, time, atomic; pct), and random with all three. A failure is printed
loudly and makes the exit status 1.

Usage: bench/twins_preempt.py [BUILD_DIR] [--runs N] [--out FILE]
  --out FILE  also write the section "## Correct programs with every --preempt (bench/twins_preempt.py)"
"""
import argparse
import csv
import datetime
import itertools
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bugfind import build_note, command_for, machine_note, write_section  # noqa: E402

HEADING = "## Correct programs with every --preempt (bench/twins_preempt.py)"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default=os.path.join(REPO, "build"))
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--out")
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    ravel = os.path.join(build, "cli", "ravel")
    with open(os.path.join(REPO, "corpora", "MANIFEST.tsv")) as f:
        twins = [row["name"] for row in csv.DictReader(f, delimiter="\t") if row["expected"] == "pass"]
    combos = []
    for k in range(0, 4):
        for c in itertools.combinations(["sync", "time", "atomic"], k):
            combos.append(("pct", ",".join(("syscall",) + c)))
    combos.append(("random", "syscall,sync,time,atomic"))
    start = time.monotonic()
    results = {}
    failures = []
    with tempfile.TemporaryDirectory(prefix="ravel-twins-") as scratch:
        for strategy, preempt in combos:
            total_failed = total = 0
            for name in twins:
                js = os.path.join(scratch, "s.json")
                argv = [ravel, "stress", "--runs", str(args.runs), "--keep-going", "--strategy", strategy,
                        "--preempt", preempt, "--json", js, "--artifacts", os.path.join(scratch, "a"), "--",
                        *command_for(build, name)]
                p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=scratch)
                if p.returncode not in (0, 1):
                    sys.exit(f"twins_preempt: {shlex.join(argv)} exited {p.returncode}: {p.stderr[-400:]}")
                rep = json.load(open(js))["reports"][0]
                total += rep["schedules"]
                total_failed += rep["failed"]
                if rep["failed"]:
                    failures.append(f"{name} --strategy {strategy} --preempt {preempt}: {rep['failed']} failed: "
                                    + "; ".join(f["signature"] for f in rep["failures"]))
                    print(f"FAILED: {failures[-1]}", file=sys.stderr, flush=True)
            results[(strategy, preempt)] = (total, total_failed)
            print(f"[{time.monotonic() - start:6.0f}s] {strategy} --preempt {preempt}: {total} schedules, "
                  f"{total_failed} failed", file=sys.stderr, flush=True)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [HEADING, "", "Command (after `make`):", "", f"    python3 bench/twins_preempt.py {shlex.join(sys.argv[1:])}",
             "", f"Run {date}, {(time.monotonic() - start) / 60:.1f} min; {build_note(build)}; {machine_note()}. "
             f"Each of the {len(twins)} manifest entries expected to pass, {args.runs} seeds per row: "
             f"`ravel stress --runs {args.runs} --keep-going --strategy S --preempt LIST`.", "",
             "| strategy | --preempt | schedules | failed |", "|---|---|---|---|"]
    for (strategy, preempt), (total, failed) in results.items():
        lines.append(f"| {strategy} | {preempt} | {total} | {failed} |")
    lines.append("")
    if failures:
        lines += ["Failures:", ""] + [f"- {f}" for f in failures] + [""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        write_section(args.out, text, HEADING)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
