#!/usr/bin/env python3
"""Signals landing on the in-guest hand-off, under load: how often the watchdog has to move
the baton on.

Runs --streams streams in parallel (on a 2-CPU machine, 3 streams keep both CPUs busy);
each runs `ravel run --seed S -- yield_turns prof 3 1000000` for --seeds seeds: three
threads yield to each other while ITIMER_PROF sends SIGPROF every 50 us of CPU time (the
signals land anywhere, inside the shim's hand-off code too). A run counts as "watchdog"
when ravel noted a thread that held the baton asleep in the kernel for over 0.25 s
("blocked-in-kernel"): the run goes on, but the seed alone may no longer make it again.
A run counts as "failed" when it exits non-zero or the guest's sum is not "ok".

--shim names another libravel-sync.so (RAVEL_SYNC_LIBRARY), to compare shims with one
tracer. Exit 1 when a run failed or the watchdog fired.

  bench/signal_load.py build                    # 3 streams x 60 seeds
  bench/signal_load.py build --seeds 100 --streams 3 --shim /tmp/old/libravel-sync.so
"""
import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def stream(ravel, guest, seeds, env):
    watchdog, failed = [], []
    for seed in seeds:
        cmd = [ravel, "run", "--seed", str(seed), "--", guest, "prof", "3", "1000000"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, start_new_session=True)
        except subprocess.TimeoutExpired:
            failed.append(seed)
            continue
        if p.returncode != 0 or not p.stdout.startswith("sum ok"):
            failed.append(seed)
        if "blocked-in-kernel" in p.stderr:
            watchdog.append(seed)
    return watchdog, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--seeds", type=int, default=60, help="seeds per stream")
    ap.add_argument("--streams", type=int, default=3)
    ap.add_argument("--shim", help="another libravel-sync.so")
    args = ap.parse_args()
    ravel = os.path.join(args.build_dir, "cli", "ravel")
    guest = os.path.join(args.build_dir, "tests", "guests", "yield_turns")
    for path in (ravel, guest):
        if not os.access(path, os.X_OK):
            sys.exit(f"signal_load.py: {path} is not built")
    env = dict(os.environ)
    if args.shim:
        env["RAVEL_SYNC_LIBRARY"] = os.path.abspath(args.shim)
    with ThreadPoolExecutor(args.streams) as pool:
        results = list(pool.map(lambda i: stream(ravel, guest, range(i * 1000 + 1, i * 1000 + 1 + args.seeds), env),
                                range(args.streams)))
    runs = args.streams * args.seeds
    watchdog = sorted(s for w, _ in results for s in w)
    failed = sorted(s for _, f in results for s in f)
    print(f"runs {runs}  watchdog {len(watchdog)}  failed {len(failed)}")
    if watchdog:
        print("watchdog seeds:", " ".join(map(str, watchdog)))
    if failed:
        print("failed seeds:", " ".join(map(str, failed)))
    return 1 if watchdog or failed else 0


if __name__ == "__main__":
    sys.exit(main())
