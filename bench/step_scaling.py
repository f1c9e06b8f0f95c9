#!/usr/bin/env python3
"""Cost per scheduling step against the number of threads, and the hand-off floor.

The guest is bench/guests/yields.c (built here with gcc -O2 -pthread into a scratch
directory). Side by side in one run, interleaved and repeated (the median is kept):
  floor        two threads pinned to one CPU hand a turn back and forth with a futex wake
               and wait (`yields pingpong N`): the cost of one hand-off, natively
  N threads    `ravel run [--preempt P] -- yields yields N TOTAL`: N threads call
               sched_yield TOTAL/N times each, every call a scheduling step (by default
               with ravel's default preempt, which preloads the sync shim: yields hand
               the CPU on in the guest; `--preempt syscall` measures the ptrace path)
  ring at N    the floor at N threads: N threads pinned to one CPU natively hand a turn
               round a ring, each with a futex wake of the next and a wait on its own word
               (`yields ring N HANDOFFS` bound to the first CPU ravel may use; at N = 2 it is
               the ping-pong). What the kernel's own hand-off costs with that many threads:
               a thread whose turn comes after N - 1 others finds its stack and kernel
               state cold, and no scheduler hands the CPU on faster than the kernel does
Each ravel variant is timed with TOTAL and with 0 calls, so that start-up, thread creation
and the joins cancel out: cost per step = (t(TOTAL) - t(0)) / (steps(TOTAL) - steps(0)),
the steps taken from ravel's summary line.

With --baseline RAVEL (another build's ravel binary), each variant runs with both, in
alternation, and the table has a column for each; --no-fast-path adds a column for this
build with --no-fast-path.

Usage: bench/step_scaling.py BUILD_DIR [--threads 2,8,32,128,512] [--total 64000]
                                       [--repeat 3] [--baseline RAVEL] [--no-fast-path]
                                       [--preempt P] [--markdown]
"""
import argparse
import atexit
import os
import re
import shutil
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


def ring_us(guest, threads, handoffs):
    cpu = min(os.sched_getaffinity(0))
    proc = subprocess.run([guest, "ring", str(threads), str(handoffs)], capture_output=True, text=True,
                          preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    found = re.search(r"([0-9.]+) us per hand-off", proc.stdout)
    if proc.returncode != 0 or not found:
        sys.exit(f"yields ring {threads} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return float(found.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--threads", default="2,8,32,128,512")
    ap.add_argument("--total", type=int, default=64000)
    ap.add_argument("--handoffs", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", help="another ravel binary, measured beside this build's")
    ap.add_argument("--no-fast-path", action="store_true", help="also this build with --no-fast-path")
    ap.add_argument("--preempt", help="ravel's --preempt (default: ravel's default)")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    ravel = os.path.join(args.build_dir, "cli", "ravel")
    options = ["--preempt", args.preempt] if args.preempt else []
    builds = {"this build": [ravel, "run"] + options}
    if args.no_fast_path:
        builds["--no-fast-path"] = [ravel, "run", "--no-fast-path"] + options
    if args.baseline:
        builds["baseline"] = [args.baseline, "run"] + options
    scratch = tempfile.mkdtemp(prefix="ravel-step-scaling-")
    atexit.register(shutil.rmtree, scratch, True)
    guest = os.path.join(scratch, "yields")
    subprocess.run(["gcc", "-O2", "-pthread", os.path.join(HERE, "guests", "yields.c"), "-o", guest], check=True)
    counts = [int(n) for n in args.threads.split(",")]
    floor = []
    ring = {n: [] for n in counts}
    per_step = {(b, n): [] for b in builds for n in counts}
    steps_seen = {}
    for r in range(args.repeat):
        t, _ = timed([guest, "pingpong", str(args.handoffs)])
        floor.append(t / args.handoffs * 1e6)
        for n in (counts if r % 2 == 0 else list(reversed(counts))):
            ring[n].append(ring_us(guest, max(n, 2), args.handoffs))
            for b, command in (builds.items() if (r + n) % 2 == 0 else reversed(list(builds.items()))):
                prefix = command + ["--"]
                full, full_steps = timed(prefix + [guest, "yields", str(n), str(args.total)])
                base, base_steps = timed(prefix + [guest, "yields", str(n), "0"])
                per_step[(b, n)].append((full - base) / max(1, full_steps - base_steps) * 1e6)
                steps_seen[n] = full_steps - base_steps
    floor_us = statistics.median(floor)
    us = {key: statistics.median(v) for key, v in per_step.items()}
    ring_floor = {n: statistics.median(v) for n, v in ring.items()}
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    names = list(builds)
    if args.markdown:
        flags = (f"{' --baseline B' if args.baseline else ''}{' --no-fast-path' if args.no_fast_path else ''}"
                 f"{' --preempt ' + args.preempt if args.preempt else ''}")
        print(f"`python3 bench/step_scaling.py BUILD --threads {args.threads} --total {args.total} "
              f"--repeat {args.repeat}{flags} --markdown`; {cpu}, {os.cpu_count()} CPUs\n")
        print(f"Floor (futex ping-pong on one CPU): **{floor_us:.2f} us** per hand-off.\n")
        head = " | ".join(f"{b}: us per step | vs {counts[0]} threads | vs floor | vs floor at N" for b in names)
        print(f"| threads | steps | floor at N (ring, one CPU): us per hand-off | vs {counts[0]} threads | {head} |")
        print("|---|---|---|---|" + "---|---|---|---|" * len(names))
        for n in counts:
            cells = " | ".join(f"{us[(b, n)]:.2f} | {us[(b, n)] / us[(b, counts[0])]:.2f}x | "
                               f"{us[(b, n)] / floor_us:.1f}x | {us[(b, n)] / ring_floor[n]:.2f}x" for b in names)
            print(f"| {n} | {steps_seen[n]} | {ring_floor[n]:.2f} | {ring_floor[n] / ring_floor[counts[0]]:.2f}x | {cells} |")
    else:
        print(f"floor: {floor_us:.2f} us per hand-off")
        for n in counts:
            cells = "; ".join(f"{b}: {us[(b, n)]:6.2f} us per step, {us[(b, n)] / us[(b, counts[0])]:.2f}x of "
                              f"{counts[0]} threads, {us[(b, n)] / floor_us:.1f}x the floor, "
                              f"{us[(b, n)] / ring_floor[n]:.2f}x the ring" for b in names)
            print(f"{n:5d} threads ({steps_seen[n]} steps): ring {ring_floor[n]:.2f} us "
                  f"({ring_floor[n] / ring_floor[counts[0]]:.2f}x of {counts[0]}); {cells}")

if __name__ == "__main__":
    main()
