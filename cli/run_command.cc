#include "cli/run_command.h"

#include <signal.h>

#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/atomic_file.h"
#include "engine/prepared_replay.h"
#include "engine/run_tool.h"
#include "engine/trace.h"
#include "engine/verify_seed.h"
#include "gdb/server.h"
#include "intercept/spawn.h"
#include "strategies/strategy.h"

namespace ravel {

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
  j["planned_points"] = result.planned_points;
  j["planned_markers"] = result.planned_markers;
  j["planned_futex"] = result.planned_futex;
  j["planned_resumes"] = result.planned_resumes;
  j["guest_waits"] = result.guest_waits;
  j["page_calls"] = result.page_calls;
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

// How many liveness preemptions the run had, when it had any.
void ReportLiveness(const ScheduleResult& result) {
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

}  // namespace

absl::Status WriteRunJson(const std::string& path, const ScheduleResult& result, uint64_t seed,
                          const std::string& strategy, const std::vector<std::string>& command) {
  return WriteFileAtomically(path, RunJson(result, seed, strategy, command).dump(2) + "\n");
}

namespace {

// The run's config from `options`, and everything checked before it runs: the points, the
// outputs, gdb. The exit code of a usage error (printed), or nullopt.
std::optional<int> PrepareRun(const std::vector<std::string>& command, const RunOptions& options,
                              ScheduleConfig& config, TraceObserver& trace, gdb::Server& server) {
  config.command = command;
  config.settings = options.settings;
  config.verbose = options.verbose;
  config.record = !options.record_path.empty();
  absl::StatusOr<Preempt> preempt = ParsePreemptFlags(options.settings.preempt, options.settings.preempt_modules);
  if (!preempt.ok()) return UsageError(std::string(preempt.status().message()));
  if (absl::Status s = PrepareGuests(*preempt, command); !s.ok()) return UsageError(std::string(s.message()));
  config.settings.preempt = preempt->ToString();
  WarnIfNoVirtualCpu(options.settings.virtual_cpu);
  if (!options.trace_path.empty()) {
    if (absl::Status s = CheckTracePath(options.trace_path); !s.ok()) return UsageError(std::string(s.message()));
    config.observer = &trace;
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
  if (!options.gdbserver.empty()) {
    absl::StatusOr<std::string> path = ResolveCommand(command[0]);
    if (absl::Status s = StartGdbServer(server, options.gdbserver, path.ok() ? *path : command[0]); !s.ok()) {
      return UsageError(std::string(s.message()));
    }
    config.gdbserver = &server;
  }
  return std::nullopt;
}

// The run, or with --verify the first of two (`verified` has both).
ScheduleResult RunOnceOrTwice(const ScheduleConfig& config, const RunOptions& options, VerifiedRuns& verified) {
  if (!options.verify) return RunSchedule(config);
  verified = VerifySeed(config, [&](const ScheduleResult& first) {
    fprintf(stderr, "ravel: verify: the first run ended %s after %" PRIu64 " steps; running seed %" PRIu64
                    " again\n", first.outcome.c_str(), first.steps, options.settings.seed);
    fflush(stderr);
  });
  ScheduleResult result = verified.first;
  if (!verified.error.ok()) {
    // A run that could not start or was interrupted: as without --verify.
    result.error = verified.error;
    result.exit_code = verified.exit_code;
  }
  return result;
}

// After a run that went its course: what it says on stderr, then the recording and --json.
int ReportRun(const std::vector<std::string>& command, const RunOptions& options, const ScheduleResult& result,
              const VerifiedRuns& verified, int code) {
  if (options.verbose) {
    fprintf(stderr, "ravel: %" PRIu64 " of %" PRIu64 " steps offered a choice (PCT's k: --pct-steps)\n",
            result.choices, result.steps);
  }
  ReportDeadlock(result);
  ReportLiveness(result);
  const bool record = !options.record_path.empty();
  const std::string strategy = record || options.verify ? result.schedule.strategy : options.settings.strategy;
  fprintf(stderr, "%s\n", SummaryLine(result, options.settings.seed, strategy).c_str());
  if (options.verify) {
    if (verified.verdict.same) {
      fprintf(stderr, "%s\n", VerifiedLine(verified.verdict, options.settings.seed).c_str());
    } else {
      fputs(NotDeterministicReport(verified.verdict, options.settings.seed).c_str(), stderr);
      code = kExitNotDeterministic;
    }
  }
  if (record) {
    if (absl::Status s = WriteScheduleFile(options.record_path, result.schedule); !s.ok()) {
      code = OutputError(code, absl::Status(s.code(), absl::StrCat("schedule not written: ", s.message())));
    } else {
      fprintf(stderr, "ravel: schedule written to %s; replay: %s\n", options.record_path.c_str(),
              ReplayCommandLine(options.record_path).c_str());
    }
  }
  if (!options.json_path.empty()) {
    absl::Status s = options.verify ? WriteVerifyJson(options.json_path, verified, options.settings.seed, strategy, command)
                                    : WriteRunJson(options.json_path, result, options.settings.seed, strategy, command);
    if (!s.ok()) code = OutputError(code, s);
  }
  return code;
}

}  // namespace

int RunScheduled(const std::vector<std::string>& command, const RunOptions& options) {
  ScheduleConfig config;
  TraceObserver trace;
  gdb::Server server;
  if (std::optional<int> code = PrepareRun(command, options, config, trace, server)) return *code;
  VerifiedRuns verified;
  ScheduleResult result = RunOnceOrTwice(config, options, verified);
  if (ReportDebugger(result)) return 128 + SIGKILL;
  int code = result.exit_code;
  if (!options.trace_path.empty() && result.error.ok()) {
    if (absl::Status s = WriteTrace(trace, options.trace_path, result, options.settings.seed, options.settings.strategy, command);
        !s.ok()) {
      code = OutputError(code, s);
    }
  }
  if (!result.error.ok()) return code;
  return ReportRun(command, options, result, verified, code);
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
  (*prepared)->DefaultTimeout(options.timeout_seconds);
  const Schedule& s = (*prepared)->schedule();
  // A schedule is a command line: say what is about to run, and refuse an unexpected one.
  const std::string where = s.cwd.empty() ? "" : absl::StrCat(" (in ", ShellQuote(s.cwd), ")");
  if (!options.expected_command.empty() && !CommandMatches(s, options.expected_command)) {
    return UsageError(absl::StrCat(options.schedule_path, " runs ", QuotedWords((*prepared)->config().command), where,
                                   ", not the expected ", QuotedWords(options.expected_command), "; not replaying"));
  }
  TraceObserver trace;
  if (!trace_path.empty()) {
    if (absl::Status st = CheckTracePath(trace_path); !st.ok()) return UsageError(std::string(st.message()));
    (*prepared)->config().observer = &trace;
  }
  if (!json_path.empty()) {
    if (absl::Status st = CheckOutputPath(json_path); !st.ok()) return UsageError(std::string(st.message()));
  }
  fprintf(stderr, "ravel: replaying: %s%s\n", QuotedWords((*prepared)->config().command).c_str(), where.c_str());
  fflush(stderr);
  gdb::Server server;
  if (!options.gdbserver.empty()) {
    if (absl::Status st = StartGdbServer(server, options.gdbserver, s.command); !st.ok()) {
      return UsageError(std::string(st.message()));
    }
    (*prepared)->config().gdbserver = &server;
  }
  ScheduleResult result = RunSchedule((*prepared)->config());
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

namespace {

class RunSubcommand : public Subcommand {
 public:
  explicit RunSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "run", "Run CMD with one thread at a time, the interleaving chosen by a seeded strategy.\n"
               "Same seed, same program, same inputs: same interleaving, same outcome.\n"
               "Exit: the program's status (128+signal); 3 deadlock, 4 timeout, 2 bad usage;\n"
               "6 when it passed but --record, --json or --trace could not be written (a\n"
               "failed run keeps its status; the error is printed either way); 7 with --verify\n"
               "when two runs of the seed differ.\n"
               "The summary line ends with rdtsc=N when N RDTSC reads were scheduling points\n"
               "(the virtual TSC), or rdtsc=host where this machine cannot trap RDTSC.\n"
               "Example: ravel run --strategy pct --seed 42 -- ./my_test");
    schedule_flags_.emplace(
        app_, &options_.settings,
        ScheduleFlagHelp{
            .strategy = StrategyHelp(),
            .seed = "Seed for every decision of the run: 0 to 18446744073709551615 (default 1)",
            .pct_steps = "PCT: expected number of choice points k of a run (steps where more than one\n"
                         "thread could run), over which the change points are drawn (default 1000;\n"
                         "-v prints a run's count)",
            .timeout = "Fail the run as a timeout after SECONDS of real time (exit 4)",
            .timeout_may_be_zero = true,
            .default_strategy_note = ""});
    app_->add_option("--json", options_.json_path, "Also write the summary as a JSON object to FILE");
    app_->add_option("--record", options_.record_path,
                     "Write the run's schedule to FILE: every decision, so that `ravel replay FILE`\n"
                     "runs the same interleaving again, and checks it step by step");
    app_->add_option("--trace", options_.trace_path, kTraceHelp);
    app_->add_option("--gdbserver", options_.gdbserver, kGdbserverHelp);
    app_->add_flag("--verify", options_.verify,
                   "Run the seed twice and compare the runs step by step (thread, call, fingerprint):\n"
                   "'verified' and the program's status, or the first step where they differ, the\n"
                   "likely cause (an unmodelled call, a real-time event, an untrapped RDTSC, ...)\n"
                   "and exit 7. The program's output appears twice; --record, --json and --trace\n"
                   "describe the first run");
    AddCommand(app_, &args_, /*aslr_flag=*/false);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    if (absl::Status s = schedule_flags_->Finish(); !s.ok()) return UsageError(std::string(s.message()));
    RunOptions options = options_;
    options.verbose = in.verbose;
    return RunScheduled(*command, options);
  }

 private:
  CommonArgs args_;
  RunOptions options_;
  std::optional<ScheduleFlags> schedule_flags_;
};

class ReplaySubcommand : public Subcommand {
 public:
  explicit ReplaySubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "replay", "Run a recorded schedule again: the same command and directory, the same\n"
                  "decisions, checked at every step. Prints 'reproduced' and exits with the guest's\n"
                  "status, or says where the run diverged and exits 5; 6 when it passed but --json\n"
                  "or --trace could not be written.\n"
                  "A schedule runs the command line recorded in it: replay only schedules you\n"
                  "trust, as you would run a shell script. ravel prints the command first\n"
                  "(ravel: replaying: CMD ARGS... (in DIR)); --expect-command -- CMD ARGS...\n"
                  "refuses a schedule that records any other command (exit 2).\n"
                  "Example: ravel replay artifacts/my_test-seed42.sched --expect-command -- ./my_test");
    app_->add_option("FILE", options_.schedule_path, "The schedule (from ravel run --record or ravel stress)")
        ->required();
    app_->add_option("--json", options_.json_path, "Also write the summary as a JSON object to FILE");
    app_->add_option("--trace", options_.trace_path, kTraceHelp);
    app_->add_option("--gdbserver", options_.gdbserver, kGdbserverHelp);
    AddTimeoutFlag(app_, &options_.timeout_seconds,
                   "Stop the replay as a timeout after SECONDS of real time (default: the recorded\n"
                   "run's --timeout, else none); unless the recorded run timed out too, the replay\n"
                   "then diverges (exit 5)");
    app_->add_flag("--expect-command", expect_command_,
                   "Replay only if the schedule records exactly the command after -- (its first word\n"
                   "as recorded, or the recorded executable's absolute path); else exit 2");
  }

  int Run(const Invocation& in) override {
    ReplayOptions options = options_;
    if (expect_command_) {
      if (!in.had_dashes || in.after_dashes.empty()) {
        return UsageError("--expect-command needs the command after -- (e.g. --expect-command -- ./my_test)");
      }
      options.expected_command = in.after_dashes;
    } else if (in.had_dashes) {
      return UsageError("ravel replay takes no command: the schedule names it (to check it: --expect-command -- CMD...)");
    }
    options.verbose = in.verbose;
    return Replay(options);
  }

 private:
  ReplayOptions options_;
  bool expect_command_ = false;
};

}  // namespace

std::unique_ptr<Subcommand> MakeRunSubcommand(CLI::App& parent) { return std::make_unique<RunSubcommand>(parent); }

std::unique_ptr<Subcommand> MakeReplaySubcommand(CLI::App& parent) {
  return std::make_unique<ReplaySubcommand>(parent);
}

}  // namespace ravel
