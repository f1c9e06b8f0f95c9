#!/usr/bin/env python3
"""Cost of interception, side by side in one run, on the same getppid loop.

Runs, interleaved and repeated (the median is kept):
  native      the loop alone
  ravel       ravel strace -e trace=getppid -o /dev/null   (every getppid traced, printed)
  count       ravel count -e trace=getppid                 (the interception layer alone)
  run         ravel run                                    (every getppid a scheduling step)
  strace      strace -f -e trace=getppid -o /dev/null
  unwatched   ravel count -e trace=openat                  (getppid not subscribed)
and reports the cost per traced syscall ((t - t_native) / N) and the ratios the project
targets: ravel/strace cost per traced syscall, unwatched/native total time.

Usage: bench/intercept_bench.py BUILD_DIR [--calls N] [--repeat R] [--markdown]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--calls", type=int, default=200000)
    ap.add_argument("--unwatched-calls", type=int, default=2000000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    ravel = os.path.join(args.build_dir, "cli", "ravel")
    loop = os.path.join(args.build_dir, "tests", "guests", "syscall_loop")
    strace = shutil.which("strace")
    n, m = str(args.calls), str(args.unwatched_calls)
    # syscall_loop N 0 quiet: N getppid calls, no opens, no output.
    variants = {
        "native": [loop, n, "0", "q"],
        "ravel strace": [ravel, "strace", "-e", "trace=getppid", "-o", "/dev/null", "--", loop, n, "0", "q"],
        "strace": [strace, "-f", "-e", "trace=getppid", "-o", "/dev/null", loop, n, "0", "q"],
        # In a second thread: before a guest's first clone the scheduler stops almost nothing.
        "ravel run": [ravel, "run", "--", loop, n, "0", "q", "thread"],
        "ravel count": [ravel, "count", "-e", "trace=getppid", "-o", "/dev/null", "--", loop, n, "0", "q"],
        "native (long)": [loop, m, "0", "q"],
        "unwatched": [ravel, "count", "-e", "trace=openat", "-o", "/dev/null", "--", loop, m, "0", "q"],
    }
    samples = {k: [] for k in variants}
    for _ in range(args.repeat):
        for name, cmd in variants.items():
            samples[name].append(timed(cmd))
    t = {k: statistics.median(v) for k, v in samples.items()}
    per_call = lambda name: (t[name] - t["native"]) / args.calls * 1e6
    ravel_us, strace_us = per_call("ravel strace"), per_call("strace")
    rows = [
        ("native", t["native"], "", ""),
        ("ravel strace -e trace=getppid", t["ravel strace"], f"{ravel_us:.1f}", ""),
        ("strace -f -e trace=getppid", t["strace"], f"{strace_us:.1f}", ""),
        ("ravel count -e trace=getppid (interception layer)", t["ravel count"], f"{per_call('ravel count'):.1f}", ""),
        ("ravel run (scheduler: every getppid a scheduling step)", t["ravel run"], f"{per_call('ravel run'):.1f}", ""),
        (f"native, {args.unwatched_calls} calls", t["native (long)"], "", ""),
        ("ravel count -e trace=openat (getppid unwatched)", t["unwatched"], "", ""),
    ]
    ratio_traced = ravel_us / strace_us
    ratio_unwatched = t["unwatched"] / t["native (long)"]
    ratio_step = per_call("ravel run") / per_call("ravel count")
    if args.markdown:
        print(f"| workload | median wall time (s) | cost per traced getppid (us) |")
        print(f"|---|---|---|")
        for name, secs, us, _ in rows:
            print(f"| {name} | {secs:.3f} | {us} |")
        print()
        print(f"- ravel/strace cost per traced syscall: **{ratio_traced:.2f}x** (target <= 0.5x)")
        print(f"- unwatched/native total time: **{ratio_unwatched:.3f}x** (target <= 1.1x)")
        print(f"- scheduler step / interception-layer traced syscall: **{ratio_step:.2f}x** (target <= 1.5x)")
    else:
        for name, secs, us, _ in rows:
            print(f"{name:50s} {secs:8.3f} s  {us:>8s} us/call")
        print(f"ravel/strace cost per traced syscall: {ratio_traced:.2f}x (target <= 0.5x)")
        print(f"unwatched/native total time:          {ratio_unwatched:.3f}x (target <= 1.1x)")
        print(f"scheduler step / traced syscall:      {ratio_step:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
