#!/usr/bin/env python3
"""Schedules per second of `ravel stress` against native runs per second, side by side.

The guest is bench/guests/two_threads.c (main and one thread add to a counter under a
mutex; built here with gcc -O1 -pthread into a scratch directory), or --guest PROGRAM.
The native baseline is bench/guests/spawn_loop.c (built with gcc -O2): posix_spawn and
wait in a C loop, the guest's stdio on /dev/null, 1 run at a time or 2 at a time, so no
Python start-up is counted. For context the same is measured with /bin/true as guest.

Each round runs every variant once, in an order that alternates between rounds (forward,
then backward) to spread the machine's noise; the median over the rounds is kept:
  native  P=1, P=2                      spawn_loop N P GUEST
  ravel   random, pct, surw  x  --jobs 1, 2   ravel stress --runs S --keep-going --jobs J -- GUEST
          (ravel's default --preempt, syscall,sync,time,atomic; random also with
          --preempt syscall,time, the points of the old default)
ravel's rate is schedules_per_second from its --json summary (schedules / stress's
elapsed time, which includes starting its workers and, for pct, the round-robin run that
measures k); the wall time of the whole `ravel stress` command is reported too.

The target: ravel --jobs J at least 0.5x native with J at a time.

Usage: bench/stress_throughput.py [BUILD_DIR] [--rounds R] [--native-runs N]
                                  [--schedules S] [--guest PROGRAM] [--out FILE]
  --out FILE    also write the section "## Stress throughput (bench/stress_throughput.py)"
                into FILE (bench/RESULTS.md), replacing that section if present
"""
import argparse
import datetime
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no bench/__pycache__ from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bugfind import build_note, machine_note, write_section  # noqa: E402

HEADING = "## Stress throughput (bench/stress_throughput.py)"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def build(scratch):
    guest = os.path.join(scratch, "two_threads")
    loop = os.path.join(scratch, "spawn_loop")
    subprocess.run(["gcc", "-O1", "-pthread", "-o", guest, os.path.join(HERE, "guests", "two_threads.c")],
                   check=True)
    subprocess.run(["gcc", "-O2", "-o", loop, os.path.join(HERE, "guests", "spawn_loop.c")], check=True)
    return guest, loop


def native(loop, guest, runs, parallel):
    out = subprocess.run([loop, str(runs), str(parallel), guest], check=True, capture_output=True,
                         text=True).stdout.split()
    n, failed, secs = int(out[0]), int(out[1]), float(out[2])
    if failed:
        sys.exit(f"stress_throughput: {guest} failed {failed} of {n} native runs")
    return n / secs


def ravel_stress(ravel, guest, strategy, jobs, schedules, scratch, extra=()):
    js = os.path.join(scratch, "stress.json")
    argv = [ravel, "stress", "--runs", str(schedules), "--strategy", strategy, "--jobs", str(jobs),
            "--keep-going", "--json", js, "--artifacts", os.path.join(scratch, "artifacts"), *extra, "--", guest]
    start = time.perf_counter()
    p = subprocess.run(argv, cwd=scratch, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"stress_throughput: {shlex.join(argv)} exited {p.returncode}: {p.stderr[-500:]}")
    with open(js) as f:
        rep = json.load(f)["reports"][0]
    if rep["failed"] or rep["schedules"] != schedules:
        sys.exit(f"stress_throughput: {shlex.join(argv)}: {rep['failed']} failed, {rep['schedules']} run")
    return rep["schedules_per_second"], schedules / wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default=os.path.join(REPO, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--native-runs", type=int, default=2000, help="native runs per variant and round")
    ap.add_argument("--schedules", type=int, default=200, help="ravel schedules per variant and round")
    ap.add_argument("--guest", help="guest program instead of bench/guests/two_threads.c")
    ap.add_argument("--out", help="write the section into this markdown file (e.g. bench/RESULTS.md)")
    args = ap.parse_args()

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_note()
    ravel_build = build_note(os.path.abspath(args.build_dir))
    scratch = tempfile.mkdtemp(prefix="ravel-throughput-")
    try:
        ravel = os.path.join(scratch, "ravel")  # a copy: build/cli/ravel may be relinked meanwhile
        shutil.copy2(os.path.join(os.path.abspath(args.build_dir), "cli", "ravel"), ravel)
        guest, loop = build(scratch)
        if args.guest:
            guest = os.path.abspath(args.guest)
        true = "/bin/true" if os.path.exists("/bin/true") else shutil.which("true")
        guests = {"two_threads" if not args.guest else os.path.basename(guest): guest, "/bin/true": true}
        variants = []
        for gname, gpath in guests.items():
            for p in (1, 2):
                variants.append((gname, f"native P={p}", lambda g=gpath, p=p: (native(loop, g, args.native_runs, p),) * 2))
            strategies = ("random", "pct", "surw") if gname != "/bin/true" else ("random",)
            for strat in strategies:
                for j in (1, 2):
                    variants.append((gname, f"ravel {strat} --jobs {j}",
                                     lambda g=gpath, s=strat, j=j: ravel_stress(ravel, g, s, j, args.schedules, scratch)))
            if gname != "/bin/true":
                # With the old default points (no sync or atomic points): what the default's
                # finer points cost.
                for j in (1, 2):
                    variants.append((gname, f"ravel random --jobs {j} --preempt syscall,time",
                                     lambda g=gpath, j=j: ravel_stress(ravel, g, "random", j, args.schedules, scratch,
                                                                       ("--preempt", "syscall,time"))))
                # Without the fork server (each schedule spawns and execs the guest), for
                # what the fork server is worth.
                for j in (1, 2):
                    variants.append((gname, f"ravel random --jobs {j} --spawn-each",
                                     lambda g=gpath, j=j: ravel_stress(ravel, g, "random", j, args.schedules, scratch,
                                                                       ("--spawn-each",))))
        samples = {(g, v): [] for g, v, _ in variants}
        walls = {(g, v): [] for g, v, _ in variants}
        t0 = time.monotonic()
        for r in range(args.rounds):
            order = variants if r % 2 == 0 else list(reversed(variants))
            for g, v, fn in order:
                rate, wall_rate = fn()
                samples[(g, v)].append(rate)
                walls[(g, v)].append(wall_rate)
            print(f"[{time.monotonic() - t0:6.1f}s] round {r + 1}/{args.rounds}: " + ", ".join(
                f"{g} {v} {samples[(g, v)][-1]:.1f}/s" for g, v, _ in variants), file=sys.stderr, flush=True)
        med = {k: statistics.median(v) for k, v in samples.items()}
        wmed = {k: statistics.median(v) for k, v in walls.items()}
        load_end = os.getloadavg()[0]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    cmdline = "python3 bench/stress_throughput.py " + shlex.join(sys.argv[1:])
    lines = [HEADING, "", "Command (after `make`):", "", f"    {cmdline}", "",
             f"Run {date}; {ravel_build}; {machine}, {load_end:.1f} at the end. Median of {args.rounds} rounds, the "
             "variants alternating in order between rounds. Guest `two_threads`: bench/guests/two_threads.c "
             "(main and one thread add to a counter under a mutex; gcc -O1 -pthread). Native: "
             f"bench/guests/spawn_loop.c, posix_spawn + wait in a C loop, {args.native_runs} runs per "
             f"sample, P at a time. ravel: `ravel stress --runs {args.schedules} --strategy S --jobs J "
             "--keep-going`; rate = `schedules_per_second` of its JSON (its elapsed time includes starting "
             "the workers and, for pct, the round-robin run measuring k); \"wall\" = schedules / wall time "
             "of the whole command.", "",
             "| guest | runner | runs or schedules/s | wall (/s) | ratio to native, same parallelism |",
             "|---|---|---|---|---|"]
    ratios = {}
    for g, v, _ in variants:
        rate = med[(g, v)]
        ratio = ""
        if v.startswith("ravel"):
            j = int(v.split("--jobs ")[1].split()[0])
            base = med[(g, f"native P={j}")]
            ratios[(g, v)] = rate / base
            ratio = f"{rate / base:.3f}x"
        wall = f"{wmed[(g, v)]:.1f}" if v.startswith("ravel") else ""
        lines.append(f"| {g} | {v} | {rate:.1f} | {wall} | {ratio} |")
    lines.append("")
    gname = next(iter(guests))
    for j in (1, 2):
        r = ratios[(gname, f"ravel random --jobs {j}")]
        lines.append(f"- ravel random --jobs {j} / native {j} at a time ({gname}): **{r:.3f}x** (target >= 0.5x)")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        write_section(args.out, text, HEADING)
        print(f"wrote section to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
