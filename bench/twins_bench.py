#!/usr/bin/env python3
"""Wall time of each correct corpus twin natively and under `ravel run`, side by side.

Usage: bench/twins_bench.py BUILD_DIR [--repeat R] [--markdown]
"""
import argparse
import csv
import os
import statistics
import subprocess
import time


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    corpus = os.path.join(args.build_dir, "corpora")
    ravel = os.path.join(args.build_dir, "cli", "ravel")
    with open(os.path.join(corpus, "MANIFEST.tsv")) as f:
        twins = [row["name"] for row in csv.DictReader(f, delimiter="\t")
                 if row["expected"] == "pass" and ":" not in row["name"]]
    rows = []
    for name in twins:
        prog = os.path.join(corpus, name)
        native, traced = [], []
        for seed in range(1, args.repeat + 1):
            native.append(timed([prog]))
            traced.append(timed([ravel, "run", "--seed", str(seed), "--", prog]))
        n, r = statistics.median(native), statistics.median(traced)
        rows.append((name, n, r, r / n))
    if args.markdown:
        print("| twin | native (ms) | ravel run (ms) | ratio |")
        print("|---|---|---|---|")
        for name, n, r, ratio in rows:
            print(f"| {name} | {n*1e3:.1f} | {r*1e3:.1f} | {ratio:.1f}x |")
        print(f"\nmedian ratio: **{statistics.median(x[3] for x in rows):.1f}x**")
    else:
        for name, n, r, ratio in rows:
            print(f"{name:35s} {n*1e3:8.1f} ms {r*1e3:8.1f} ms {ratio:6.1f}x")


if __name__ == "__main__":
    main()
