#!/usr/bin/env python3
"""How fast each scheduling strategy finds each corpus bug, and whether its failures replay.

For every program of corpora/MANIFEST.tsv and corpora/classic/MANIFEST.tsv (or --manifest
LIST; or those given with --programs):
  native    the program run natively M times (J at a time, each with a timeout; a run
            that times out counts as a failure: the deadlock programs hang when they
            hit their bug): failure rate and runs per second;
  strategy  for pct with --pct-depth 1, 2 and 3, random and rr (or --strategies, which
            can add pos and surw): R independent seed
            ranges (bases 1, 100001, 200001, ...) of N seeds each, one
            `ravel stress --keep-going` per range. Per range: the schedules to the first
            failure (lowest failing seed - base + 1, or none within N); reported as the
            median over the ranges (a range without a failure counts as infinite, so
            ">N" when half or more found none), the ranges that found a failure, and
            the median schedules per second;
  minimize  every failure schedule stress kept, shrunk by `ravel minimize` (unless
            --no-minimize): departures from the default schedule before and after;
  replay    every failure schedule stress kept (the lowest seed of each failure
            signature, per range) replayed --replays times with `ravel replay`: a
            replay counts when its exit status is the one the recorded outcome implies
            (fail(exit N): N, fail(signal S): 128+S, deadlock: 3, timeout: 4) and ravel
            says "reproduced" on stderr. The guest's stdout and stderr go to regular
            files, as they do under stress; each schedule is also replayed once with
            stdout on /dev/null (a character device, like a terminal), reported apart.
            Replays run one at a time (--replay-jobs), so that two replays cannot meet
            in the file system.

Only programs whose MANIFEST granularity is among the run's scheduling points get the
strategy columns: `syscall` always, and the items of --preempt LIST (`sync`, `time`),
which every stress run then gets too; the others are listed with their native baseline
and a note. With --preempt the section has its own heading, so that the tables with and
without the finer points stand side by side in RESULTS.md. A fixed twin (expected `pass`) that fails under some schedule, and any replay that
is not faithful, is printed loudly and makes the exit status 1.

ravel is copied to a scratch directory first (another build may relink build/cli/ravel
while this runs); stress runs and replays happen in that directory, and it is removed at
the end unless a replay was not faithful or --keep is given.

Usage: bench/bugfind.py [BUILD_DIR] [--programs A,B] [--runs N] [--ranges R] [--native M]
                        [--jobs J] [--replays K] [--quick] [--out FILE] [--raw FILE]
  --quick       R=2, N=50, M=50 (about 6 minutes over the whole corpus on 2 cores;
                the defaults R=5, N=100, M=200 about 30)
  --out FILE    also write the tables into FILE (bench/RESULTS.md) as the section
                "## Bug finding (bench/bugfind.py)", replacing that section if present
                and keeping the rest of the file
  --raw FILE    every measurement as JSON
"""
import argparse
import concurrent.futures
import csv
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HEADING = "## Bug finding (bench/bugfind.py)"
STRATEGIES = [
    ("pct d=1", ["--strategy", "pct", "--pct-depth", "1"]),
    ("pct d=2", ["--strategy", "pct", "--pct-depth", "2"]),
    ("pct d=3", ["--strategy", "pct", "--pct-depth", "3"]),
    ("random", ["--strategy", "random"]),
    ("rr", ["--strategy", "rr"]),
    ("pos", ["--strategy", "pos"]),
    ("surw", ["--strategy", "surw"]),
]
# --strategies names: pct1, pct2, pct3, random, rr, pos, surw.
STRATEGY_KEYS = {"pct1": "pct d=1", "pct2": "pct d=2", "pct3": "pct d=3", "random": "random", "rr": "rr",
                 "pos": "pos", "surw": "surw"}
MANIFESTS = ["corpora/MANIFEST.tsv", "corpora/classic/MANIFEST.tsv"]
RANGE_STRIDE = 100000
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T0 = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def loud(msg):
    bar = "!" * 78
    print(f"{bar}\n!!! {msg}\n{bar}", file=sys.stderr, flush=True)


def load_manifest(paths):
    """Every program of the manifests (paths relative to the repository); each entry
    notes the build subdirectory its executables are in (corpora/, corpora/classic/)."""
    out = []
    for rel in paths:
        path = os.path.join(REPO, rel)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for m in csv.DictReader(f, delimiter="\t"):
                m["subdir"] = os.path.dirname(rel)
                out.append(m)
    return out


def command_for(build_dir, name, subdir="corpora"):
    exe, _, test = name.partition(":")
    cmd = [os.path.join(build_dir, subdir, exe)]
    if test:
        cmd.append(f"--gtest_filter={test}")
    return cmd


def expected_exit(outcome):
    """The exit status `ravel replay` gives for a recorded outcome."""
    if outcome == "deadlock":
        return 3
    if outcome == "timeout":
        return 4
    m = re.fullmatch(r"fail\(exit (\d+)\)", outcome)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"fail\(signal (\w+)\)", outcome)
    if m:
        return 128 + int(getattr(signal, m.group(1)))
    return None


def native_baseline(cmd, runs, jobs, timeout):
    def once(_):
        try:
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, timeout=timeout)
            return "fail" if p.returncode != 0 else "pass"
        except subprocess.TimeoutExpired:
            return "hang"
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(once, range(runs)))
    elapsed = time.perf_counter() - start
    return {"runs": runs, "failed": results.count("fail"), "hung": results.count("hang"),
            "elapsed_seconds": elapsed, "runs_per_second": runs / elapsed}


def section_heading(preempt):
    if preempt == "syscall":
        return HEADING
    if preempt == "default":
        return "## Bug finding with the default options (bench/bugfind.py)"
    return f"## Bug finding with --preempt {preempt} (bench/bugfind.py)"


def granularities(preempt):
    if preempt == "default":
        return {"syscall", "sync", "atomic", "time"}  # whatever ravel's default reaches is measured
    return {"syscall"} | set(preempt.split(","))


def stress_range(ravel, cmd, strat_args, base, runs, jobs, timeout, workdir, tag, keep_going=True):
    art = os.path.join(workdir, "artifacts", tag)
    js = os.path.join(workdir, "json", tag + ".json")
    os.makedirs(os.path.dirname(js), exist_ok=True)
    os.makedirs(art, exist_ok=True)  # stress creates only the last component
    argv = [ravel, "stress", "--runs", str(runs), "--seed", str(base), *strat_args,
            *(["--keep-going"] if keep_going else []), "--jobs", str(jobs), "--timeout", str(timeout),
            "--json", js, "--artifacts", art, "--", *cmd]
    p = subprocess.run(argv, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, text=True)
    if p.returncode not in (0, 1) or not os.path.exists(js):
        return {"error": f"ravel stress exited {p.returncode}: {p.stderr.strip()[-400:]}",
                "argv": argv}
    with open(js) as f:
        rep = json.load(f)["reports"][0]
    failures = rep.get("failures", [])
    first = min((b["first_seed"] for b in failures), default=None)
    out = {
        "base": base,
        "schedules": rep["schedules"],
        "passed": rep["passed"],
        "failed": rep["failed"],
        "elapsed_seconds": rep["elapsed_seconds"],
        "schedules_per_second": rep["schedules_per_second"],
        "pct_steps": rep.get("pct_steps"),
        "to_first_failure": None if first is None else first - base + 1,
        "buckets": [{"signature": b["signature"], "outcome": b["outcome"], "count": b["count"],
                     "first_seed": b["first_seed"],
                     "schedule": os.path.join(workdir, b["schedule"])} for b in failures],
    }
    if rep["schedules"] != runs and (keep_going or not failures):
        out["error"] = f"ran {rep['schedules']} of {runs} schedules"
    if any(not b["schedule"] for b in failures):
        out["error"] = "stress kept no schedule for a failure"
    out["buckets"] = [b for b in out["buckets"] if not b["schedule"].endswith("/")]
    return out


def replay_once(ravel, bucket, workdir, stdout_devnull=False):
    """One `ravel replay`; the guest's stdout and stderr go to regular files, as under stress
    (or stdout to /dev/null with stdout_devnull). Returns (faithful, exit status, last stderr line)."""
    want = expected_exit(bucket["outcome"])
    with tempfile.TemporaryFile(dir=workdir) as out, tempfile.TemporaryFile(dir=workdir) as err:
        p = subprocess.run([ravel, "replay", bucket["schedule"]], cwd=workdir,
                           stdout=subprocess.DEVNULL if stdout_devnull else out, stderr=err,
                           stdin=subprocess.DEVNULL)
        err.seek(0)
        text = err.read().decode(errors="replace").strip()
    ok = p.returncode == want and "ravel: reproduced" in text
    return ok, p.returncode, text.splitlines()[-1] if text else ""


def replay_all(ravel, schedules, times, jobs, workdir):
    """schedules: bucket dicts (with 'schedule' and 'outcome'); fills 'replays' (times replays
    each, guest output to files) and 'replay_devnull' (one more with stdout to /dev/null)."""
    tasks = [(b, False) for b in schedules for _ in range(times)] + [(b, True) for b in schedules]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda t: replay_once(ravel, t[0], workdir, t[1]), tasks))
    for b in schedules:
        b["replays"] = {"ok": 0, "total": 0, "bad": []}
    for (b, devnull), (ok, rc, last) in zip(tasks, results):
        if devnull:
            b["replay_devnull"] = {"ok": ok, "exit": rc, "stderr": last}
            continue
        b["replays"]["total"] += 1
        if ok:
            b["replays"]["ok"] += 1
        else:
            b["replays"]["bad"].append({"exit": rc, "stderr": last})


MINIMIZED = re.compile(r"minimized: (\d+) departures? \((\d+) preemptions?\) -> (\d+) departures? \((\d+) preemptions?\)")


def minimize_all(ravel, schedules, workdir):
    """`ravel minimize` on each failure schedule (one at a time); fills 'minimized' with
    before/after departure counts, and whether the result replayed (exit 0)."""
    for b in schedules:
        out = b["schedule"] + ".min"
        p = subprocess.run([ravel, "minimize", b["schedule"], "-o", out], cwd=workdir,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
        m = MINIMIZED.search(p.stderr)
        if p.returncode != 0 or not m:
            last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
            b["minimized"] = {"ok": False, "exit": p.returncode, "stderr": last}
            continue
        b["minimized"] = {"ok": True, "before": int(m.group(1)), "before_preemptions": int(m.group(2)),
                          "after": int(m.group(3)), "after_preemptions": int(m.group(4))}


def minimized_cell(res):
    ms = [b["minimized"] for b in res.get("min_buckets", []) if "minimized" in b]
    if not ms:
        return "—"
    ok = [m for m in ms if m["ok"]]
    cell = "—"
    if ok:
        med = lambda key: statistics.median(m[key] for m in ok)
        cell = (f"{med('before_preemptions'):g} → {med('after_preemptions'):g} "
                f"(max {max(m['after_preemptions'] for m in ok)}); departures {med('before'):g} → {med('after'):g}")
    if len(ok) != len(ms):
        cell += f" **{len(ms) - len(ok)} not minimised**"
    return cell


def median_first(ranges, n):
    vals = [r["to_first_failure"] if r.get("to_first_failure") is not None else float("inf")
            for r in ranges]
    m = statistics.median(vals)
    if m == float("inf"):
        return f">{n}"
    return f"{m:g}"


def mean_first(ranges, n):
    """Mean schedules to the first failure; a range without one counts n (then the mean
    is a lower bound, marked '>=')."""
    vals = [r["to_first_failure"] if r.get("to_first_failure") is not None else n for r in ranges]
    bound = any(r.get("to_first_failure") is None for r in ranges)
    return f"{'>=' if bound else ''}{statistics.mean(vals):.0f}"


def strategy_cell(ranges, n, expected):
    if any("error" in r for r in ranges):
        return "ERROR"
    found = sum(1 for r in ranges if r["to_first_failure"] is not None)
    cell = f"{median_first(ranges, n)} ({found}/{len(ranges)}; mean {mean_first(ranges, n)})"
    if expected == "pass" and found:
        cell += " **FALSE POSITIVE**"
    return cell


def machine_note():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    distro = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({cpu}), {distro}, kernel {platform.release()}, "
            f"load average {os.getloadavg()[0]:.1f} at the start")


def build_note(build_dir):
    """Which ravel was measured: the binary's time and the repository's commit."""
    exe = os.path.join(build_dir, "cli", "ravel")
    built = datetime.datetime.fromtimestamp(os.path.getmtime(exe), datetime.timezone.utc)
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        repo = f"commit {head}" + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        repo = "no git"
    return f"ravel built {built.strftime('%Y-%m-%d %H:%M UTC')} ({repo})"


def active_strategies(args):
    if not args.strategies:
        return [s for s in STRATEGIES if s[0] not in ("pos", "surw")]  # the historical set
    wanted = [STRATEGY_KEYS[k] for k in args.strategies.split(",")]
    return [s for s in STRATEGIES if s[0] in wanted]


def render(results, args, cmdline, date, machine, elapsed, load_end, build):
    n, r = args.runs, args.ranges
    labels = [s[0] for s in active_strategies(args)]
    out = [section_heading(args.preempt), "", "Command (after `make`):", "", f"    {cmdline}", "",
           f"Run {date}, {elapsed / 60:.1f} min; {build}; {machine}, {load_end:.1f} at the end. "
           "The machine is shared: schedules/s and the native failure rates move with its load.",
           "",
           f"Per program: native, {args.native} runs ({args.jobs} at a time, {args.native_timeout:g} s "
           "timeout, a timed-out run counted as a failure: the deadlock programs hang); per "
           f"strategy, {r} seed ranges of {n} seeds (bases 1, {1 + RANGE_STRIDE}, ...), each one "
           f"`ravel stress {'(stopping at its first failure)' if args.first else '--keep-going'} --jobs {args.jobs}`. A strategy cell is the median over the "
           "ranges of the schedules to the first failure (lowest failing seed - base + 1; a range "
           f"without a failure counts as infinite, hence \">{n}\"), then in parentheses the ranges "
           f"that found a failure within {n} seeds. For PCT, k is measured once per range by a "
           "round-robin run of its first seed. Replays: each failure schedule kept by stress "
           f"(the lowest seed of each failure signature, per range and strategy) replayed {args.replays} "
           "times with `ravel replay`, one at a time, the guest's stdout and stderr going to regular "
           "files as under stress; faithful = the exit status the recorded outcome implies and `reproduced` on stderr. "
           "Minimize: `ravel minimize` on each of those schedules; the cell is the median number of preemptions "
           "(switches away from a thread that could go on) before → after, over the program's failure schedules "
           "of every strategy, the most left after, then the same for all departures from the default schedule "
           "(preemptions, another thread than the next after a block, wakes and time jumps other than the default).",
           "",
           "| program | bug class | granularity | expected | native failures | "
           + " | ".join(labels) + " | replays faithful | preemptions before → after minimize |",
           "|---|---|---|---|---|" + "---|" * len(labels) + "---|---|"]
    notes = []
    for res in results:
        nat = res["native"]
        nat_cell = f"{nat['failed'] + nat['hung']}/{nat['runs']}"
        if nat["hung"]:
            nat_cell += f" ({nat['hung']} hung)"
        if res["strategies"] is None:
            cells = ["—"] * len(labels)
            rep = "—"
            mincell = "—"
            notes.append(res["name"])
        else:
            cells = [strategy_cell(res["strategies"][l], n, res["expected"]) for l in labels]
            ok, tot = res["replay_ok"], res["replay_total"]
            rep = f"{ok}/{tot}" if tot else "—"
            if ok != tot:
                rep += " **NOT FAITHFUL**"
            mincell = minimized_cell(res)
        out.append(f"| {res['name']} | {res['bug_class']} | {res['granularity']} | {res['expected']} | "
                   f"{nat_cell} | " + " | ".join(cells) + f" | {rep} | {mincell} |")
    out.append("")
    if notes:
        out.append(f"— : not stressed: a granularity this run has no points for (--preempt {args.preempt}), "
                   "so these bugs' windows hold no scheduling point: " + ", ".join(f"`{x}`" for x in notes) + ".")
        out.append("")
    # Throughput table.
    out += ["Throughput (native: runs/s, " f"{args.jobs} at a time from Python's subprocess; strategies: "
            "schedules/s from stress's JSON, median over the ranges):", "",
            "| program | native runs/s | " + " | ".join(labels) + " |",
            "|---|---|" + "---|" * len(labels)]
    for res in results:
        if res["strategies"] is None:
            continue
        cells = []
        for l in labels:
            rs = [x["schedules_per_second"] for x in res["strategies"][l] if "error" not in x]
            cells.append(f"{statistics.median(rs):.1f}" if rs else "ERROR")
        out.append(f"| {res['name']} | {res['native']['runs_per_second']:.1f} | " + " | ".join(cells) + " |")
    out.append("")
    # Summary.
    stressed = [x for x in results if x["strategies"] is not None]
    bugs = [x for x in stressed if x["expected"] != "pass"]
    twins = [x for x in stressed if x["expected"] == "pass"]
    out.append("Summary:")
    out.append("")
    for l in labels:
        within = []
        for limit in [x for x in (100, 1000, 10000) if x <= n] or [n]:
            k = sum(1 for x in bugs
                    if statistics.median([rr["to_first_failure"] if rr.get("to_first_failure") is not None
                                          else float("inf") for rr in x["strategies"][l]]) <= limit)
            within.append(f"{k} within {limit}")
        out.append(f"- {l}: of {len(bugs)} bug programs, median schedules to the first failure: "
                   + ", ".join(within))
        all_r = sum(1 for x in bugs if all(rr.get("to_first_failure") is not None for rr in x["strategies"][l]))
        any_r = sum(1 for x in bugs if any(rr.get("to_first_failure") is not None for rr in x["strategies"][l]))
        kinds = "/".join(sorted(granularities(args.preempt)))
        out.append(f"- {l}: found {all_r} of {len(bugs)} bug programs ({kinds} granularity) in every range, "
                   f"{any_r} in at least one")
    fp = [x["name"] for x in twins if any(rr.get("to_first_failure") is not None
                                          for l in labels for rr in x["strategies"][l])]
    out.append(f"- correct programs (expected pass) failing under some schedule: "
               f"{', '.join(fp) if fp else 'none'} (of {len(twins)})")
    mins = [b["minimized"] for x in bugs for b in x.get("min_buckets", [])]
    if mins:
        done = [m for m in mins if m["ok"]]
        small = [m for m in done if m["after_preemptions"] <= 3]
        progs = [x for x in bugs if x.get("min_buckets")]
        small_progs = [x for x in progs
                       if statistics.median(b["minimized"].get("after_preemptions", 1 << 30)
                                            for b in x["min_buckets"]) <= 3]
        out.append(f"- minimize: {len(done)}/{len(mins)} failure schedules minimised and replayed; "
                   f"{len(small)} of them keep at most 3 preemptions; {len(small_progs)} of {len(progs)} bug "
                   "programs have a median of at most 3")
    ok = sum(x["replay_ok"] for x in stressed)
    tot = sum(x["replay_total"] for x in stressed)
    nsched = sum(x["replay_schedules"] for x in stressed)
    out.append(f"- replay fidelity: **{ok}/{tot}** replays reproduced their recorded failure "
               f"({nsched} failure schedules, {args.replays} replays each)")
    dn_ok = sum(x.get("devnull_ok", 0) for x in stressed)
    dn_bad = [x["name"] for x in stressed if x.get("devnull_bad")]
    out.append(f"- the same schedules replayed once more with the guest's stdout on /dev/null instead of a "
               f"regular file: {dn_ok}/{nsched} reproduced"
               + (f"; diverged: {', '.join(dn_bad)}" if dn_bad else ""))
    never = [x["name"] for x in bugs if not any(rr.get("to_first_failure") is not None
                                                 for l in labels for rr in x["strategies"][l])]
    if never:
        out.append(f"- bug programs no strategy failed within {n} seeds in any range: {', '.join(never)}")
    out.append("")
    return "\n".join(out)


def write_section(path, text, heading=HEADING):
    """Writes text (which starts with heading) into the markdown file path: in place of the
    section under heading (up to the next "## " heading) if there is one, else at the end."""
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    lines = old.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == heading), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        before = "".join(lines[:start])
        after = "".join(lines[end:])
        new = before + text + ("\n" + after if after else "")
    if not new.endswith("\n"):
        new += "\n"
    with open(path, "w") as f:
        f.write(new)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default=os.path.join(REPO, "build"))
    ap.add_argument("--programs", help="comma-separated manifest names (default: all)")
    ap.add_argument("--runs", type=int, help="N: seeds per range (default 100; --quick 50)")
    ap.add_argument("--ranges", type=int, help="R: independent seed ranges (default 5; --quick 2)")
    ap.add_argument("--native", type=int, help="M: native runs (default 200; --quick 50)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--replays", type=int, default=10, help="replays of each failure schedule (default 10)")
    ap.add_argument("--no-minimize", dest="minimize", action="store_false",
                    help="do not run `ravel minimize` on each failure schedule")
    ap.add_argument("--replay-jobs", type=int, default=1,
                    help="replays at a time (default 1: concurrent replays of one program can meet in "
                         "the file system, e.g. the same mkstemp name)")
    ap.add_argument("--native-timeout", type=float, default=2.0, help="seconds per native run (default 2)")
    ap.add_argument("--timeout", type=float, default=20.0,
                    help="ravel stress --timeout: seconds per schedule (default 20)")
    ap.add_argument("--quick", action="store_true", help="R=2, N=50, M=50 unless given")
    ap.add_argument("--out", help="write the section into this markdown file (e.g. bench/RESULTS.md)")
    ap.add_argument("--raw", help="write every measurement to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--preempt", default="syscall",
                    help="ravel's --preempt LIST for every stress run (e.g. sync,time); programs of "
                         "those granularities are stressed too")
    ap.add_argument("--strategies", help="comma-separated subset of pct1,pct2,pct3,random,rr,pos,surw "
                    "(default: pct1,pct2,pct3,random,rr)")
    ap.add_argument("--manifest", help="comma-separated manifests, relative to the repository "
                    "(default: corpora/MANIFEST.tsv,corpora/classic/MANIFEST.tsv)")
    ap.add_argument("--first", action="store_true",
                    help="stop each range at its first failure (no --keep-going): schedules to the first "
                         "failure only, much faster for bugs found early; one failure schedule per range")
    args = ap.parse_args()
    args.runs = args.runs or (50 if args.quick else 100)
    args.ranges = args.ranges or (2 if args.quick else 5)
    args.native = args.native or (50 if args.quick else 200)

    build_dir = os.path.abspath(args.build_dir)
    if args.strategies:
        unknown = [k for k in args.strategies.split(",") if k not in STRATEGY_KEYS]
        if unknown:
            sys.exit(f"bugfind: unknown --strategies {', '.join(unknown)}; known: {', '.join(STRATEGY_KEYS)}")
    manifest = load_manifest(args.manifest.split(",") if args.manifest else MANIFESTS)
    if args.programs:
        wanted = args.programs.split(",")
        unknown = [w for w in wanted if w not in {m["name"] for m in manifest}]
        if unknown:
            sys.exit(f"bugfind: not in MANIFEST.tsv: {', '.join(unknown)}")
        manifest = [m for m in manifest if m["name"] in wanted]

    cmdline = "python3 bench/bugfind.py " + shlex.join(
        [a for a in sys.argv[1:]])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_note()
    build = build_note(build_dir)
    workdir = tempfile.mkdtemp(prefix="ravel-bugfind-")
    ravel = os.path.join(workdir, "ravel")
    shutil.copy2(os.path.join(build_dir, "cli", "ravel"), ravel)
    log(f"{len(manifest)} programs, R={args.ranges} N={args.runs} M={args.native} J={args.jobs}; "
        f"scratch {workdir}")

    results = []
    problems = []
    for idx, m in enumerate(manifest, 1):
        name = m["name"]
        cmd = command_for(build_dir, name, m["subdir"])
        res = {"name": name, "bug_class": m["bug_class"], "granularity": m["granularity"],
               "expected": m["expected"], "command": cmd, "strategies": None,
               "replay_ok": 0, "replay_total": 0, "replay_schedules": 0}
        res["native"] = native_baseline(cmd, args.native, args.jobs, args.native_timeout)
        nat = res["native"]
        log(f"[{idx}/{len(manifest)}] {name}: native {nat['failed']} failed, {nat['hung']} hung of "
            f"{nat['runs']}, {nat['runs_per_second']:.1f} runs/s")
        if m["granularity"] in granularities(args.preempt):
            res["strategies"] = {}
            buckets = []
            safe = name.replace(":", "_")
            for label, sargs in active_strategies(args):
                ranges = []
                for r in range(args.ranges):
                    base = 1 + r * RANGE_STRIDE
                    tag = f"{safe}/{label.replace(' ', '').replace('=', '')}/{base}"
                    # Explicit, unless the defaults themselves are measured.
                    preempt_args = [] if args.preempt == "default" else ["--preempt", args.preempt]
                    rr = stress_range(ravel, cmd, sargs + preempt_args, base, args.runs, args.jobs, args.timeout,
                                      workdir, tag, keep_going=not args.first)
                    if "error" in rr:
                        problems.append(f"{name} {label} base {base}: {rr['error']}")
                        loud(f"{name} {label} base {base}: {rr['error']}")
                    ranges.append(rr)
                    buckets += rr.get("buckets", [])
                res["strategies"][label] = ranges
                sps = [x["schedules_per_second"] for x in ranges if "schedules_per_second" in x]
                log(f"    {label:8s} first failure {strategy_cell(ranges, args.runs, m['expected'])}, "
                    f"{statistics.median(sps) if sps else 0:.1f} schedules/s")
                if m["expected"] == "pass" and any(x.get("to_first_failure") for x in ranges):
                    sigs = {b["signature"] for x in ranges for b in x.get("buckets", [])}
                    problems.append(f"{name} (expected pass) failed under {label}: {sigs}")
                    loud(f"correct program {name} failed under {label}: {sigs}")
            if buckets:
                replay_all(ravel, buckets, args.replays, args.replay_jobs, workdir)
                res["replay_ok"] = sum(b["replays"]["ok"] for b in buckets)
                res["replay_total"] = sum(b["replays"]["total"] for b in buckets)
                res["replay_schedules"] = len(buckets)
                res["devnull_ok"] = sum(1 for b in buckets if b["replay_devnull"]["ok"])
                res["devnull_bad"] = [f"{os.path.basename(b['schedule'])}: exit {b['replay_devnull']['exit']}, "
                                      f"{b['replay_devnull']['stderr']}"
                                      for b in buckets if not b["replay_devnull"]["ok"]]
                for b in buckets:
                    if b["replays"]["ok"] != b["replays"]["total"]:
                        msg = (f"replay NOT faithful: {b['schedule']} ({b['outcome']}): "
                               f"{b['replays']['ok']}/{b['replays']['total']}; {b['replays']['bad'][:3]}")
                        problems.append(msg)
                        loud(msg)
                if args.minimize:
                    minimize_all(ravel, buckets, workdir)
                    res["min_buckets"] = [{"schedule": os.path.basename(b["schedule"]), "minimized": b["minimized"]}
                                          for b in buckets]
                log(f"    replays {res['replay_ok']}/{res['replay_total']} faithful "
                    f"({len(buckets)} schedules); stdout to /dev/null: "
                    f"{res['devnull_ok']}/{len(buckets)}")
        results.append(res)

    elapsed = time.monotonic() - T0
    text = render(results, args, cmdline, date, machine, elapsed, os.getloadavg()[0], build)
    print(text)
    if args.out:
        write_section(args.out, text, section_heading(args.preempt))
        log(f"wrote section to {args.out}")
    if args.raw:
        with open(args.raw, "w") as f:
            json.dump({"args": vars(args), "date": date, "machine": machine, "results": results}, f, indent=1)
    if problems:
        loud(f"{len(problems)} problem(s):\n" + "\n".join(problems))
        log(f"scratch kept: {workdir}")
        return 1
    if args.keep:
        log(f"scratch kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
