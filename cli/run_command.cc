#include "cli/run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <cstdio>
#include <algorithm>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/preempt.h"
#include "cli/replay_setup.h"
#include "cli/trace.h"
#include "cli/verify.h"
#include "base/atomic_file.h"
#include "gdb/server.h"
#include "cli/run_tool.h"
#include "intercept/spawn.h"
#include "replay/schedule.h"

namespace ravel {

absl::Status StartGdbServer(gdb::Server& server, const std::string& address, const std::string& executable) {
  if (absl::Status s = server.Listen(address); !s.ok()) return s;
  fprintf(stderr,
          "ravel: gdbserver listening on %s; the run waits at its first instruction until gdb connects:\n"
          "ravel:   gdb -ex 'target remote %s' %s\n",
          server.address().c_str(), server.address().c_str(), ShellQuote(executable).c_str());
  fflush(stderr);
  return absl::OkStatus();
}

// True when gdb killed the program: the run has no outcome of its own then.
bool ReportDebugger(const ScheduleResult& result) {
  if (result.killed_by_debugger) {
    fprintf(stderr, "ravel: the guest was killed at gdb's request\n");
    return true;
  }
  if (!result.debugger_problem.empty()) {
    fprintf(stderr, "ravel: note: %s; the run went on without gdb\n", result.debugger_problem.c_str());
  }
  return false;
}

absl::Status WriteTrace(TraceObserver& trace, const std::string& path, const ScheduleResult& result, uint64_t seed,
                        const std::string& strategy, const std::vector<std::string>& command) {
  std::map<std::string, std::string> about = {{"command", absl::StrJoin(command, " ")},
                                              {"seed", absl::StrCat(seed)},
                                              {"strategy", strategy},
                                              {"outcome", result.outcome},
                                              {"fingerprint", absl::StrFormat("%016x", result.fingerprint)}};
  if (absl::Status s = trace.Write(path, result.steps, about); !s.ok()) return s;
  fprintf(stderr, "ravel: timeline written to %s (open it in ui.perfetto.dev or chrome://tracing)\n", path.c_str());
  return absl::OkStatus();
}


namespace {

nlohmann::json RunJson(const ScheduleResult& result, uint64_t seed, const std::string& strategy,
                       const std::vector<std::string>& command) {
  nlohmann::json j;
  j["outcome"] = result.outcome;
  j["exit_code"] = result.exit_code;
  j["steps"] = result.steps;
  j["choices"] = result.choices;
  j["threads"] = result.threads;
  j["liveness_preemptions"] = result.liveness_preemptions;
  j["leased_points"] = result.leased_points;
  j["tsc"] = result.virtual_tsc ? "virtual" : "host";
  j["rdtsc_points"] = result.rdtsc_points;
  j["cpuid"] = result.virtual_cpu ? "virtual" : "host";
  j["real_time_events"] = result.real_time_events;
  j["fingerprint"] = absl::StrFormat("%016x", result.fingerprint);
  j["seed"] = seed;
  j["strategy"] = strategy;
  j["command"] = command;
  j["signature"] = result.signature;
  if (!result.deadlock_report.empty()) j["deadlock_report"] = result.deadlock_report;
  if (!result.divergence.empty()) j["divergence"] = result.divergence;
  return j;
}

// --json with --verify: the first run's fields, and "verified" with the comparison.
absl::Status WriteVerifyJson(const std::string& path, const VerifiedRuns& runs, uint64_t seed,
                             const std::string& strategy, const std::vector<std::string>& command) {
  nlohmann::json j = RunJson(runs.first, seed, strategy, command);
  const VerifyVerdict& v = runs.verdict;
  nlohmann::json verify;
  verify["same"] = v.same;
  verify["second_outcome"] = runs.second.outcome;
  verify["second_steps"] = runs.second.steps;
  verify["second_fingerprint"] = absl::StrFormat("%016x", runs.second.fingerprint);
  if (!v.same && v.difference.has_value()) {
    auto name = [](int32_t what) { return WhatName(what); };
    verify["step"] = v.difference->step;
    verify["difference"] = DescribeDifference(*v.difference, v, name);
    nlohmann::json causes = nlohmann::json::array();
    for (const CauseCandidate& c : v.causes) causes.push_back(DescribeCause(c, name));
    verify["causes"] = causes;
  }
  j["verify"] = verify;
  return WriteFileAtomically(path, j.dump(2) + "\n");
}

void ReportDeadlock(const ScheduleResult& result) {
  if (result.outcome == "deadlock") {
    fprintf(stderr, "ravel: deadlock: every thread is blocked and nothing can wake them:\n%s",
            result.deadlock_report.c_str());
  }
}

}  // namespace

absl::Status WriteRunJson(const std::string& path, const ScheduleResult& result, uint64_t seed,
                          const std::string& strategy, const std::vector<std::string>& command) {
  return WriteFileAtomically(path, RunJson(result, seed, strategy, command).dump(2) + "\n");
}

// How many liveness preemptions the run had, when it had any.
static void ReportLiveness(const ScheduleResult& result) {
  if (result.liveness_preemptions > 0) {
    fprintf(stderr,
            "ravel: %d liveness preemption%s: a thread ran without a scheduling point for a time slice (a spin?) "
            "and was stopped so that others could run\n",
            result.liveness_preemptions, result.liveness_preemptions == 1 ? "" : "s");
  }
  // Other points real time decided: the seed alone may not make this run again.
  if (!result.real_time_events.empty()) {
    std::vector<std::string> parts;
    for (const auto& [what, n] : result.real_time_events) parts.push_back(absl::StrCat(n, " x ", what));
    fprintf(stderr,
            "ravel: real time decided %s: the seed alone may not make this run again (a recording does; "
            "--verify checks)\n",
            absl::StrJoin(parts, ", ").c_str());
  }
}

int RunScheduled(const std::vector<std::string>& command, const RunOptions& options) {
  ScheduleSpec spec;
  spec.command = command;
  spec.strategy = options.strategy;
  spec.seed = options.seed;
  spec.pct_depth = options.pct_depth;
  spec.pct_steps = options.pct_steps;
  spec.timeout_seconds = options.timeout_seconds;
  spec.verbose = options.verbose;
  spec.record = !options.record_path.empty();
  absl::StatusOr<Preempt> preempt = ParsePreempt(options.preempt);
  if (!preempt.ok()) return UsageError(std::string(preempt.status().message()));
  if (!options.preempt_modules.empty() && !preempt->atomic) {
    return UsageError("--preempt-modules names libraries for atomic points: add --preempt atomic");
  }
  if (absl::Status s = PrepareGuests(*preempt, command); !s.ok()) return UsageError(std::string(s.message()));
  spec.preempt = preempt->ToString();
  spec.preempt_modules = options.preempt_modules;
  spec.virtual_cpu = options.virtual_cpu;
  spec.fast_path = options.fast_path;
  WarnIfNoVirtualCpu(options.virtual_cpu);
  TraceObserver trace;
  if (!options.trace_path.empty()) {
    if (absl::Status s = CheckTracePath(options.trace_path); !s.ok()) return UsageError(std::string(s.message()));
    spec.observer = &trace;
  }
  // Outputs that cannot be made at all are found before the run (exit 2); one that fails
  // after it (a full disk) is exit 6, or the failed run's own status.
  for (const std::string* path : {&options.record_path, &options.json_path}) {
    if (path->empty()) continue;
    if (absl::Status s = CheckOutputPath(*path); !s.ok()) return UsageError(std::string(s.message()));
  }
  if (options.verify && !options.gdbserver.empty()) {
    return UsageError("--verify runs the program twice; --gdbserver debugs one run: use one of them");
  }
  gdb::Server server;
  if (!options.gdbserver.empty()) {
    absl::StatusOr<std::string> path = ResolveCommand(command[0]);
    if (absl::Status s = StartGdbServer(server, options.gdbserver, path.ok() ? *path : command[0]); !s.ok()) {
      return UsageError(std::string(s.message()));
    }
    spec.gdbserver = &server;
  }
  VerifiedRuns verified;
  if (options.verify) {
    verified = VerifySeed(spec, [&](const ScheduleResult& first) {
      fprintf(stderr, "ravel: verify: the first run ended %s after %" PRIu64 " steps; running seed %" PRIu64
                      " again\n", first.outcome.c_str(), first.steps, options.seed);
      fflush(stderr);
    });
  }
  ScheduleResult result = options.verify ? verified.first : RunSchedule(spec);
  if (options.verify && !verified.error.ok()) {
    // A run that could not start or was interrupted: as without --verify.
    result.error = verified.error;
    result.exit_code = verified.exit_code;
  }
  if (ReportDebugger(result)) return 128 + SIGKILL;
  int code = result.exit_code;
  if (!options.trace_path.empty() && result.error.ok()) {
    if (absl::Status s = WriteTrace(trace, options.trace_path, result, options.seed, options.strategy, command);
        !s.ok()) {
      code = OutputError(code, s);
    }
  }
  if (!result.error.ok()) return code;
  if (options.verbose) {
    fprintf(stderr, "ravel: %" PRIu64 " of %" PRIu64 " steps offered a choice (PCT's k: --pct-steps)\n",
            result.choices, result.steps);
  }
  ReportDeadlock(result);
  ReportLiveness(result);
  const std::string strategy = spec.record || options.verify ? result.schedule.strategy : options.strategy;
  fprintf(stderr, "%s\n", SummaryLine(result, options.seed, strategy).c_str());
  if (options.verify) {
    if (verified.verdict.same) {
      fprintf(stderr, "%s\n", VerifiedLine(verified.verdict, options.seed).c_str());
    } else {
      fputs(NotDeterministicReport(verified.verdict, options.seed).c_str(), stderr);
      code = kExitNotDeterministic;
    }
  }
  if (spec.record) {
    if (absl::Status s = WriteScheduleFile(options.record_path, result.schedule); !s.ok()) {
      code = OutputError(code, absl::Status(s.code(), absl::StrCat("schedule not written: ", s.message())));
    } else {
      fprintf(stderr, "ravel: schedule written to %s; replay: %s\n", options.record_path.c_str(),
              ReplayCommandLine(options.record_path).c_str());
    }
  }
  if (!options.json_path.empty()) {
    absl::Status s = options.verify ? WriteVerifyJson(options.json_path, verified, options.seed, strategy, command)
                                    : WriteRunJson(options.json_path, result, options.seed, strategy, command);
    if (!s.ok()) code = OutputError(code, s);
  }
  return code;
}

namespace {

// "ravel replay" runs what the schedule names: the recorded argv, with argv[0] the
// recorded executable. `expected` matches when its words are the recorded ones, its
// first either as recorded or the executable's absolute path.
bool CommandMatches(const Schedule& s, const std::vector<std::string>& expected) {
  if (expected.size() != s.args.size() || expected.empty()) return false;
  if (expected[0] != s.args[0] && expected[0] != s.command) return false;
  return std::equal(expected.begin() + 1, expected.end(), s.args.begin() + 1);
}

std::string QuotedWords(const std::vector<std::string>& words) {
  std::vector<std::string> quoted;
  for (const std::string& w : words) quoted.push_back(ShellQuote(w));
  return absl::StrJoin(quoted, " ");
}

}  // namespace

int Replay(const ReplayOptions& options) {
  // The schedule's directory is entered: the files named here are named from the current one.
  const std::string json_path = AbsolutePath(options.json_path), trace_path = AbsolutePath(options.trace_path);
  absl::StatusOr<std::unique_ptr<PreparedReplay>> prepared = PreparedReplay::Open(options.schedule_path, options.verbose);
  if (!prepared.ok()) return UsageError(std::string(prepared.status().message()));
  const Schedule& s = (*prepared)->schedule();
  // A schedule is a command line: say what is about to run, and refuse an unexpected one.
  const std::string where = s.cwd.empty() ? "" : absl::StrCat(" (in ", ShellQuote(s.cwd), ")");
  if (!options.expected_command.empty() && !CommandMatches(s, options.expected_command)) {
    return UsageError(absl::StrCat(options.schedule_path, " runs ", QuotedWords((*prepared)->spec().command), where,
                                   ", not the expected ", QuotedWords(options.expected_command), "; not replaying"));
  }
  TraceObserver trace;
  if (!trace_path.empty()) {
    if (absl::Status st = CheckTracePath(trace_path); !st.ok()) return UsageError(std::string(st.message()));
    (*prepared)->spec().observer = &trace;
  }
  if (!json_path.empty()) {
    if (absl::Status st = CheckOutputPath(json_path); !st.ok()) return UsageError(std::string(st.message()));
  }
  fprintf(stderr, "ravel: replaying: %s%s\n", QuotedWords((*prepared)->spec().command).c_str(), where.c_str());
  fflush(stderr);
  gdb::Server server;
  if (!options.gdbserver.empty()) {
    if (absl::Status st = StartGdbServer(server, options.gdbserver, s.command); !st.ok()) {
      return UsageError(std::string(st.message()));
    }
    (*prepared)->spec().gdbserver = &server;
  }
  ScheduleResult result = RunSchedule((*prepared)->spec());
  if (ReportDebugger(result)) return 128 + SIGKILL;
  int code = result.exit_code;
  if (!trace_path.empty() && result.error.ok()) {
    if (absl::Status st = WriteTrace(trace, trace_path, result, s.seed, s.strategy, s.args); !st.ok()) {
      code = OutputError(code, st);
    }
  }
  (*prepared)->FlushOutput();
  if (!result.error.ok()) return code;
  if (!result.divergence.empty()) {
    fprintf(stderr, "ravel: replay diverged at %s\n", result.divergence.c_str());
    // Liveness preemptions are made again (at the recorded instruction and registers);
    // other external events a replay cannot force.
    std::vector<const ExternalEvent*> unforced;
    for (const ExternalEvent& e : s.external) {
      if (e.kind != "preempt") unforced.push_back(&e);
    }
    if (!unforced.empty()) {
      const ExternalEvent& e = *unforced.front();
      fprintf(stderr,
              "ravel: note: the recorded run depended on %zu event%s outside ravel's control (first: %s %s of T%d "
              "at step %llu), which a replay cannot force\n",
              unforced.size(), unforced.size() == 1 ? "" : "s", e.kind.c_str(), e.detail.c_str(), e.thread,
              static_cast<unsigned long long>(e.step));
    }
  } else {
    ReportDeadlock(result);
    ReportLiveness(result);
    fprintf(stderr, "ravel: reproduced %s\n", SummaryLine(result, s.seed, s.strategy).substr(7).c_str());
  }
  if (!json_path.empty()) {
    if (absl::Status st = WriteRunJson(json_path, result, s.seed, s.strategy, s.args); !st.ok()) {
      code = OutputError(code, st);
    }
  }
  return code;
}

}  // namespace ravel
