// The `ravel` executable: one subcommand per tool on the interception layer.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/atomic_file.h"
#include "base/logging.h"
#include "cli/explain_command.h"
#include "cli/minimize_command.h"
#include "cli/run_command.h"
#include "cli/run_tool.h"
#include "cli/stress_command.h"
#include "cli/stress_report.h"
#include "tools/count_tool.h"
#include "tools/inject_tool.h"
#include "tools/output.h"
#include "tools/strace_tool.h"
#include "intercept/syscall_table.h"

namespace ravel {
namespace {

constexpr const char* kVersion = kRavelVersion;

// -e accepts "trace=SET" or a bare SET, as strace does.
absl::StatusOr<SyscallSet> ParseTraceExpr(const std::string& expr) {
  absl::string_view e = expr;
  if (!absl::ConsumePrefix(&e, "trace=")) {
    size_t eq = e.find('=');
    if (eq != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unsupported -e qualifier '", e.substr(0, eq),
                                                     "' (only trace= is supported)"));
    }
  }
  return ParseSyscallSet(std::string_view(e.data(), e.size()));
}

// Several -e options add up; none means every syscall.
absl::StatusOr<SyscallSet> ParseTraceExprs(const std::vector<std::string>& exprs) {
  SyscallSet set;
  if (exprs.empty()) set.set();
  for (const std::string& e : exprs) {
    absl::StatusOr<SyscallSet> parsed = ParseTraceExpr(e);
    if (!parsed.ok()) return parsed.status();
    set |= *parsed;
  }
  return set;
}

// Whole numbers only, with a message that says so (CLI11's range checks print doubles).
CLI::Validator WholeNumber(int64_t min) {
  return CLI::Validator(
      [min](std::string& value) -> std::string {
        int64_t n = 0;
        if (!absl::SimpleAtoi(value, &n) || n < min) {
          return absl::StrCat("expected a whole number >= ", min, ", got '", value, "'");
        }
        return "";
      },
      min > 0 ? "N>0" : "N>=0");
}

// A seed: any whole number from 0 to 2^64-1, as `ravel run` and the schedule file take
// it (CLI11 would accept "-1" and wrap it, or print a double's range).
CLI::Validator Seed() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        uint64_t n = 0;
        if (value.empty() || value[0] == '-' || value[0] == '+' || !absl::SimpleAtoi(value, &n)) {
          return absl::StrCat("expected a seed from 0 to 18446744073709551615, got '", value, "'");
        }
        return "";
      },
      "SEED");
}

struct CommonArgs {
  std::vector<std::string> command;
  bool no_aslr = false;
};

// Options after the first word that is not one of ravel's are the guest's: `ravel strace
// ls -l` works like `ravel strace -- ls -l`.
// `aslr_flag`: offer --no-aslr (the scheduling commands always run with ASLR off).
void AddCommand(CLI::App* sub, CommonArgs* args, bool aslr_flag = true) {
  sub->prefix_command();
  sub->allow_extras();
  if (aslr_flag) {
    sub->add_flag("--no-aslr", args->no_aslr, "Run the guest with address-space randomisation off");
  }
  sub->footer("CMD... is the program to run and its arguments; put it after -- when it\n"
              "starts with a dash.");
}

// The guest command: what followed "--", or else the words from the first one that is
// not an option of ravel's.
absl::StatusOr<std::vector<std::string>> CommandOf(CLI::App* sub, bool had_dashes,
                                                   const std::vector<std::string>& after_dashes) {
  std::vector<std::string> rest = sub->remaining();
  if (had_dashes) {
    if (!rest.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected '", rest.front(), "' before --"));
    }
    return after_dashes;
  }
  if (!rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("unknown option ", rest.front(), " for ravel ",
                                                   sub->get_name(), " (see ravel ", sub->get_name(), " --help)"));
  }
  return rest;
}

constexpr char kPreemptHelp[] =
    "Scheduling points besides syscalls, comma-separated (recorded in the schedule):\n"
    "  syscall  every syscall (always on)\n"
    "  sync     every pthread lock, unlock, condition-variable, semaphore, barrier, once,\n"
    "           create and join call (C++ std::mutex, std::condition_variable and\n"
    "           std::thread use these), through a preloaded shim: finds races between\n"
    "           critical sections that make no syscall; deadlock reports name who holds\n"
    "           which lock. Not for statically linked programs.\n"
    "  time     time chaos: where a thread sleeps or waits with a timeout, the clock may\n"
    "           jump to its deadline although other threads could still run (as if the\n"
    "           machine were loaded): finds tests that rely on a sleep for ordering.\n"
    "           Plausible delays only: a thread that could run is delayed once, by at\n"
    "           most 100 ms, until it blocks; hang guards (a 2 s barrier timeout, a 30 s\n"
    "           join timeout) never fire.\n"
    "  atomic   every atomic instruction of the executable (LOCK-prefixed, XCHG with\n"
    "           memory): a breakpoint on each, a point before it and one just after it;\n"
    "           finds races between two atomic operations that are not atomic together,\n"
    "           and a flag published before the data it guards. About 90 us per atomic\n"
    "           executed; each instruction is a point for its first 1000 executions in a\n"
    "           process, then runs natively (a hot atomic loop would cost that for ever).\n"
    "  spin     every spin loop of the executable (a loop that only loads and compares,\n"
    "           such as while (!flag);): a breakpoint on its head, and each pass is a\n"
    "           point and a yield, so a thread waiting for a flag lets the others run at\n"
    "           a step the seed decides instead of after 0.2 s of CPU time (a real-time\n"
    "           liveness preemption that can make runs of one seed differ).\n"
    "Default: syscall,sync,time,atomic (with it stress found every bug of the corpus and\n"
    "the classic set; syscall points alone missed every lock- and atomic-level one). A list\n"
    "replaces the default: --preempt syscall,time is cheaper for a test that only needs\n"
    "syscall points, --preempt syscall turns time chaos off too. Example: --preempt sync,time";

constexpr char kVirtualCpuHelp[] =
    "Answer CPUID from a fixed model where the kernel offers CPUID faulting: the host's\n"
    "answers without RDRAND, RDSEED, HLE, RTM and the APIC ids, so runs do not depend on\n"
    "hardware randomness, transactional aborts or the CPU a thread lands on. The model is\n"
    "recorded; a replay answers from it, and refuses a CPU that lacks a recorded feature.\n"
    "Costs about 40 CPUID traps per exec (the dynamic loader's), ~2.5 ms on this\n"
    "project's CI VM. Without faulting, says so and goes on with the host's CPUID.";

constexpr char kTraceHelp[] =
    "Write the run's timeline to FILE.json (Chrome trace format: open it in\n"
    "ui.perfetto.dev or chrome://tracing): a track per thread, a slice per stretch it\n"
    "ran, an instant per syscall or sync operation, an arrow from each futex wake to\n"
    "the thread it woke. One microsecond per step: the same schedule draws the same\n"
    "picture.";

constexpr char kGdbserverHelp[] =
    "Debug the run with gdb: listen on [HOST:]PORT (host 127.0.0.1 unless named; port 0\n"
    "picks one), wait at the program's first instruction for gdb to connect (target\n"
    "remote HOST:PORT), then stop at its breakpoints, steps and Ctrl-C. Stopping does not\n"
    "change the schedule: a replay stays the recorded run.";

constexpr char kPreemptModulesHelp[] =
    "With --preempt atomic: also the atomic instructions of these shared libraries\n"
    "(comma-separated paths or file names; libfoo.so also matches libfoo.so.1), when\n"
    "they are mapped: at start-up or by dlopen. Example: --preempt-modules libfoo.so";

// What every subcommand gets besides its own flags.
struct Invocation {
  bool verbose = false;
  bool had_dashes = false;                // a "--" was given
  std::vector<std::string> after_dashes;  // the words after it
};

// One subcommand: the constructor adds it to the app with its flags, bound to its own
// fields; Run does the work once the command line is parsed (and it was the one named).
class Subcommand {
 public:
  virtual ~Subcommand() = default;
  CLI::App* app() const { return app_; }
  virtual int Run(const Invocation& in) = 0;

 protected:
  CLI::App* app_ = nullptr;
};

// The guest command of a subcommand that runs one: CommandOf, and none is an error.
absl::StatusOr<std::vector<std::string>> GuestCommand(CLI::App* sub, const Invocation& in) {
  absl::StatusOr<std::vector<std::string>> command = CommandOf(sub, in.had_dashes, in.after_dashes);
  if (!command.ok()) return command.status();
  if (command->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no command given (e.g. ravel ", sub->get_name(), " -- ls -l)"));
  }
  return command;
}

// The flags run and stress share: which points, which modules, the virtual CPU.
struct PointFlags {
  std::string preempt = kDefaultPreempt;
  std::string preempt_modules;
  bool virtual_cpu = false;
  bool no_fast_path = false;
};

void AddPointFlags(CLI::App* sub, PointFlags* flags) {
  sub->add_option("--preempt", flags->preempt, kPreemptHelp);
  sub->add_option("--preempt-modules", flags->preempt_modules, kPreemptModulesHelp);
  sub->add_flag("--virtual-cpu", flags->virtual_cpu, kVirtualCpuHelp);
  sub->add_flag("--no-fast-path", flags->no_fast_path,
                "Stop at every sync point. By default, where PCT is sure to let the thread at a\n"
                "sync point go on at its next ones too (until its next change point), the shim\n"
                "makes them without a stop and ravel accounts for them at the thread's next stop:\n"
                "the same decisions, steps, fingerprint and recording either way");
}

// --pct-depth and --pct-steps mean nothing to another strategy: an error, not ignored.
absl::Status CheckPctFlags(const std::string& strategy, const CLI::Option* depth, const CLI::Option* steps,
                           const std::string& default_note) {
  if (strategy == "pct" || (depth->count() == 0 && steps->count() == 0)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--pct-depth and --pct-steps are PCT's: they need --strategy pct", default_note, ", not ", strategy));
}

CLI::Validator Seconds() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        double d = 0;
        if (!absl::SimpleAtod(value, &d) || !(d >= 0)) {
          return absl::StrCat("expected seconds >= 0, got '", value, "'");
        }
        return "";
      },
      "SECONDS");
}

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
    app_->add_option("--strategy", options_.strategy, StrategyHelp());
    app_->add_option("--seed", options_.seed,
                     "Seed for every decision of the run: 0 to 18446744073709551615 (default 1)")
        ->check(Seed());
    pct_depth_ = app_->add_option("--pct-depth", options_.pct_depth,
                                  "PCT bug depth d: d-1 priority change points (default 3)")
                     ->check(WholeNumber(1));
    pct_steps_ = app_->add_option("--pct-steps", options_.pct_steps,
                                  "PCT: expected number of choice points k of a run (steps where more than one\n"
                                  "thread could run), over which the change points are drawn (default 1000;\n"
                                  "-v prints a run's count)")
                     ->check(WholeNumber(1));
    app_->add_option("--timeout", options_.timeout_seconds,
                     "Fail the run as a timeout after SECONDS of real time (exit 4)")
        ->check(Seconds());
    app_->add_option("--json", options_.json_path, "Also write the summary as a JSON object to FILE");
    app_->add_option("--record", options_.record_path,
                     "Write the run's schedule to FILE: every decision, so that `ravel replay FILE`\n"
                     "runs the same interleaving again, and checks it step by step");
    AddPointFlags(app_, &points_);
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
    if (absl::Status s = CheckPctFlags(options_.strategy, pct_depth_, pct_steps_, ""); !s.ok()) {
      return UsageError(std::string(s.message()));
    }
    RunOptions options = options_;
    options.preempt = points_.preempt;
    options.preempt_modules = points_.preempt_modules;
    options.virtual_cpu = points_.virtual_cpu;
    options.fast_path = !points_.no_fast_path;
    options.verbose = in.verbose;
    return RunScheduled(*command, options);
  }

 private:
  CommonArgs args_;
  RunOptions options_;
  PointFlags points_;
  CLI::Option* pct_depth_ = nullptr;
  CLI::Option* pct_steps_ = nullptr;
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

class MinimizeSubcommand : public Subcommand {
 public:
  explicit MinimizeSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "minimize", "Shrink a failing schedule: keep the fewest departures from the default schedule\n"
                    "(preemptions, and wakes and time jumps other than the default) that still fail\n"
                    "the same way (same outcome, same last steps of the failing thread), by delta\n"
                    "debugging over runs of the program. Prints the count before and after and writes\n"
                    "a schedule that `ravel replay` and `ravel explain` take. Exit 6 when OUT could\n"
                    "not be written (nothing is left there).\n"
                    "Example: ravel minimize artifacts/lost_wakeup-seed7.sched -o min.sched");
    app_->add_option("FILE", options_.schedule_path, "A failing schedule (ravel run --record, ravel stress)")
        ->required();
    app_->add_option("-o,--output", options_.out_path, "Write the minimised schedule to OUT")->required();
    app_->add_option("--max-runs", options_.max_runs,
                     "Run the program at most N times (default 300); the best schedule so far is written")
        ->check(CLI::PositiveNumber);
    app_->add_option("--timeout", options_.timeout_seconds,
                     "A run taking longer than SECONDS of real time does not count as failing the same way\n"
                     "(default 30, unless the schedule records a timeout)")
        ->check(CLI::PositiveNumber);
  }

  int Run(const Invocation& in) override {
    if (in.had_dashes) return UsageError("ravel minimize takes no command: the schedule names it");
    MinimizeOptions options = options_;
    options.verbose = in.verbose;
    return Minimize(options);
  }

 private:
  MinimizeOptions options_;
};

class ExplainSubcommand : public Subcommand {
 public:
  explicit ExplainSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "explain", "Tell the story of a failing schedule (best after ravel minimize): each departure\n"
                   "from the default schedule with its step, the threads involved, what each was\n"
                   "about to do (the syscall and its arguments, the sync operation) and where in the\n"
                   "source (function, file:line, from the program's debug information), what ran\n"
                   "until the next one, then the failure with the failing thread's stack.\n"
                   "Example: ravel explain min.sched");
    app_->add_option("FILE", options_.schedule_path,
                     "A schedule (ravel minimize, ravel run --record, ravel stress)")
        ->required();
    app_->add_option("--trace", options_.trace_path, kTraceHelp);
    app_->add_option("--frames", options_.frames, "Frames of each stack to show (default 6)")
        ->check(CLI::PositiveNumber);
  }

  int Run(const Invocation& in) override {
    if (in.had_dashes) return UsageError("ravel explain takes no command: the schedule names it");
    ExplainOptions options = options_;
    options.verbose = in.verbose;
    return Explain(options);
  }

 private:
  ExplainOptions options_;
};

class StressSubcommand : public Subcommand {
 public:
  explicit StressSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "stress", "Run CMD under many schedules (seeds BASE, BASE+1, ...) in parallel, for CI.\n"
                  "The first failure stops the run (or, with --keep-going, failures are grouped\n"
                  "by signature); each failure's schedule and guest output are kept, with the\n"
                  "exact `ravel replay` command that reproduces it. Exit 0: every schedule\n"
                  "passed; 1: a failure was found; 2: bad usage; 6: every schedule passed but\n"
                  "--json or --junit could not be written (with a failure: 1, and the error).\n"
                  "An artifact that cannot be written is said in the summary; the failure stays.\n"
                  "Example: ravel stress --runs 1000 --junit stress.xml -- ./my_test");
    app_->add_option("--runs", options_.runs,
                     "Schedules to run, seeds BASE..BASE+N-1 (default 100), split across shards")
        ->check(WholeNumber(1));
    app_->add_option("--time", time_, "Run schedules for this long instead (e.g. 90s, 5m, 1h)");
    app_->add_option("--strategy", options_.strategy,
                     StrategyHelp(kStressDefaultStrategy) +
                         "\nstress's default is surw: with the default --preempt it found every bug of the corpus\n"
                         "and the classic set within 100 schedules (median; bench/RESULTS.md)");
    app_->add_option("--seed", options_.seed_base,
                     "BASE: the first seed (default 1). Seeds are 0..18446744073709551615: with --runs N,\n"
                     "BASE+N-1 must not pass the largest (an error up front); with --time the seeds\n"
                     "stop there")
        ->check(Seed());
    app_->add_option("--jobs,-j", options_.jobs,
                     "Schedules run in parallel (default: one per CPU). They share the filesystem: a\n"
                     "test that writes a fixed path in its directory collides with its own copies\n"
                     "(run it with --jobs 1)")
        ->check(WholeNumber(1));
    app_->add_option("--shard", options_.shard,
                     "I/N: run only shard I (0-based) of N; also taken from GTEST_SHARD_INDEX/\n"
                     "GTEST_TOTAL_SHARDS, TEST_SHARD_INDEX/TEST_TOTAL_SHARDS (Bazel), or\n"
                     "JOB_COMPLETION_INDEX with --shards N (Kubernetes Indexed Jobs)");
    app_->add_option("--shards", options_.shards, "N shards, the index from JOB_COMPLETION_INDEX")
        ->check(WholeNumber(1));
    app_->add_option("--artifacts", options_.artifacts_dir,
                     "Where failing schedules and their guest output go (default ravel-artifacts)");
    app_->add_option("--junit", options_.junit_path, "Write a JUnit XML report to FILE");
    app_->add_option("--json", options_.json_path, "Write a JSON summary to FILE (ravel merge combines shards)");
    app_->add_flag("--keep-going", options_.keep_going,
                   "Do not stop at the first failure: run every seed, group failures by signature");
    app_->add_flag("--per-test", options_.per_test,
                   "CMD is a GoogleTest binary: stress each of its tests on its own, reporting per test");
    pct_depth_ = app_->add_option("--pct-depth", options_.pct_depth,
                                  "PCT bug depth d (default 3; with --strategy pct)")
                     ->check(WholeNumber(1));
    pct_steps_ = app_->add_option("--pct-steps", options_.pct_steps,
                                  "PCT's k, with --strategy pct (default: twice the most choice points of three\n"
                                  "calibration runs of the first seeds, the same on every shard)")
                     ->check(WholeNumber(1));
    points_.preempt = options_.preempt;
    AddPointFlags(app_, &points_);
    app_->add_flag("--verify", options_.verify,
                   "Run each failing seed a second time before reporting it and compare the runs step by\n"
                   "step: a failure that its seed does not reproduce is reported as not deterministic,\n"
                   "with the first divergent step and the likely cause (still a failure: exit 1)");
    app_->add_flag("--spawn-each", options_.spawn_each,
                   "Start CMD afresh (fork, exec) for every schedule. By default each job execs CMD once, "
                   "keeps it stopped before its first instruction, and forks a copy of it per schedule: "
                   "the same schedules, several times faster");
    app_->add_option("--timeout", options_.timeout_seconds,
                     "A schedule taking longer than SECONDS of real time fails as a timeout (default 60)")
        ->check(CLI::PositiveNumber);
    AddCommand(app_, &args_, /*aslr_flag=*/false);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    const std::string note = absl::StrCat(" (stress's default is ", kStressDefaultStrategy, ")");
    if (absl::Status s = CheckPctFlags(options_.strategy, pct_depth_, pct_steps_, note); !s.ok()) {
      return UsageError(std::string(s.message()));
    }
    StressOptions options = options_;
    options.preempt = points_.preempt;
    options.preempt_modules = points_.preempt_modules;
    options.virtual_cpu = points_.virtual_cpu;
    options.fast_path = !points_.no_fast_path;
    options.command = *command;
    options.verbose = in.verbose;
    if (!time_.empty()) {
      absl::StatusOr<double> seconds = ParseDuration(time_);
      if (!seconds.ok()) return UsageError(std::string(seconds.status().message()));
      options.time_seconds = *seconds;
    }
    return Stress(options);
  }

 private:
  CommonArgs args_;
  StressOptions options_;
  PointFlags points_;
  std::string time_;
  CLI::Option* pct_depth_ = nullptr;
  CLI::Option* pct_steps_ = nullptr;
};

class MergeSubcommand : public Subcommand {
 public:
  explicit MergeSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "merge", "Combine the --json summaries of the shards of one stress job into one report.\n"
                 "Exit 1 when any shard found a failure.\n"
                 "Example: ravel merge shard-*.json --junit stress.xml");
    app_->add_option("SUMMARY", inputs_, "JSON summaries written by ravel stress --json")->required();
    app_->add_option("--json", json_, "Write the combined summary to FILE");
    app_->add_option("--junit", junit_, "Write a combined JUnit XML report to FILE");
  }

  int Run(const Invocation& in) override {
    if (in.had_dashes) return UsageError("ravel merge takes no command");
    return MergeCommand(inputs_, json_, junit_);
  }

 private:
  std::vector<std::string> inputs_;
  std::string json_, junit_;
};

class StraceSubcommand : public Subcommand {
 public:
  explicit StraceSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "strace", "Print each syscall with its arguments and result, like strace.\n"
                  "Example: ravel strace -f -e trace=%file -- make -j2");
    app_->add_flag("-f", follow_, "Follow threads and child processes (default: only the first thread)");
    app_->add_option("-e", exprs_,
                     "Which syscalls: trace=SET, SET = names, %file, %process, %network, %signal,\n"
                     "%ipc, %desc, %memory, all, none; !SET negates. Repeatable.")
        ->allow_extra_args(false);
    app_->add_option("-o", out_path_,
                     "Write the trace to FILE instead of stderr. A write that fails (a full disk) is\n"
                     "an error: exit 6, or the program's status if it failed");
    app_->add_option("-s", string_limit_, "Longest string to print (default 32)")->check(CLI::PositiveNumber);
    AddCommand(app_, &args_);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    absl::StatusOr<SyscallSet> set = ParseTraceExprs(exprs_);
    if (!set.ok()) return UsageError(std::string(set.status().message()));
    absl::StatusOr<Output> out = Output::Open(out_path_);
    if (!out.ok()) return UsageError(std::string(out.status().message()));
    StraceOptions options;
    options.follow = follow_;
    options.trace = *set;
    options.print.string_limit = string_limit_;
    StraceTool tool(options, &*out);
    TracerOptions tracer;
    tracer.disable_aslr = args_.no_aslr;
    const int code = RunUnderTool(tool, *command, tracer);
    // Every line was checked as it was written; a lost one fails the command.
    if (absl::Status s = out->Close(); !s.ok()) return OutputError(code, s);
    return code;
  }

 private:
  CommonArgs args_;
  bool follow_ = false;
  std::vector<std::string> exprs_;
  std::string out_path_;
  size_t string_limit_ = 32;
};

class CountSubcommand : public Subcommand {
 public:
  explicit CountSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "count", "Count calls and errors per syscall, like strace -c (threads and children included).\n"
                 "Example: ravel count -- python3 -c 'print(1)'");
    app_->add_option("-e", exprs_, "Which syscalls to count (same syntax as strace -e)")->allow_extra_args(false);
    app_->add_option("-o", out_path_,
                     "Write the table to FILE instead of stderr (whole or not at all; exit 6 when it\n"
                     "cannot be written, or the program's status if it failed)");
    AddCommand(app_, &args_);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    absl::StatusOr<SyscallSet> set = ParseTraceExprs(exprs_);
    if (!set.ok()) return UsageError(std::string(set.status().message()));
    // The table is written once, at the end: whole or not at all (base/atomic_file.h).
    const bool to_file = !out_path_.empty() && out_path_ != "-";
    if (to_file) {
      if (absl::Status s = CheckOutputPath(out_path_); !s.ok()) return UsageError(std::string(s.message()));
    }
    CountTool tool(*set);
    TracerOptions tracer;
    tracer.disable_aslr = args_.no_aslr;
    int code = RunUnderTool(tool, *command, tracer);
    if (code == 127 || code == 126 || code == kExitUsage) return code;
    if (!to_file) {
      Output().Line(tool.Report());
      return code;
    }
    if (absl::Status s = WriteFileAtomically(out_path_, absl::StrCat(tool.Report(), "\n")); !s.ok()) {
      return OutputError(code, s);
    }
    return code;
  }

 private:
  CommonArgs args_;
  std::vector<std::string> exprs_;
  std::string out_path_;
};

class InjectSubcommand : public Subcommand {
 public:
  explicit InjectSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "inject", "Fail chosen syscalls with chosen errors, deterministically for a seed.\n"
                  "Example: ravel inject --fail openat=ENOENT@0.5 --seed 3 -- ./my_test");
    app_->add_option("--fail", faults_,
                     "SYSCALL=ERRNO[@PROBABILITY]: fail SYSCALL with ERRNO (a name such as\n"
                     "ENOENT, or a number) with PROBABILITY in (0,1] or as a percentage\n"
                     "(default 1: every call). Repeatable.")
        ->required()
        ->allow_extra_args(false);
    app_->add_option("--seed", seed_, "Seed for the failure decisions (default 0)")->check(Seed());
    app_->add_flag("--include-startup", include_startup_,
                   "Also fail calls the dynamic loader makes before the program's entry point");
    AddCommand(app_, &args_);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    InjectOptions options;
    options.seed = seed_;
    options.include_startup = include_startup_;
    for (const std::string& f : faults_) {
      absl::StatusOr<FaultSpec> spec = ParseFaultSpec(f);
      if (!spec.ok()) return UsageError(std::string(spec.status().message()));
      options.faults.push_back(*spec);
    }
    InjectTool tool(options);
    TracerOptions tracer;
    tracer.disable_aslr = args_.no_aslr;
    int code = RunUnderTool(tool, *command, tracer);
    if (code != 127 && code != 126 && code != kExitUsage) {
      for (const std::string& line : tool.Report()) fprintf(stderr, "ravel: inject: %s\n", line.c_str());
    }
    return code;
  }

 private:
  CommonArgs args_;
  std::vector<std::string> faults_;
  uint64_t seed_ = 0;
  bool include_startup_ = false;
};

int Main(int argc, char** argv) {
  CLI::App app{"ravel: run a program under ptrace and watch, change or fail its syscalls.\n"
               "Commands are tools on ravel's syscall-interception layer."};
  app.name("ravel");
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  Invocation in;
  app.add_flag("-v,--verbose", in.verbose, "Print ravel's own diagnostic messages");
  // In the order --help lists them.
  std::vector<std::unique_ptr<Subcommand>> subcommands;
  subcommands.push_back(std::make_unique<RunSubcommand>(app));
  subcommands.push_back(std::make_unique<ReplaySubcommand>(app));
  subcommands.push_back(std::make_unique<MinimizeSubcommand>(app));
  subcommands.push_back(std::make_unique<ExplainSubcommand>(app));
  subcommands.push_back(std::make_unique<StressSubcommand>(app));
  subcommands.push_back(std::make_unique<MergeSubcommand>(app));
  subcommands.push_back(std::make_unique<StraceSubcommand>(app));
  subcommands.push_back(std::make_unique<CountSubcommand>(app));
  subcommands.push_back(std::make_unique<InjectSubcommand>(app));

  // Everything after the first "--" is the guest command, untouched by option parsing.
  int ravel_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      ravel_argc = i;
      in.after_dashes.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  in.had_dashes = ravel_argc != argc;
  try {
    app.parse(ravel_argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return UsageError(absl::StrCat(e.what(), " (see ravel --help)"));
  }
  if (in.verbose) logging::SetLogVerbosity(logging::INFO);
  for (const std::unique_ptr<Subcommand>& sub : subcommands) {
    if (sub->app()->parsed()) return sub->Run(in);
  }
  return UsageError("no command (see ravel --help)");
}

}  // namespace
}  // namespace ravel

int main(int argc, char** argv) { return ravel::Main(argc, argv); }
