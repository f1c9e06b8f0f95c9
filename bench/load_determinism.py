#!/usr/bin/env python3
"""Determinism under load: one seed, many runs, while other processes burn the CPUs.

Runs each chosen GLib installed test (see realworld.py) --runs times under
`ravel run --seed S` while --burners processes spin, and counts the distinct
fingerprints and outcomes. A seed's run must not depend on how loaded the machine is:
every test should show one fingerprint. Prints a Markdown table.

  bench/load_determinism.py --ravel build/cli/ravel --tests once,thread,asyncqueue --runs 20
"""
import argparse
import collections
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realworld  # noqa: E402  (discover(): the installed tests and their command lines)

FINGERPRINT = re.compile(r"^ravel: (\S+(?:\([^)]*\))?) steps=(\d+) threads=\d+ fingerprint=([0-9a-f]{16})", re.M)


def burn():
    while True:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ravel", required=True)
    ap.add_argument("--tests", required=True, help="comma-separated GLib installed test names")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--strategy", default="pct")
    ap.add_argument("--preempt", default=None, help="passed to ravel run (default: ravel's own)")
    ap.add_argument("--burners", type=int, default=1, help="CPU-burning processes beside the runs")
    ap.add_argument("--timeout", type=int, default=300, help="ravel --timeout per run")
    args = ap.parse_args()
    args.ravel = os.path.abspath(args.ravel)  # (runs start in a scratch directory)

    if not os.path.isdir(realworld.TESTS_META):
        raise SystemExit(f"load_determinism: {realworld.PACKAGE} is not installed (scripts/bootstrap realworld)")
    tests = realworld.discover()
    names = args.tests.split(",")
    unknown = [n for n in names if n not in tests]
    if unknown:
        raise SystemExit(f"load_determinism: no such GLib installed test: {', '.join(unknown)}")

    burners = [multiprocessing.Process(target=burn, daemon=True) for _ in range(args.burners)]
    for b in burners:
        b.start()
    rows = []
    try:
        for name in names:
            seen = collections.Counter()
            steps = set()
            start = time.time()
            for i in range(args.runs):
                cmd = [args.ravel, "run", "--seed", args.seed, "--strategy", args.strategy,
                       "--timeout", str(args.timeout)] + (["--preempt", args.preempt] if args.preempt else []) + \
                    ["--"] + tests[name]
                bindir = os.path.dirname(tests[name][0])
                env = dict(os.environ, G_TEST_SRCDIR=bindir, G_TEST_BUILDDIR=bindir)  # as realworld.py
                with tempfile.TemporaryDirectory(prefix=f"load-{name}-") as cwd:
                    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                       cwd=cwd, env=env, stdin=subprocess.DEVNULL)
                m = FINGERPRINT.search(p.stderr)
                key = (m.group(1), m.group(3)) if m else ("no summary", "-")
                if m:
                    steps.add(int(m.group(2)))
                seen[key] += 1
            took = time.time() - start
            outcomes = ", ".join(f"{o} x{n}" for (o, _), n in sorted(seen.items()))
            rows.append((name, len(seen), outcomes, min(steps) if steps else 0, max(steps) if steps else 0,
                         took / args.runs))
            print(f"load_determinism: {name}: {len(seen)} fingerprint(s) in {args.runs} runs ({outcomes})",
                  file=sys.stderr, flush=True)
    finally:
        for b in burners:
            b.terminate()
    print(f"| test | runs | fingerprints | outcomes | steps (min-max) | s per run |")
    print(f"|---|---|---|---|---|---|")
    for name, n, outcomes, lo, hi, per in rows:
        print(f"| {name} | {args.runs} | {n} | {outcomes} | {lo}-{hi} | {per:.2f} |")
    return 0 if all(n == 1 for _, n, *_ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
