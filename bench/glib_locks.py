#!/usr/bin/env python3
"""GLib's lock tests under `ravel run` against native, side by side in one run (#17).

Each selected test of Debian's libglib2.0-tests (installed-tests/glib) runs, in
alternation and --repeat times (the median is kept):
  native        the test binary alone
  ravel         `ravel run --seed S -- TEST` (the default preempt: the sync shim, the
                in-guest hand-off and the calls through the page)
  no-fast-path  the same with --no-fast-path (every yield and futex call a ptrace stop)
and the table gives each time, ravel's ratio to native, the steps, how many were made
without a stop (planned yields, markers and futex calls in a plan's turns, markers under a
lease, calls through the page), and whether the two ravel runs
had the same fingerprint (they must: the fast path changes stops, not decisions).

Every run has a real-time limit (--timeout) and runs in a session of its own, killed
whole when it ends or times out. Exit 1 when a run fails or the fingerprints differ.

  bench/glib_locks.py build                               # mutex, rec-mutex, rwlock, task
  bench/glib_locks.py build --tests mutex --repeat 3 --markdown
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

GLIB = "/usr/libexec/installed-tests/glib"


def run(cmd, timeout, env):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, "timeout"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything the run left behind
        except ProcessLookupError:
            pass
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        return None, f"exit {proc.returncode}: {err.strip().splitlines()[-1] if err.strip() else ''}"
    return elapsed, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--tests", default="mutex,rec-mutex,rwlock,task")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    ravel = os.path.join(args.build_dir, "cli", "ravel")
    if not os.access(ravel, os.X_OK):
        sys.exit(f"no ravel binary at {ravel}")
    if not os.path.isdir(GLIB):
        sys.exit(f"{GLIB} not found: apt-get install libglib2.0-tests")
    env = dict(os.environ, G_TEST_SRCDIR=GLIB, G_TEST_BUILDDIR=GLIB)
    scratch = tempfile.mkdtemp(prefix="glib_locks.")
    rows, bad = [], False
    for test in args.tests.split(","):
        binary = os.path.join(GLIB, test)
        times = {"native": [], "ravel": [], "no-fast-path": []}
        info = {}
        for _ in range(args.repeat):
            for variant in times:
                cmd = [binary]
                if variant != "native":
                    out = os.path.join(scratch, f"{test}.{variant}.json")
                    cmd = [ravel, "run", "--seed", str(args.seed), "--json", out]
                    cmd += ["--no-fast-path"] if variant == "no-fast-path" else []
                    cmd += ["--", binary]
                elapsed, why = run(cmd, args.timeout, env)
                if elapsed is None:
                    print(f"{test} {variant}: {why}", file=sys.stderr)
                    bad = True
                    continue
                times[variant].append(elapsed)
                if variant != "native":
                    with open(out) as f:
                        info[variant] = json.load(f)
        med = {k: statistics.median(v) if v else None for k, v in times.items()}
        on, off = info.get("ravel", {}), info.get("no-fast-path", {})
        same = on.get("fingerprint") is not None and on.get("fingerprint") == off.get("fingerprint")
        bad |= not same
        rows.append((test, med, on, same))
    header = ["test", "native s", "ravel s", "x native", "--no-fast-path s", "x native", "steps",
              "planned", "planned markers", "planned futex", "leased", "through page", "same fingerprint"]
    lines = []
    for test, med, on, same in rows:
        def ratio(v):
            return f"{v / med['native']:.1f}" if v and med["native"] else "-"
        def sec(v):
            return f"{v:.2f}" if v else "-"
        lines.append([test, sec(med["native"]), sec(med["ravel"]), ratio(med["ravel"]), sec(med["no-fast-path"]),
                      ratio(med["no-fast-path"]), str(on.get("steps", "-")), str(on.get("planned_points", "-")),
                      str(on.get("planned_markers", "-")), str(on.get("planned_futex", "-")),
                      str(on.get("leased_points", "-")),
                      str(on.get("page_calls", "-")), "yes" if same else "NO"])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
        for line in lines:
            print("  ".join(c.ljust(w) for c, w in zip(line, widths)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
