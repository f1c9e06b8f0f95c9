#include "cli/schedule_run.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <ctime>
#include <deque>
#include <map>
#include <memory>

#include "base/proc.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/logging.h"
#include "cli/gdb_debugger.h"
#include "cli/preempt.h"
#include "cli/run_tool.h"
#include "intercept/guest.h"
#include "intercept/spawn.h"
#include "intercept/syscall_table.h"
#include "intercept/tracer.h"
#include "replay/recording.h"
#include "scheduler/scheduler.h"
#include "strategies/pct_strategy.h"
#include "strategies/strategy.h"

namespace ravel {
namespace {

// Steps of the last thread that make up a failure's signature.
constexpr size_t kSignatureSteps = 3;


// Keeps the warnings printed during a run (ScheduleSpec::warnings), each with the step
// whose handling printed it (the last step made).
struct WarningCapture {
  std::vector<RunWarning>* warnings;
  const uint64_t* steps;
  static void Listen(logging::Severity severity, const std::string& text, void* context) {
    auto* self = static_cast<WarningCapture*>(context);
    if (severity >= logging::WARNING) self->warnings->push_back(RunWarning{*self->steps > 0 ? *self->steps - 1 : 0, text});
  }
};

std::string DescribeStep(ThreadId thread, int64_t what) {
  return absl::StrCat("T", thread, " ", WhatName(what), what >= 0 ? "(...)" : "");
}

std::string OutcomeOf(const Scheduler& scheduler, int status) {
  if (scheduler.stopped()) return "diverged";
  if (scheduler.deadlocked()) return "deadlock";
  if (scheduler.timed_out()) return "timeout";
  if (WIFSIGNALED(status)) return absl::StrCat("fail(signal ", std::string(SignalName(WTERMSIG(status))), ")");
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) return absl::StrCat("fail(exit ", WEXITSTATUS(status), ")");
  return "pass";
}

std::string Cwd() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof(buf)) != nullptr ? std::string(buf) : std::string();
}

// An absolute path for the executable `word` names (as a shell's PATH search finds it).
std::string ResolvedCommand(const std::string& word) {
  absl::StatusOr<std::string> path = ResolveCommand(word);
  std::string resolved = path.ok() ? *path : word;
  if (!resolved.empty() && resolved[0] != '/') resolved = absl::StrCat(Cwd(), "/", resolved);
  return resolved;
}

}  // namespace

std::string WhatName(int64_t what) {
  if (what >= 0) return std::string(Syscall(what).name());
  absl::string_view name = StepWhatName(static_cast<int32_t>(what));
  return name.empty() ? absl::StrCat("event", what) : std::string(name);
}

std::string FdKind(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return "closed";
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISFIFO(st.st_mode)) return "pipe";
  if (S_ISSOCK(st.st_mode)) return "socket";
  if (S_ISDIR(st.st_mode)) return "dir";
  if (S_ISCHR(st.st_mode)) return isatty(fd) ? "tty" : "chr";
  return "other";
}

std::string ShellQuote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789@%+=:,./_-") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string ReplayCommandLine(const std::string& schedule_path) {
  return absl::StrCat("ravel replay ", ShellQuote(schedule_path));
}

std::string ProgramName(const std::vector<std::string>& command) {
  std::string name = command.empty() ? "program" : command[0];
  if (size_t slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  for (const std::string& arg : command) {
    if (absl::StartsWith(arg, "--gtest_filter=")) absl::StrAppend(&name, "-", arg.substr(15));
  }
  // Only characters that are safe in a file name.
  for (char& c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  }
  return name.empty() ? "program" : name;
}

namespace {

// HashFile of the executable, once per file version: stress records every schedule, and
// a test binary can be large.
absl::StatusOr<uint64_t> CachedHashFile(const std::string& path) {
  struct Key {
    std::string path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
  };
  static Key last{};
  static uint64_t last_hash = 0;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return HashFile(path);
  if (last.path == path && last.dev == st.st_dev && last.ino == st.st_ino && last.size == st.st_size &&
      last.mtime.tv_sec == st.st_mtim.tv_sec && last.mtime.tv_nsec == st.st_mtim.tv_nsec) {
    return last_hash;
  }
  absl::StatusOr<uint64_t> hash = HashFile(path);
  if (hash.ok()) {
    last = Key{path, st.st_dev, st.st_ino, st.st_size, st.st_mtim};
    last_hash = *hash;
  }
  return hash;
}

}  // namespace

std::string SummaryLine(const ScheduleResult& result, uint64_t seed, const std::string& strategy) {
  std::string line = absl::StrFormat("ravel: %s steps=%d threads=%d fingerprint=%016x seed=%d strategy=%s",
                                     result.outcome, result.steps, result.threads, result.fingerprint, seed, strategy);
  // RDTSC: how many reads were points, or that this machine lets the guest read the host's
  // counter (PR_SET_TSC has no effect here), so a run may depend on it.
  if (!result.virtual_tsc) {
    absl::StrAppend(&line, " rdtsc=host");
  } else if (result.rdtsc_points > 0) {
    absl::StrAppend(&line, " rdtsc=", result.rdtsc_points);
  }
  return line;
}

void WarnIfNoVirtualCpu(bool virtual_cpu) {
  if (virtual_cpu && !Guest::HasCpuidInterception()) {
    fprintf(stderr, "ravel: --virtual-cpu: this machine offers no CPUID faulting (arch_prctl ARCH_SET_CPUID fails); "
                    "the guest reads the host's CPUID\n");
  }
}

absl::StatusOr<std::unique_ptr<GuestPrototype>> MakeSchedulePrototype(const std::vector<std::string>& command,
                                                                     const int stdio[3],
                                                                     const ScheduleSpec& like) {
  absl::StatusOr<std::unique_ptr<Strategy>> strategy = MakeStrategy("random", StrategyOptions{});
  if (!strategy.ok()) return strategy.status();
  // The subscription of `like`'s runs: it depends on their atomic points and on whether
  // RDTSC traps (as RunSchedule sets them).
  SchedulerOptions scheduler_options;
  scheduler_options.virtual_tsc = Guest::HasRdtscInterception();
  scheduler_options.virtual_cpuid = like.virtual_cpu && Guest::HasCpuidInterception();
  if (!like.preempt.empty()) {
    absl::StatusOr<Preempt> preempt = ParsePreempt(like.preempt);
    if (preempt.ok()) {
      scheduler_options.atomic_points = preempt->atomic;
      scheduler_options.spin_points = preempt->spin;
    }
  }
  if (!like.preempt_modules.empty()) {
    scheduler_options.atomic_modules = absl::StrSplit(like.preempt_modules, ',');
  }
  Scheduler scheduler(**strategy, scheduler_options);
  TracerOptions options;
  options.disable_aslr = true;  // as RunSchedule's runs
  for (int fd = 0; fd < 3; ++fd) options.stdio[fd] = stdio[fd];
  return GuestPrototype::Create(command, scheduler.subscription(), options);
}

namespace {

// surw's calibration run (ProfileEvents), its profile kept in `*profile`.
ScheduleResult CalibrationRun(const ScheduleSpec& like, EventProfile* profile) {
  ScheduleSpec calibrate;
  calibrate.command = like.command;
  calibrate.strategy = "rr";
  calibrate.seed = 0;
  calibrate.timeout_seconds = like.timeout_seconds;
  calibrate.preempt = like.preempt;
  calibrate.preempt_modules = like.preempt_modules;
  calibrate.virtual_cpu = like.virtual_cpu;
  calibrate.cpus = like.cpus;
  calibrate.profile_out = profile;
  const int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int& fd : calibrate.stdio) fd = devnull;
  ScheduleResult r = RunSchedule(calibrate);
  if (devnull >= 0) close(devnull);
  if (r.error.ok() && like.verbose) {
    fprintf(stderr, "ravel: surw: calibration run (rr, seed 0): %s\n", profile->Summary().c_str());
  }
  return r;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const EventProfile>> ProfileEvents(const ScheduleSpec& like) {
  auto profile = std::make_shared<EventProfile>();
  ScheduleResult r = CalibrationRun(like, profile.get());
  if (!r.error.ok()) return r.error;
  return std::shared_ptr<const EventProfile>(std::move(profile));
}

ScheduleResult RunSchedule(const ScheduleSpec& spec) {
  ScheduleResult result;
  const double start = MonotonicSeconds();
  const Schedule* replay = spec.replay;

  // The strategy: a recording to follow, or a seeded one (recorded when asked).
  StrategyOptions strategy_options;
  strategy_options.event_profile = spec.event_profile;
  if (spec.strategy == "surw" && replay == nullptr && spec.guide == nullptr && spec.event_profile == nullptr) {
    auto profile = std::make_shared<EventProfile>();
    ScheduleResult calibration = CalibrationRun(spec, profile.get());
    if (!calibration.error.ok()) return calibration;
    strategy_options.event_profile = std::move(profile);
  }
  strategy_options.pct_depth = spec.pct_depth;
  strategy_options.pct_steps_hint = spec.pct_steps;
  bool time_chaos = false, atomic_points = false, spin_points = false;
  if (!spec.preempt.empty()) {
    absl::StatusOr<Preempt> preempt = ParsePreempt(spec.preempt);
    if (!preempt.ok()) {
      result.error = preempt.status();
      result.exit_code = UsageError(std::string(preempt.status().message()));
      return result;
    }
    time_chaos = preempt->time;
    atomic_points = preempt->atomic;
    spin_points = preempt->spin;
  }
  if (time_chaos) strategy_options.time_jump_percent = kTimeChaosPercent;
  std::unique_ptr<Strategy> seeded;
  std::unique_ptr<RecordingStrategy> recorder;
  std::unique_ptr<ReplayStrategy> replayer;
  Strategy* strategy = nullptr;
  std::string strategy_name;
  std::unique_ptr<GuidedStrategy> guided;
  std::unique_ptr<DepartureTracker> tracker;
  std::unique_ptr<ProfilingStrategy> profiler;
  if (replay != nullptr) {
    replayer = std::make_unique<ReplayStrategy>(replay->decisions, replay->strategy);
    strategy = replayer.get();
    strategy_name = replay->strategy;
  } else if (spec.guide != nullptr) {
    guided = std::make_unique<GuidedStrategy>(*spec.guide, spec.strategy);
    strategy = guided.get();
    strategy_name = spec.strategy;
    if (spec.record) {
      recorder = std::make_unique<RecordingStrategy>(*guided);
      strategy = recorder.get();
    }
  } else {
    absl::StatusOr<std::unique_ptr<Strategy>> made = MakeStrategy(spec.strategy, strategy_options);
    if (!made.ok()) {
      result.error = made.status();
      result.exit_code = UsageError(std::string(made.status().message()));
      return result;
    }
    seeded = std::move(*made);
    strategy_name = std::string(seeded->name());
    strategy = seeded.get();
    if (spec.profile_out != nullptr) {
      profiler = std::make_unique<ProfilingStrategy>(*seeded);
      strategy = profiler.get();
    }
    if (spec.record) {
      recorder = std::make_unique<RecordingStrategy>(*seeded);
      strategy = recorder.get();
    }
  }
  if (spec.departures != nullptr) {
    tracker = std::make_unique<DepartureTracker>(*strategy);
    strategy = tracker.get();
  }
  if (strategy_name == "pct" && spec.guide == nullptr) result.pct_steps = spec.pct_steps != 0 ? spec.pct_steps : PctStrategy::kDefaultSteps;

  Schedule& out = result.schedule;
  // The last steps of each thread, for the signature.
  std::map<ThreadId, std::deque<int64_t>> recent;
  ThreadId last_thread = kNoThread;
  size_t next_checkpoint = 0;
  uint64_t steps_seen = 0;

  SchedulerOptions scheduler_options;
  scheduler_options.seed = replay != nullptr ? replay->seed : spec.seed;
  scheduler_options.timeout_seconds = spec.timeout_seconds;
  scheduler_options.log_decisions = spec.verbose;
  scheduler_options.cpus = spec.cpus;
  scheduler_options.time_chaos = time_chaos;
  scheduler_options.virtual_tsc = Guest::HasRdtscInterception();
  scheduler_options.virtual_cpuid = spec.virtual_cpu && Guest::HasCpuidInterception();
  scheduler_options.fast_path = spec.fast_path;
  if (!spec.cpu_model.empty()) {
    absl::StatusOr<CpuModel> model = CpuModel::Parse(spec.cpu_model);
    if (model.ok()) scheduler_options.cpu_model = *model;  // (checked by the replay's setup)
  }
  scheduler_options.atomic_points = atomic_points;
  scheduler_options.spin_points = spin_points;
  if (!spec.preempt_modules.empty()) scheduler_options.atomic_modules = absl::StrSplit(spec.preempt_modules, ',');
  if (replay != nullptr) {
    for (const ExternalEvent& e : replay->external) {
      if (!e.preemption.has_value()) continue;
      scheduler_options.preemptions.push_back(
          ForcedPreemption{e.step, e.thread, e.preemption->rip, e.preemption->reg_hash});
    }
  }
  scheduler_options.observer = spec.observer;
  scheduler_options.on_step = [&](uint64_t step, ThreadId thread, int64_t what, uint64_t fingerprint) {
    if (tracker != nullptr) tracker->set_step(step);
    std::deque<int64_t>& mine = recent[thread];
    mine.push_back(what);
    if (mine.size() > kSignatureSteps) mine.pop_front();
    last_thread = thread;
    steps_seen = step + 1;
    if (spec.step_fingerprints != nullptr) spec.step_fingerprints->push_back(fingerprint);
    if (spec.record) {
      out.steps.push_back(StepEvent{thread, static_cast<int32_t>(what)});
      if ((step + 1) % kCheckpointEvery == 0) out.checkpoints.push_back(Checkpoint{step, fingerprint});
    }
    if (replay == nullptr) return true;
    if (replayer->diverged()) {
      result.divergence = absl::StrCat("step ", step, ": ", replayer->divergence());
      return false;
    }
    if (step >= replay->steps.size()) {
      result.divergence = absl::StrCat("step ", step, ": the recorded run had ended (", replay->steps.size(),
                                       " steps), now ", DescribeStep(thread, what));
      return false;
    }
    const StepEvent& want = replay->steps[step];
    if (want.thread != thread || want.what != what) {
      result.divergence = absl::StrCat("step ", step, ": recorded ", DescribeStep(want.thread, want.what), ", now ",
                                       DescribeStep(thread, what));
      return false;
    }
    while (next_checkpoint < replay->checkpoints.size() && replay->checkpoints[next_checkpoint].step < step) {
      ++next_checkpoint;
    }
    if (next_checkpoint < replay->checkpoints.size() && replay->checkpoints[next_checkpoint].step == step) {
      const uint64_t recorded = replay->checkpoints[next_checkpoint].hash;
      if (recorded != fingerprint) {
        const uint64_t since = next_checkpoint == 0 ? 0 : replay->checkpoints[next_checkpoint - 1].step + 1;
        result.divergence = absl::StrFormat(
            "step %d: %s as recorded, but the arguments or results of a step since step %d differ "
            "(fingerprint %016x, recorded %016x)",
            step, DescribeStep(thread, what), since, fingerprint, recorded);
        return false;
      }
      ++next_checkpoint;
    }
    return true;
  };
  Scheduler scheduler(*strategy, scheduler_options);
  TracerOptions tracer_options;
  tracer_options.disable_aslr = true;  // addresses are inputs too
  for (int fd = 0; fd < 3; ++fd) tracer_options.stdio[fd] = spec.stdio[fd];
  std::unique_ptr<GdbDebugger> debugger;
  if (spec.gdbserver != nullptr) {
    debugger = std::make_unique<GdbDebugger>(scheduler, *spec.gdbserver,
                                             replay != nullptr ? replay->command : ResolvedCommand(spec.command[0]));
  }
  Tracer tracer(debugger != nullptr ? static_cast<Tool&>(*debugger) : scheduler, tracer_options);
  WarningCapture capture{spec.warnings, &steps_seen};
  if (spec.warnings != nullptr) logging::SetLogListener(&WarningCapture::Listen, &capture);
  absl::StatusOr<RunResult> run = spec.prototype != nullptr ? tracer.Run(*spec.prototype) : tracer.Run(spec.command);
  if (spec.warnings != nullptr) logging::SetLogListener(nullptr, nullptr);
  result.seconds = MonotonicSeconds() - start;
  if (debugger != nullptr) {
    result.debugger_problem = debugger->problem();
    result.killed_by_debugger = debugger->killed();
  }
  if (std::optional<int> code = ReportUnfinishedRun(run, spec.command)) {
    result.exit_code = *code;
    result.error = run.ok() ? absl::CancelledError(run->interrupted_by != 0 ? "interrupted" : "exec failed")
                            : run.status();
    return result;
  }

  result.steps = scheduler.steps();
  result.choices = scheduler.choices();
  if (spec.profile_out != nullptr && profiler != nullptr) *spec.profile_out = profiler->profile();
  result.threads = scheduler.threads_created();
  result.liveness_preemptions = scheduler.liveness_preemptions();
  result.leased_points = scheduler.leased_points();
  result.virtual_tsc = scheduler_options.virtual_tsc;
  result.rdtsc_points = scheduler.rdtsc_points();
  result.virtual_cpu = scheduler_options.virtual_cpuid;
  for (const Scheduler::ExternalNote& e : scheduler.external_events()) {
    if (e.kind != "preempt") ++result.real_time_events[absl::StrCat(e.kind, " (", e.detail, ")")];
  }
  result.fingerprint = scheduler.fingerprint();
  result.outcome = OutcomeOf(scheduler, run->main_status);
  if (tracker != nullptr) *spec.departures = tracker->departures();
  result.exit_code = run->ExitCode();
  if (scheduler.deadlocked()) {
    result.exit_code = kExitDeadlock;
    result.deadlock_report = scheduler.deadlock_report();
  } else if (scheduler.timed_out()) {
    result.exit_code = kExitTimeout;
  }
  if (replay != nullptr && result.divergence.empty()) {
    // Every step matched; the run must also have ended where and as the recording did.
    if (replayer->diverged()) {
      result.divergence = absl::StrCat("step ", result.steps, ": ", replayer->divergence());
    } else if (result.steps < replay->steps.size()) {
      const StepEvent& want = replay->steps[result.steps];
      result.divergence = absl::StrCat("step ", result.steps, ": recorded ", DescribeStep(want.thread, want.what),
                                       ", now the run ended (", result.outcome, ")");
    } else if (!replayer->finished()) {
      result.divergence = absl::StrCat("step ", result.steps, ": the run ended with recorded decisions left (",
                                       replayer->consumed(), " of ", replay->decisions.size(), " taken)");
    } else if (result.outcome != replay->outcome) {
      result.divergence = absl::StrCat("step ", result.steps, ": recorded outcome ", replay->outcome, ", now ",
                                       result.outcome);
    } else if (result.fingerprint != replay->fingerprint) {
      result.divergence = absl::StrFormat("step %d: fingerprint %016x, recorded %016x", result.steps,
                                          result.fingerprint, replay->fingerprint);
    } else if (replay->threads > 0 && result.threads != replay->threads) {
      result.divergence = absl::StrCat("step ", result.steps, ": the recorded run had ", replay->threads,
                                       " threads, this one ", result.threads);
    }
  }
  if (!result.divergence.empty()) {
    result.outcome = "diverged";
    result.exit_code = kExitDiverged;
  }

  // The signature: the outcome and what the last thread did last; for a deadlock, what
  // each thread did last (ids left out: the same bug may strike another worker thread).
  std::vector<std::string> parts;
  if (result.outcome == "deadlock") {
    for (const auto& [thread, whats] : recent) parts.push_back(WhatName(whats.back()));
    std::sort(parts.begin(), parts.end());
  } else if (auto it = recent.find(last_thread); it != recent.end()) {
    for (int64_t what : it->second) parts.push_back(WhatName(what));
  }
  if (result.threads <= 1) {
    // One thread all along: its calls were not scheduling points (only the few the
    // scheduler answers stop, most of them the dynamic loader's), so they name nothing.
    result.signature = absl::StrCat(result.outcome, " in a single-threaded run");
  } else {
    result.signature = absl::StrCat(result.outcome, " after ", parts.empty() ? "nothing" : absl::StrJoin(parts, " > "));
  }

  if (spec.record && replay == nullptr) {
    out.ravel_version = kRavelVersion;
    out.command = ResolvedCommand(spec.command[0]);
    out.args = spec.command;
    out.cwd = Cwd();
    absl::StatusOr<uint64_t> hash = CachedHashFile(out.command);
    out.exe_hash = hash.ok() ? *hash : 0;
    out.strategy = strategy_name;
    out.seed = spec.seed;
    // A guided run is not the seed's: only its recorded decisions reproduce it.
    if (strategy_name == "pct" && spec.guide == nullptr) {
      out.options.emplace_back("pct-depth", absl::StrCat(spec.pct_depth));
      out.options.emplace_back("pct-steps", absl::StrCat(result.pct_steps));
    }
    out.options.emplace_back("model", absl::StrCat(kSchedulerModel));
    // Whether the guest read a virtual TSC (this machine traps RDTSC) or the host's.
    out.options.emplace_back("tsc", Guest::HasRdtscInterception() ? "virtual" : "host");
    // The CPU model the guest's CPUID read (a replay's, or this host's), or "host": no
    // --virtual-cpu, or CPUID does not fault here.
    out.options.emplace_back("cpuid", !(spec.virtual_cpu && Guest::HasCpuidInterception()) ? "host"
                                      : !spec.cpu_model.empty() ? spec.cpu_model
                                                                : CpuModel::OfThisHost().Serialize());
    if (spec.timeout_seconds > 0) out.options.emplace_back("timeout", absl::StrCat(spec.timeout_seconds));
    if (!spec.preempt.empty() && spec.preempt != "syscall") out.options.emplace_back("preempt", spec.preempt);
    if (!spec.preempt_modules.empty()) out.options.emplace_back("preempt-modules", spec.preempt_modules);
    std::vector<std::string> kinds;
    for (int fd = 0; fd < 3; ++fd) kinds.push_back(FdKind(spec.stdio[fd] >= 0 ? spec.stdio[fd] : fd));
    out.options.emplace_back("stdio", absl::StrJoin(kinds, ","));
    out.decisions = recorder->decisions();
    for (const Scheduler::ExternalNote& e : scheduler.external_events()) {
      out.external.push_back(e.kind == "preempt" ? PreemptionEvent(e.step, e.thread, PreemptionSite{e.rip, e.reg_hash})
                                                 : ExternalEvent{e.step, e.thread, e.kind, e.detail, std::nullopt});
    }
    out.outcome = result.outcome;
    out.fingerprint = result.fingerprint;
    out.threads = result.threads;
  }
  return result;
}

}  // namespace ravel
