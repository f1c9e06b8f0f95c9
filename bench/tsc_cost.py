#!/usr/bin/env python3
"""Cost per trapped RDTSC and per CPUID answer, side by side in one run.

The guest is bench/guests/tsc_loop.c (built here with gcc -O2 -pthread into a scratch
directory): N reads of RDTSC, or N CPUID leaf-0 instructions, in the main thread or in a
second thread while main waits. Variants, interleaved and repeated (the median is kept):
  native             the loop alone
  rdtsc, main        ravel run: each read traps and reads the virtual TSC; no point (the
                     guest is one thread)
  rdtsc, thread      ravel run: each read traps and is a scheduling point ("rdtsc" step)
  cpuid, main        ravel run --virtual-cpu: each CPUID traps and is answered by the model
and, for each, the same command with N = 0, so that the start-up cost cancels out:
cost per instruction = (t(N) - t(0)) / N. Where RDTSC does not trap (PR_SET_TSC has no
effect) or CPUID does not fault, those variants are skipped and the reason printed.

Usage: bench/tsc_cost.py BUILD_DIR [--reads N] [--repeat R] [--markdown]
"""
import argparse
import os
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
    return elapsed, proc.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--reads", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    ravel = os.path.join(args.build_dir, "cli", "ravel")
    features = subprocess.run([os.path.join(args.build_dir, "tests", "machine_features")], capture_output=True,
                              text=True).stdout.strip()
    scratch = tempfile.mkdtemp(prefix="ravel-tsc-cost-")
    guest = os.path.join(scratch, "tsc_loop")
    subprocess.run(["gcc", "-O2", "-pthread", os.path.join(HERE, "guests", "tsc_loop.c"), "-o", guest], check=True)
    traps_rdtsc = "RDTSC traps: yes" in features
    faults_cpuid = "CPUID faulting: yes" in features
    n = str(args.reads)
    variants = {"native": ([], "rdtsc", "main")}
    skipped = []
    if traps_rdtsc:
        variants["rdtsc, main (trap, no point)"] = ([ravel, "run", "--"], "rdtsc", "main")
        variants["rdtsc, thread (trap and point)"] = ([ravel, "run", "--"], "rdtsc", "thread")
    else:
        skipped.append("RDTSC variants: RDTSC does not trap on this machine")
    if faults_cpuid:
        variants["cpuid, main (--virtual-cpu)"] = ([ravel, "run", "--virtual-cpu", "--"], "cpuid", "main")
    else:
        skipped.append("CPUID variant: this machine offers no CPUID faulting")
    samples = {k: [] for k in variants}
    for r in range(args.repeat):
        order = list(variants.items()) if r % 2 == 0 else list(reversed(variants.items()))
        for name, (prefix, what, where) in order:
            full, err = timed(prefix + [guest, n, what, where])
            base, _ = timed(prefix + [guest, "0", what, where])
            samples[name].append((full - base) / args.reads * 1e6)
    rows = [(name, statistics.median(v)) for name, v in samples.items()]
    if args.markdown:
        print(f"`python3 bench/tsc_cost.py BUILD --reads {args.reads} --repeat {args.repeat} --markdown`; "
              f"{features}\n")
        print("| variant | cost per instruction (us) |")
        print("|---|---|")
        for name, us in rows:
            print(f"| {name} | {us:.2f} |")
    else:
        print(features)
        for name, us in rows:
            print(f"{name:34s} {us:8.2f} us per instruction")
    for s in skipped:
        print(f"skipped: {s}")


if __name__ == "__main__":
    main()
