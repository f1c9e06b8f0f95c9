#include "engine/scheduled_run.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/logging.h"
#include "base/proc.h"
#include "engine/gdb_debugger.h"
#include "engine/preempt.h"
#include "engine/run_text.h"
#include "engine/run_tool.h"
#include "intercept/guest.h"
#include "intercept/spawn.h"
#include "intercept/syscall_printer.h"
#include "replay/recording.h"
#include "replay/replay_check.h"
#include "replay/schedule_builder.h"
#include "replay/signature.h"
#include "scheduler/cpu_model.h"
#include "scheduler/scheduler.h"
#include "strategies/pct_strategy.h"
#include "strategies/strategy.h"

namespace ravel {
namespace {

// Keeps the warnings printed during a run (ScheduleConfig::warnings), each with the step
// whose handling printed it (the last step made).
struct WarningCapture {
  std::vector<RunWarning>* warnings;
  const uint64_t* steps;
  static void Listen(logging::Severity severity, const std::string& text, void* context) {
    auto* self = static_cast<WarningCapture*>(context);
    if (severity >= logging::WARNING) self->warnings->push_back(RunWarning{*self->steps > 0 ? *self->steps - 1 : 0, text});
  }
};

std::string StepName(int32_t what) { return WhatName(what); }

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

// The scheduler options every run of `config` shares with its prototype: the points and
// what the machine can trap.
SchedulerOptions PointOptions(const ScheduleConfig& config, const Preempt& points) {
  SchedulerOptions options;
  options.virtual_tsc = Guest::HasRdtscInterception();
  options.virtual_cpuid = config.settings.virtual_cpu && Guest::HasCpuidInterception();
  options.atomic_points = points.atomic;
  options.spin_points = points.spin;
  if (!config.settings.preempt_modules.empty()) options.atomic_modules = absl::StrSplit(config.settings.preempt_modules, ',');
  return options;
}

// surw's calibration run (ProfileEvents), its profile kept in `*profile`.
ScheduleResult CalibrationRun(const ScheduleConfig& like, EventProfile* profile) {
  ScheduleConfig calibrate;
  calibrate.command = like.command;
  calibrate.settings = like.settings;
  calibrate.settings.strategy = "rr";
  calibrate.settings.seed = 0;
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

// One run of a ScheduleConfig: owns the strategy stack, watches each step (the replay's
// checks, the signature, the recording) and turns the scheduler's state into the result.
class ScheduledRun {
 public:
  explicit ScheduledRun(const ScheduleConfig& config) : config_(config), replay_(config.replay) {}

  ScheduleResult Run();

 private:
  // The strategy stack, innermost first: a replayer, a guide or a seeded strategy (with a
  // profiler), then a recorder and a departure tracker when asked. False (and the result
  // an error) when the strategy cannot be made.
  bool BuildStrategies(StrategyOptions options);
  // The scheduler's options: the points, the seed (a replay's own), a replay's forced
  // preemptions, and OnStep at each step.
  SchedulerOptions MakeSchedulerOptions(const Preempt& points);
  // Each step: the tracker, the signature, the recording, and a replay's check. False
  // stops the run (the replay diverged).
  bool OnStep(uint64_t step, ThreadId thread, int64_t what, uint64_t fingerprint);
  // Runs the guest under `scheduler` (or gdb's debugger around it). False (and the result
  // an error) when the run did not go its course.
  bool Trace(Scheduler& scheduler);
  // The result from the scheduler after the run: counts, exit code, a replay's end
  // checked, the signature.
  void Collect(const Scheduler& scheduler, const SchedulerOptions& options);
  // The run's schedule, complete.
  Schedule Recording(const Scheduler& scheduler);
  // A usage error: printed, and the result's error and exit code.
  void SetUsageError(const absl::Status& error);

  const ScheduleConfig& config_;
  const Schedule* replay_;
  ScheduleResult result_;
  double start_ = MonotonicSeconds();

  std::unique_ptr<Strategy> seeded_;
  std::unique_ptr<ProfilingStrategy> profiler_;
  std::unique_ptr<GuidedStrategy> guided_;
  std::unique_ptr<ReplayStrategy> replayer_;
  std::unique_ptr<RecordingStrategy> recorder_;
  std::unique_ptr<DepartureTracker> tracker_;
  Strategy* strategy_ = nullptr;
  std::string strategy_name_;

  std::optional<ReplayChecker> checker_;
  SignatureTracker signature_;
  ScheduleBuilder recording_;
  uint64_t steps_seen_ = 0;
};

void ScheduledRun::SetUsageError(const absl::Status& error) {
  result_.error = error;
  result_.exit_code = UsageError(std::string(error.message()));
}

bool ScheduledRun::BuildStrategies(StrategyOptions options) {
  if (replay_ != nullptr) {
    replayer_ = std::make_unique<ReplayStrategy>(replay_->decisions, replay_->strategy);
    strategy_ = replayer_.get();
    strategy_name_ = replay_->strategy;
    checker_.emplace(*replay_, *replayer_);
  } else if (config_.guide != nullptr) {
    guided_ = std::make_unique<GuidedStrategy>(*config_.guide, config_.settings.strategy);
    strategy_ = guided_.get();
    strategy_name_ = config_.settings.strategy;
  } else {
    absl::StatusOr<std::unique_ptr<Strategy>> made = MakeStrategy(config_.settings.strategy, options);
    if (!made.ok()) {
      SetUsageError(made.status());
      return false;
    }
    seeded_ = std::move(*made);
    strategy_name_ = std::string(seeded_->name());
    strategy_ = seeded_.get();
    if (config_.profile_out != nullptr) {
      profiler_ = std::make_unique<ProfilingStrategy>(*seeded_);
      strategy_ = profiler_.get();
    }
  }
  if (config_.record && replay_ == nullptr) {
    Strategy& inner = guided_ != nullptr ? static_cast<Strategy&>(*guided_) : *seeded_;
    recorder_ = std::make_unique<RecordingStrategy>(inner);
    strategy_ = recorder_.get();
  }
  if (config_.departures != nullptr) {
    tracker_ = std::make_unique<DepartureTracker>(*strategy_);
    strategy_ = tracker_.get();
  }
  if (strategy_name_ == "pct" && config_.guide == nullptr) {
    result_.pct_steps = config_.settings.pct_steps != 0 ? config_.settings.pct_steps : PctStrategy::kDefaultSteps;
  }
  return true;
}

SchedulerOptions ScheduledRun::MakeSchedulerOptions(const Preempt& points) {
  SchedulerOptions options = PointOptions(config_, points);
  options.seed = replay_ != nullptr ? replay_->seed : config_.settings.seed;
  options.timeout_seconds = config_.settings.timeout_seconds;
  options.log_decisions = config_.verbose;
  options.cpus = config_.cpus;
  options.time_chaos = points.time;
  options.fast_path = config_.settings.fast_path;
  if (!config_.cpu_model.empty()) {
    absl::StatusOr<CpuModel> model = CpuModel::Parse(config_.cpu_model);
    if (model.ok()) options.cpu_model = *model;  // (checked by the replay's setup)
  }
  if (replay_ != nullptr) {
    for (const ExternalEvent& e : replay_->external) {
      if (!e.preemption.has_value()) continue;
      options.preemptions.push_back(ForcedPreemption{e.step, e.thread, e.preemption->rip, e.preemption->reg_hash});
    }
  }
  options.observer = config_.observer;
  options.on_step = [this](uint64_t step, ThreadId thread, int64_t what, uint64_t fingerprint) {
    return OnStep(step, thread, what, fingerprint);
  };
  return options;
}

bool ScheduledRun::OnStep(uint64_t step, ThreadId thread, int64_t what, uint64_t fingerprint) {
  if (tracker_ != nullptr) tracker_->set_step(step);
  signature_.OnStep(thread, what);
  steps_seen_ = step + 1;
  if (config_.step_fingerprints != nullptr) config_.step_fingerprints->push_back(fingerprint);
  if (recorder_ != nullptr) recording_.OnStep(step, thread, what, fingerprint);
  if (!checker_.has_value()) return true;
  std::optional<std::string> divergence = checker_->CheckStep(step, thread, what, fingerprint, StepName);
  if (!divergence.has_value()) return true;
  result_.divergence = *std::move(divergence);
  return false;
}

bool ScheduledRun::Trace(Scheduler& scheduler) {
  TracerOptions tracer_options;
  tracer_options.disable_aslr = true;  // addresses are inputs too
  tracer_options.split_cpus = config_.settings.cpu_split;
  for (int fd = 0; fd < 3; ++fd) tracer_options.stdio[fd] = config_.stdio[fd];
  std::unique_ptr<GdbDebugger> debugger;
  if (config_.gdbserver != nullptr) {
    debugger = std::make_unique<GdbDebugger>(scheduler, *config_.gdbserver,
                                             replay_ != nullptr ? replay_->command : ResolvedCommand(config_.command[0]));
  }
  Tracer tracer(debugger != nullptr ? static_cast<Tool&>(*debugger) : scheduler, tracer_options);
  WarningCapture capture{config_.warnings, &steps_seen_};
  if (config_.warnings != nullptr) logging::SetLogListener(&WarningCapture::Listen, &capture);
  absl::StatusOr<RunResult> run =
      config_.prototype != nullptr ? tracer.Run(*config_.prototype) : tracer.Run(config_.command);
  if (config_.warnings != nullptr) logging::SetLogListener(nullptr, nullptr);
  result_.seconds = MonotonicSeconds() - start_;
  if (debugger != nullptr) {
    result_.debugger_problem = debugger->problem();
    result_.killed_by_debugger = debugger->killed();
  }
  if (std::optional<int> code = ReportUnfinishedRun(run, config_.command)) {
    result_.exit_code = *code;
    result_.error = run.ok() ? absl::CancelledError(run->interrupted_by != 0 ? "interrupted" : "exec failed")
                             : run.status();
    return false;
  }
  result_.exit_code = run->ExitCode();
  result_.outcome = OutcomeOf(scheduler, run->main_status);
  return true;
}

void ScheduledRun::Collect(const Scheduler& scheduler, const SchedulerOptions& options) {
  result_.steps = scheduler.steps();
  result_.choices = scheduler.choices();
  if (config_.profile_out != nullptr && profiler_ != nullptr) *config_.profile_out = profiler_->profile();
  result_.threads = scheduler.threads_created();
  result_.liveness_preemptions = scheduler.liveness_preemptions();
  result_.leased_points = scheduler.leased_points();
  result_.planned_points = scheduler.planned_points();
  result_.planned_markers = scheduler.planned_markers();
  result_.planned_futex = scheduler.planned_futex();
  result_.planned_resumes = scheduler.planned_resumes();
  result_.guest_waits = scheduler.guest_waits();
  result_.page_calls = scheduler.page_calls();
  result_.virtual_tsc = options.virtual_tsc;
  result_.rdtsc_points = scheduler.rdtsc_points();
  result_.virtual_cpu = options.virtual_cpuid;
  for (const Scheduler::ExternalNote& e : scheduler.external_events()) {
    if (e.kind != "preempt") ++result_.real_time_events[absl::StrCat(e.kind, " (", e.detail, ")")];
  }
  result_.fingerprint = scheduler.fingerprint();
  if (tracker_ != nullptr) *config_.departures = tracker_->departures();
  if (scheduler.deadlocked()) {
    result_.exit_code = kExitDeadlock;
    result_.deadlock_report = scheduler.deadlock_report();
  } else if (scheduler.timed_out()) {
    result_.exit_code = kExitTimeout;
  }
  if (checker_.has_value() && result_.divergence.empty()) {
    // Every step matched; the run must also have ended where and as the recording did.
    const ReplayEnd end{result_.steps, result_.outcome, result_.fingerprint, result_.threads};
    if (std::optional<std::string> divergence = checker_->CheckEnd(end, StepName)) result_.divergence = *divergence;
  }
  if (!result_.divergence.empty()) {
    result_.outcome = "diverged";
    result_.exit_code = kExitDiverged;
  }
  result_.signature = signature_.Signature(result_.outcome, result_.threads, StepName);
}

Schedule ScheduledRun::Recording(const Scheduler& scheduler) {
  RecordingHeader header;
  header.ravel_version = kRavelVersion;
  header.command = ResolvedCommand(config_.command[0]);
  header.args = config_.command;
  header.cwd = Cwd();
  absl::StatusOr<uint64_t> hash = CachedHashFile(header.command);
  header.exe_hash = hash.ok() ? *hash : 0;
  header.strategy = strategy_name_;
  header.seed = config_.settings.seed;
  header.guided = config_.guide != nullptr;
  header.pct_depth = config_.settings.pct_depth;
  header.pct_steps = result_.pct_steps;
  header.model = kSchedulerModel;
  // Whether the guest read a virtual TSC (this machine traps RDTSC) or the host's.
  header.virtual_tsc = Guest::HasRdtscInterception();
  // The CPU model the guest's CPUID read (a replay's, or this host's), or "host": no
  // --virtual-cpu, or CPUID does not fault here.
  header.cpuid = !(config_.settings.virtual_cpu && Guest::HasCpuidInterception()) ? "host"
                 : !config_.cpu_model.empty()                           ? config_.cpu_model
                                                                        : CpuModel::OfThisHost().Serialize();
  header.timeout_seconds = config_.settings.timeout_seconds;
  header.preempt = config_.settings.preempt;
  header.preempt_modules = config_.settings.preempt_modules;
  for (int fd = 0; fd < 3; ++fd) header.stdio_kinds.push_back(FdKind(config_.stdio[fd] >= 0 ? config_.stdio[fd] : fd));
  std::vector<ExternalEvent> external;
  for (const Scheduler::ExternalNote& e : scheduler.external_events()) {
    external.push_back(e.kind == "preempt" ? PreemptionEvent(e.step, e.thread, PreemptionSite{e.rip, e.reg_hash})
                                           : ExternalEvent{e.step, e.thread, e.kind, e.detail, std::nullopt});
  }
  return recording_.Finish(header, recorder_->decisions(), std::move(external),
                           RecordingTrailer{result_.outcome, result_.fingerprint, result_.threads});
}

ScheduleResult ScheduledRun::Run() {
  if (absl::Status valid = config_.Validate(); !valid.ok()) {
    SetUsageError(valid);
    return std::move(result_);
  }
  StrategyOptions strategy_options;
  strategy_options.event_profile = config_.event_profile;
  if (config_.settings.strategy == "surw" && replay_ == nullptr && config_.guide == nullptr &&
      config_.event_profile == nullptr) {
    auto profile = std::make_shared<EventProfile>();
    ScheduleResult calibration = CalibrationRun(config_, profile.get());
    if (!calibration.error.ok()) return calibration;
    strategy_options.event_profile = std::move(profile);
  }
  strategy_options.pct_depth = config_.settings.pct_depth;
  strategy_options.pct_steps_hint = config_.settings.pct_steps;
  const Preempt points = config_.settings.preempt.empty() ? Preempt{} : *ParsePreempt(config_.settings.preempt);
  if (points.time) strategy_options.time_jump_percent = kTimeChaosPercent;
  if (!BuildStrategies(strategy_options)) return std::move(result_);
  const SchedulerOptions scheduler_options = MakeSchedulerOptions(points);
  Scheduler scheduler(*strategy_, scheduler_options);
  if (!Trace(scheduler)) return std::move(result_);
  Collect(scheduler, scheduler_options);
  if (recorder_ != nullptr) result_.schedule = Recording(scheduler);
  return std::move(result_);
}

}  // namespace

ScheduleResult RunSchedule(const ScheduleConfig& config) { return ScheduledRun(config).Run(); }

absl::StatusOr<std::shared_ptr<const EventProfile>> ProfileEvents(const ScheduleConfig& like) {
  auto profile = std::make_shared<EventProfile>();
  ScheduleResult r = CalibrationRun(like, profile.get());
  if (!r.error.ok()) return r.error;
  return std::shared_ptr<const EventProfile>(std::move(profile));
}

void WarnIfNoVirtualCpu(bool virtual_cpu) {
  if (virtual_cpu && !Guest::HasCpuidInterception()) {
    fprintf(stderr, "ravel: --virtual-cpu: this machine offers no CPUID faulting (arch_prctl ARCH_SET_CPUID fails); "
                    "the guest reads the host's CPUID\n");
  }
}

absl::StatusOr<std::unique_ptr<GuestPrototype>> MakeSchedulePrototype(const std::vector<std::string>& command,
                                                                     const int stdio[3],
                                                                     const ScheduleConfig& like) {
  absl::StatusOr<std::unique_ptr<Strategy>> strategy = MakeStrategy("random", StrategyOptions{});
  if (!strategy.ok()) return strategy.status();
  // The subscription of `like`'s runs: it depends on their atomic points and on whether
  // RDTSC traps (as RunSchedule sets them).
  Preempt points;
  if (!like.settings.preempt.empty()) {
    absl::StatusOr<Preempt> preempt = ParsePreempt(like.settings.preempt);
    if (preempt.ok()) points = *preempt;
  }
  Scheduler scheduler(**strategy, PointOptions(like, points));
  TracerOptions options;
  options.disable_aslr = true;  // as RunSchedule's runs
  for (int fd = 0; fd < 3; ++fd) options.stdio[fd] = stdio[fd];
  return GuestPrototype::Create(command, scheduler.subscription(), options);
}

}  // namespace ravel
