#!/usr/bin/env python3
"""What a sync point and an atomic point cost: `ravel run --preempt sync` and
`--preempt atomic` against `ravel run` and native.

The guests are bench/guests/lock_loop.c (a second thread locks and unlocks an uncontended
mutex N times) and bench/guests/atomic_loop.c (a second thread makes N atomic increments,
lock xadd), built here with gcc -O1 -pthread. Each variant runs the guest with N and
with 0 iterations, R rounds alternating in order; the cost of the loop is the median time
with N minus the median time with 0, divided by N: per lock+unlock pair. With sync points
a pair makes three marker stops (the lock's point, the acquisition report, the unlock's
point), two of them scheduling points; an atomic increment with atomic points is one
point: a trap at its int3, then one single-stepped instruction.

Usage: bench/sync_points.py [BUILD_DIR] [--n N] [--rounds R] [--out FILE]
  --out FILE  also write the section "## Sync points (bench/sync_points.py)" into FILE
"""
import argparse
import datetime
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bugfind import build_note, machine_note, write_section  # noqa: E402

HEADING = "## Sync and atomic points (bench/sync_points.py)"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def timed(argv):
    start = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"sync_points: {shlex.join(argv)} exited {p.returncode}: {p.stderr[-400:]}")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default=os.path.join(REPO, "build"))
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out")
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    scratch = tempfile.mkdtemp(prefix="ravel-sync-bench-")
    try:
        ravel = os.path.join(scratch, "ravel")
        shutil.copy2(os.path.join(build, "cli", "ravel"), ravel)
        guests = {}
        for name in ("lock_loop", "atomic_loop"):
            guests[name] = os.path.join(scratch, name)
            subprocess.run(["gcc", "-O1", "-pthread", "-o", guests[name], os.path.join(HERE, "guests", name + ".c")],
                           check=True)
        # (label, guest, ravel prefix)
        variants = {
            "lock_loop: native": ("lock_loop", []),
            "lock_loop: ravel run": ("lock_loop", [ravel, "run", "--"]),
            "lock_loop: ravel run --preempt sync": ("lock_loop", [ravel, "run", "--preempt", "sync", "--"]),
            "atomic_loop: native": ("atomic_loop", []),
            "atomic_loop: ravel run": ("atomic_loop", [ravel, "run", "--"]),
            "atomic_loop: ravel run --preempt atomic": ("atomic_loop", [ravel, "run", "--preempt", "atomic", "--"]),
        }
        times = {(v, n): [] for v in variants for n in (0, args.n)}
        for r in range(args.rounds):
            order = list(variants.items()) if r % 2 == 0 else list(reversed(variants.items()))
            for name, (guest, prefix) in order:
                for n in (0, args.n):
                    times[(name, n)].append(timed(prefix + [guests[guest], str(n)]))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    per_pair = {v: (statistics.median(times[(v, args.n)]) - statistics.median(times[(v, 0)])) / args.n * 1e6
                for v in variants}
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [HEADING, "", "Command (after `make`):", "",
             f"    python3 bench/sync_points.py {shlex.join(sys.argv[1:])}", "",
             f"Run {date}; {build_note(build)}; {machine_note()}, {load:.1f} at the end. "
             f"Guests: bench/guests/lock_loop.c (a second thread locks and unlocks an uncontended mutex "
             f"N={args.n} times) and bench/guests/atomic_loop.c (a second thread makes N atomic increments). "
             f"Cost per operation = (median time with N - median time with 0) / N, medians of {args.rounds} "
             "rounds. With --preempt sync a lock+unlock pair is three marker stops (two scheduling points and "
             "one acquisition report); with --preempt atomic an increment is one point (a trap at its int3, "
             "then the instruction single-stepped).", "",
             "| guest: runner | per operation (us) | per stop (us) |", "|---|---|---|"]
    for v in variants:
        stop = f"{per_pair[v] / 3:.1f}" if "sync" in v else ""
        lines.append(f"| {v} | {per_pair[v]:.2f} | {stop} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        write_section(args.out, text, HEADING)


if __name__ == "__main__":
    main()
