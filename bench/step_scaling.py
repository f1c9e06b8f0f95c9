#!/usr/bin/env python3
"""Cost per scheduling step against the number of threads, and the hand-off floor.

The guest is bench/guests/yields.c (built here with gcc -O2 -pthread into a scratch
directory). Side by side in one run, interleaved and repeated (the median is kept):
  floor        two threads pinned to one CPU hand a turn back and forth with a futex wake
               and wait (`yields pingpong N`): the cost of one hand-off, natively
  N threads    `ravel run --preempt syscall -- yields yields N TOTAL`: N threads call
               sched_yield TOTAL/N times each, every call a scheduling step
Each ravel variant is timed with TOTAL and with 0 calls, so that start-up, thread creation
and the joins cancel out: cost per step = (t(TOTAL) - t(0)) / (steps(TOTAL) - steps(0)),
the steps taken from ravel's summary line.

Usage: bench/step_scaling.py BUILD_DIR [--threads 2,8,32,128,512] [--total 64000]
                                       [--repeat 3] [--markdown]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    steps = re.search(r"steps=(\d+)", proc.stderr)
    return elapsed, int(steps.group(1)) if steps else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--threads", default="2,8,32,128,512")
    ap.add_argument("--total", type=int, default=64000)
    ap.add_argument("--handoffs", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    ravel = os.path.join(args.build_dir, "cli", "ravel")
    scratch = tempfile.mkdtemp(prefix="ravel-step-scaling-")
    guest = os.path.join(scratch, "yields")
    subprocess.run(["gcc", "-O2", "-pthread", os.path.join(HERE, "guests", "yields.c"), "-o", guest], check=True)
    counts = [int(n) for n in args.threads.split(",")]
    floor = []
    per_step = {n: [] for n in counts}
    steps_seen = {}
    for r in range(args.repeat):
        t, _ = timed([guest, "pingpong", str(args.handoffs)])
        floor.append(t / args.handoffs * 1e6)
        for n in (counts if r % 2 == 0 else list(reversed(counts))):
            prefix = [ravel, "run", "--preempt", "syscall", "--"]
            full, full_steps = timed(prefix + [guest, "yields", str(n), str(args.total)])
            base, base_steps = timed(prefix + [guest, "yields", str(n), "0"])
            per_step[n].append((full - base) / max(1, full_steps - base_steps) * 1e6)
            steps_seen[n] = full_steps - base_steps
    floor_us = statistics.median(floor)
    first = statistics.median(per_step[counts[0]])
    rows = [(n, steps_seen[n], statistics.median(per_step[n])) for n in counts]
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    if args.markdown:
        print(f"`python3 bench/step_scaling.py BUILD --threads {args.threads} --total {args.total} "
              f"--repeat {args.repeat} --markdown`; {cpu}, {os.cpu_count()} CPUs\n")
        print(f"Floor (futex ping-pong on one CPU): **{floor_us:.2f} us** per hand-off.\n")
        print(f"| threads | steps | us per step | vs {counts[0]} threads | vs floor |")
        print("|---|---|---|---|---|")
        for n, steps, us in rows:
            print(f"| {n} | {steps} | {us:.2f} | {us / first:.2f}x | {us / floor_us:.1f}x |")
    else:
        print(f"floor: {floor_us:.2f} us per hand-off")
        for n, steps, us in rows:
            print(f"{n:5d} threads: {us:6.2f} us per step ({steps} steps), {us / first:.2f}x of {counts[0]} threads, "
                  f"{us / floor_us:.1f}x the floor")


if __name__ == "__main__":
    main()
