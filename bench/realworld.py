#!/usr/bin/env python3
"""Real-suite gate: GLib's own installed thread tests, natively and under ravel.

Each selected test of Debian's libglib2.0-tests runs
  (a) natively: verdict and wall time;
  (b) under `ravel run` for every strategy x seed, with ravel's --timeout and an outer kill;
  (c) under `ravel stress --runs N` (when --stress-runs > 0).
Every run must give the native verdict (pass, skip = exit 77, fail(exit N), signal). The
script prints a table and exits 1 when any verdict differs (a hang counts: `timeout`), 2 on a
usage or environment error.

Runs are bounded: every process gets a real-time limit, runs in a session of its own and
carries a marker in its environment; when it ends or is killed, whatever is left of its
session or carries its marker is killed too, so nothing is left running.

  bench/realworld.py --ravel build/cli/ravel                    # the full gate (seeds 1..5, stress 50)
  bench/realworld.py --seeds 1 --stress-runs 0 --timeout 180    # a quick pass
  bench/realworld.py --tests mutex,cond -v                      # a few tests, with ravel's output
"""

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid

TESTS_META = "/usr/share/installed-tests/glib"
PACKAGE = "libglib2.0-tests"

# The thread-related tests: those the gate must cover by name, plus every test whose name
# says thread, mutex, lock, cond, async, pool, mainloop, spawn or timeout, plus a few whose
# names do not say so but which run threads (GOnce, GSlice's magazines across threads,
# GMainContext across threads, GCancellable from other threads).
REQUIRED = ["asyncqueue", "cond", "mutex", "once", "thread", "thread-pool", "rec-mutex",
            "rwlock", "task", "atomic", "mainloop", "spawn-multithreaded",
            "spawn-singlethread", "gdbus-threading"]
NAME_PATTERN = re.compile(r"thread|mutex|lock|cond|async|pool|mainloop|spawn|timeout")
EXTRA = ["onceinit", "slice-concurrent", "contexts", "cancellable"]

STRATEGIES = ["pct", "random", "rr"]
SUMMARY = re.compile(r"^ravel: (\S+(?:\([^)]*\))?) steps=(\d+) threads=(\d+)", re.M)
MARKER_VAR = "RAVEL_REALWORLD_RUN"
GRACE_S = 20  # how long the outer kill waits beyond ravel's own --timeout


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- finding and installing

def ensure_package(install):
    if os.path.isdir(TESTS_META):
        return True
    if not install:
        return False
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    log(f"realworld: {PACKAGE} is missing; installing it")
    rc = subprocess.call([os.path.join(root, "scripts", "bootstrap"), "realworld"])
    return rc == 0 and os.path.isdir(TESTS_META)


def discover():
    """name -> argv, from the .test files (Exec= line; every glib test is Type=session)."""
    tests = {}
    for f in sorted(os.listdir(TESTS_META)):
        if not f.endswith(".test"):
            continue
        with open(os.path.join(TESTS_META, f)) as fh:
            for line in fh:
                if line.startswith("Exec="):
                    tests[f[:-5]] = shlex.split(line[5:].strip())
    return tests


def select(tests, names):
    if names:
        unknown = [n for n in names if n not in tests]
        if unknown:
            raise SystemExit(f"realworld: no such GLib installed test: {', '.join(unknown)}")
        return names
    chosen = [n for n in tests
              if n in REQUIRED or n in EXTRA or NAME_PATTERN.search(n)]
    return sorted(chosen)


# ---------------------------------------------------------------- bounded processes

def _procs():
    for p in os.listdir("/proc"):
        if p.isdigit():
            yield int(p)


def _session_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            s = fh.read()
        return int(s[s.rindex(")") + 2:].split()[3])
    except (OSError, ValueError, IndexError):
        return None


def _has_marker(pid, marker):
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return f"{MARKER_VAR}={marker}".encode() in fh.read().split(b"\0")
    except OSError:
        return False


def reap_leftovers(sid, marker):
    """Kills what is left of one run: its session, and anything carrying its marker."""
    killed = 0
    for _ in range(5):
        left = [p for p in _procs() if p != os.getpid()
                and (_session_of(p) == sid or _has_marker(p, marker))]
        if not left:
            break
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.2)
    return killed


def run_bounded(argv, env, cwd, limit_s):
    """Runs argv in a new session for at most limit_s seconds of real time.
    Returns (returncode or None when killed, wall seconds, stdout, stderr, leftovers killed)."""
    marker = uuid.uuid4().hex
    env = dict(env, **{MARKER_VAR: marker})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=err, start_new_session=True)
        rc = None
        try:
            rc = p.wait(timeout=limit_s)
        except subprocess.TimeoutExpired:
            # SIGTERM first: ravel then kills and reaps its guest tree itself.
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        wall = time.monotonic() - start
        leftovers = reap_leftovers(p.pid, marker)
        out.seek(0)
        err.seek(0)
        return (rc, wall, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), leftovers)


# ---------------------------------------------------------------- verdicts

def verdict_of_status(rc):
    if rc is None:
        return "hang(killed)"
    if rc == 0:
        return "pass"
    if rc == 77:
        return "skip"
    if rc < 0:
        return "signal " + signal.Signals(-rc).name
    return f"fail(exit {rc})"


def verdict_of_ravel(rc, stderr):
    """ravel run passes the guest's status through; its summary line names a deadlock or a
    timeout, and 128+N for a guest killed by signal N."""
    m = None
    for m in SUMMARY.finditer(stderr):
        pass
    outcome = m.group(1) if m else None
    if rc is None:
        return "hang(killed)", outcome, m
    if outcome in ("deadlock", "timeout"):
        return outcome, outcome, m
    if outcome and outcome.startswith("fail(signal "):
        return "signal " + outcome[len("fail(signal "):-1], outcome, m
    return verdict_of_status(rc), outcome, m


def tap_counts(stdout):
    ok = len(re.findall(r"^ok \d+", stdout, re.M))
    bad = len(re.findall(r"^not ok \d+", stdout, re.M))
    skip = len(re.findall(r"^ok \d+.*# SKIP", stdout, re.M))
    return ok, bad, skip


# ---------------------------------------------------------------- the gate

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__[__doc__.index("  bench/"):])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--ravel", default=os.path.join(root, "build", "cli", "ravel"))
    ap.add_argument("--tests", default="", help="comma-separated test names (default: the thread-related ones)")
    ap.add_argument("--exclude", default="", help="comma-separated test names to leave out")
    ap.add_argument("--list", action="store_true", help="print the selected tests and exit")
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--seeds", default="5", help="N (seeds 1..N) or a comma-separated list, e.g. 1,7")
    ap.add_argument("--preempt", default=None, help="passed to ravel run/stress (default: ravel's own)")
    ap.add_argument("--timeout", type=float, default=180.0, help="real seconds per ravel run (ravel --timeout)")
    ap.add_argument("--native-timeout", type=float, default=600.0)
    ap.add_argument("--stress-runs", type=int, default=50, help="0: no stress")
    ap.add_argument("--stress-jobs", type=int, default=1)
    ap.add_argument("--stress-timeout", type=float, default=None,
                    help="per-schedule timeout of stress (default: --timeout)")
    ap.add_argument("--budget", type=float, default=4 * 3600.0,
                    help="total real seconds; runs not started by then are reported as `not run`")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--json", help="write every run's result to FILE")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--logs", help="directory for each run's stdout/stderr")
    ap.add_argument("--table-from", nargs="+", metavar="JSON",
                    help="print the table of earlier --json files (merged) and exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    if a.table_from:
        results, by_name = [], {}
        for f in a.table_from:
            with open(f) as fh:
                for r in json.load(fh)["results"]:
                    if r["test"] in by_name:  # runs of the same test from another file
                        by_name[r["test"]]["runs"] += r["runs"]
                        by_name[r["test"]]["stress"] = by_name[r["test"]]["stress"] or r["stress"]
                    else:
                        by_name[r["test"]] = r
                        results.append(r)
        strategies = [s for s in STRATEGIES if any(x.get("strategy") == s
                                                    for r in results for x in r["runs"])]
        seeds = sorted({x["seed"] for r in results for x in r["runs"]})
        a.stress_runs = a.stress_runs if any(r.get("stress") for r in results) else 0
        return 1 if print_table(results, strategies, seeds, a) else 0

    if not ensure_package(not a.no_install):
        log(f"realworld: {TESTS_META} missing: install {PACKAGE} (scripts/bootstrap realworld)")
        return 2
    a.ravel = os.path.abspath(a.ravel)  # runs start in scratch directories
    if not os.access(a.ravel, os.X_OK):
        log(f"realworld: no ravel at {a.ravel} (make realworld builds it)")
        return 2
    tests = discover()
    names = select(tests, [n for n in a.tests.split(",") if n])
    names = [n for n in names if n not in set(a.exclude.split(","))]
    if a.list:
        print("\n".join(f"{n}: {shlex.join(tests[n])}" for n in names))
        return 0
    seeds = ([int(s) for s in a.seeds.split(",")] if "," in a.seeds
             else list(range(1, int(a.seeds) + 1)))
    strategies = [s for s in a.strategies.split(",") if s]
    deadline = time.monotonic() + a.budget
    if a.logs:
        os.makedirs(a.logs, exist_ok=True)

    results = []
    for name in names:
        argv = tests[name]
        bindir = os.path.dirname(argv[0])
        # As gnome-desktop-testing-runner does: data next to the binary, a scratch cwd.
        env = dict(os.environ, G_TEST_SRCDIR=bindir, G_TEST_BUILDDIR=bindir)
        r = {"test": name, "argv": argv, "runs": [], "stress": None}
        results.append(r)

        def one(kind, cmd, limit, **extra):
            if time.monotonic() > deadline:
                return dict(kind=kind, verdict="not run", wall=None, **extra)
            with tempfile.TemporaryDirectory(prefix=f"realworld-{name}-") as cwd:
                rc, wall, out, err, left = run_bounded(cmd, env, cwd, limit)
            if a.logs:
                tag = "-".join([name, kind] + [str(v) for v in extra.values()])
                with open(os.path.join(a.logs, tag + ".out"), "w") as fh:
                    fh.write(out)
                with open(os.path.join(a.logs, tag + ".err"), "w") as fh:
                    fh.write(err)
            rec = dict(kind=kind, rc=rc, wall=wall, leftovers=left, tap=tap_counts(out), **extra)
            if kind == "native":
                rec["verdict"] = verdict_of_status(rc)
            elif kind == "run":
                rec["verdict"], rec["outcome"], m = verdict_of_ravel(rc, err)
                rec["steps"] = int(m.group(2)) if m else None
                rec["threads"] = int(m.group(3)) if m else None
                rec["warnings"] = sorted(set(re.findall(r"^ravel: warning: (.*)$", err, re.M)))[:5]
            else:
                fails = re.findall(r"^ravel: FAILURE (.*)$", err, re.M)
                rec["verdict"] = ("pass" if rc == 0 else "hang(killed)" if rc is None
                                  else f"FAILURE {fails[0]}" if fails else f"error(exit {rc})")
                rec["summary"] = (re.findall(r"^ravel: stress .*schedules \(.*$", err, re.M) or [""])[-1]
            if a.verbose:
                log(f"  {name} {kind} {extra}: {rec['verdict']} in {wall:.2f}s"
                    + (f" steps={rec.get('steps')}" if kind == "run" else "")
                    + (f" (killed {left} leftover processes)" if left else ""))
                if kind != "native":
                    tail = err.strip().splitlines()[-6:]
                    for line in tail:
                        log("    | " + line)
            return rec

        native = one("native", argv, a.native_timeout)
        r["native"] = native
        if native["wall"] is None:
            continue
        log(f"realworld: {name}: native {native['verdict']} in {native['wall']:.2f}s")
        for strategy in strategies:
            for seed in seeds:
                cmd = [a.ravel, "run", "--strategy", strategy, "--seed", str(seed),
                       "--timeout", str(a.timeout)]
                if a.preempt:
                    cmd += ["--preempt", a.preempt]
                rec = one("run", cmd + ["--"] + argv, a.timeout + GRACE_S,
                          strategy=strategy, seed=seed)
                r["runs"].append(rec)
                if rec["wall"] is not None:
                    log(f"realworld: {name}: {strategy} seed {seed}: {rec['verdict']} in "
                        f"{rec['wall']:.2f}s steps={rec.get('steps')}")
        if a.stress_runs > 0:
            if native["verdict"] != "pass":
                r["stress"] = dict(kind="stress", verdict="n/a", wall=None)
            else:
                st = a.stress_timeout or a.timeout
                with tempfile.TemporaryDirectory(prefix="realworld-artifacts-") as art:
                    cmd = [a.ravel, "stress", "--runs", str(a.stress_runs), "--jobs",
                           str(a.stress_jobs), "--timeout", str(st), "--artifacts",
                           os.path.join(a.logs, f"{name}-artifacts") if a.logs else art]
                    if a.preempt:
                        cmd += ["--preempt", a.preempt]
                    limit = st * a.stress_runs / a.stress_jobs + 3 * st + GRACE_S
                    r["stress"] = one("stress", cmd + ["--"] + argv, limit)
                if r["stress"]["wall"] is not None:
                    log(f"realworld: {name}: stress {a.stress_runs}: {r['stress']['verdict']} "
                        f"in {r['stress']['wall']:.1f}s")

    bad = print_table(results, strategies, seeds, a)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(dict(command=sys.argv, results=results), fh, indent=1)
    return 1 if bad else 0


def summarize(runs, native_verdict):
    """'pass x5', or the distinct verdicts with the seeds of those that differ."""
    vs = {}
    for r in runs:
        vs.setdefault(r["verdict"], []).append(r["seed"])
    if len(vs) == 1:
        (v, s), = vs.items()
        return v if len(s) == 1 else f"{v} x{len(s)}"
    parts = []
    for v, s in vs.items():
        parts.append(f"{v} x{len(s)}" if v == native_verdict
                     else f"{v} (seed {','.join(map(str, s))})")
    return ", ".join(parts)


def print_table(results, strategies, seeds, a):
    header = (["test", "native", "native s"] + strategies
              + ["worst s", "ratio", "steps (max)"] + (["stress"] if a.stress_runs else []))
    rows, bad = [], []
    for r in results:
        nv = r["native"]["verdict"]
        nw = r["native"]["wall"]
        if nw is None:
            rows.append([r["test"], nv] + ["-"] * (len(header) - 2))
            continue
        cells = [r["test"], nv, f"{nw:.2f}"]
        for s in strategies:
            runs = [x for x in r["runs"] if x["strategy"] == s]
            cells.append(summarize(runs, nv) if runs else "not run")
            for x in runs:
                if x["verdict"] not in (nv, "not run"):
                    bad.append((r["test"], s, x["seed"], x["verdict"]))
        walls = [x["wall"] for x in r["runs"] if x["wall"] is not None]
        worst = max(walls) if walls else None
        steps = [x["steps"] for x in r["runs"] if x.get("steps") is not None]
        timed_out = any(x["verdict"] in ("timeout", "hang(killed)") for x in r["runs"])
        cells.append("-" if worst is None else f"{'>' if timed_out else ''}{worst:.2f}")
        ratio = None if worst is None else worst / max(nw, 0.001)
        cells.append("-" if ratio is None else
                     f"{'>' if timed_out else ''}{ratio:.{0 if ratio >= 10 else 2}f}x")
        cells.append(str(max(steps)) if steps else "-")
        if a.stress_runs:
            st = r["stress"]
            cells.append(st["verdict"] if st else "-")
            if st and st["verdict"] not in ("pass", "n/a", "not run"):
                bad.append((r["test"], "stress", "-", st["verdict"]))
        rows.append(cells)
    not_run = sum(1 for r in results for x in r["runs"] + [r["native"]]
                  if x["verdict"] == "not run")
    if a.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for c in rows:
            print("| " + " | ".join(c) + " |")
    else:
        widths = [max(len(str(c[i])) for c in rows + [header]) for i in range(len(header))]
        for c in [header] + rows:
            print("  ".join(str(x).ljust(w) for x, w in zip(c, widths)).rstrip())
    print()
    if a.table_from:
        print(f"{len(results)} tests, from {' '.join(a.table_from)}")
    else:
        print(f"{len(results)} tests, strategies {','.join(strategies)}, seeds "
              f"{','.join(map(str, seeds))}, ravel --timeout {a.timeout:g}s"
              + (f", stress {a.stress_runs} runs" if a.stress_runs else ", no stress"))
    if not_run:
        print(f"{not_run} runs not started: the --budget of {a.budget:g}s was spent")
    if bad:
        print(f"{len(bad)} runs differ from the native verdict:")
        for t, s, seed, v in bad:
            print(f"  {t} {s} seed {seed}: {v}")
    else:
        print("every run gave its native verdict")
    return bad or not_run


if __name__ == "__main__":
    sys.exit(main())
