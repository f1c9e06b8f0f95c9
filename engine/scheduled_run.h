// One scheduled run of a command, as `ravel run`, `ravel replay` and every schedule of
// `ravel stress` make it: the strategy stack built from a ScheduleConfig (a seeded strategy,
// or a recording to follow, or a guide; recorded, profiled or tracked for departures when
// asked) drives the scheduler; a replay is checked step by step against its recording
// (replay/replay_check.h); the run's signature (replay/signature.h) and recording
// (replay/schedule_builder.h) are made as it goes; the result comes back as data for the
// caller to print, write or compare.
//
// Usage:
//   ScheduleConfig config;
//   config.command = {"./my_test"};
//   config.settings.seed = 42;
//   ScheduleResult result = RunSchedule(config);
//   if (result.error.ok()) puts(SummaryLine(result, config.settings.seed, config.settings.strategy).c_str());
#ifndef RAVEL_ENGINE_SCHEDULED_RUN_H_
#define RAVEL_ENGINE_SCHEDULED_RUN_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/schedule_config.h"
#include "intercept/tracer.h"
#include "replay/schedule.h"
#include "strategies/surw_strategy.h"

namespace ravel {

inline constexpr char kRavelVersion[] = "0.1.0";

inline constexpr int kExitDeadlock = 3;
inline constexpr int kExitTimeout = 4;
inline constexpr int kExitDiverged = 5;

struct ScheduleResult {
  // Not OK when the run could not start (command not found: NotFound/PermissionDenied,
  // bad options: InvalidArgument) or ravel was interrupted (Cancelled); `exit_code` is
  // then what ravel exits with.
  absl::Status error;
  std::string outcome;              // pass, fail(exit N), fail(signal NAME), deadlock, timeout, diverged
  int exit_code = 0;                // the guest's status (128+signal), 3, 4 or 5
  uint64_t steps = 0;
  uint64_t choices = 0;             // steps where more than one thread could run (PCT's k)
  int threads = 0;
  uint64_t fingerprint = 0;
  int liveness_preemptions = 0;     // threads interrupted for running too long without a point
  uint64_t leased_points = 0;       // sync points made without a stop (the fast path)
  uint64_t planned_points = 0;      // yields made without a stop (the in-guest hand-off)
  uint64_t planned_markers = 0;     // sync points made without a stop in a plan's turns
  uint64_t planned_futex = 0;       // futex calls made without a stop in a plan's turns
  uint64_t planned_resumes = 0;     // futex waits through the page resumed in a plan's turns
  uint64_t guest_waits = 0;         // yields after which the thread waited in the guest
  uint64_t page_calls = 0;          // futex calls and yields made through the hand-off page
  // RDTSC/RDTSCP: whether they read the virtual TSC (the machine traps them) and how many
  // such reads (each an "rdtsc" step) the run had. CPUID: whether a fixed model answered.
  bool virtual_tsc = false;
  uint64_t rdtsc_points = 0;
  bool virtual_cpu = false;
  // Points where real time decided, not the seed (besides liveness preemptions): a call
  // moved on by the watchdog after blocking in the kernel ("blocked-in-kernel"), a thread
  // let into the kernel to wait for input from outside ("external-input"). Name -> count.
  std::map<std::string, int> real_time_events;
  uint64_t pct_steps = 0;           // the k the strategy used (pct), for reproducing by seed
  std::string deadlock_report;
  std::string divergence;           // replay: where and how the run left the recording
  std::string debugger_problem;     // --gdbserver: why gdb could not be served, if so
  bool killed_by_debugger = false;  // --gdbserver: gdb killed the program
  // Outcome and the last steps of the thread that made the final step: what failures of
  // the same bug share (stress buckets them by it).
  std::string signature;
  Schedule schedule;                // when recording: complete, ready to write
  double seconds = 0;               // real time of the run

  bool failed() const { return error.ok() && outcome != "pass"; }
};

// Runs `config` (Validate()d first: an invalid one is a usage error, printed). A surw run
// without an event profile makes its calibration run (ProfileEvents) first.
ScheduleResult RunSchedule(const ScheduleConfig& config);

// surw's calibration: `like`'s command and options, run once with rr and seed 0 (its
// output thrown away), and what each thread did there. run and stress make the same one,
// so a surw seed means the same schedule in both.
absl::StatusOr<std::shared_ptr<const EventProfile>> ProfileEvents(const ScheduleConfig& like);

// --virtual-cpu on a machine without CPUID faulting: says so once (stderr) and goes on.
void WarnIfNoVirtualCpu(bool virtual_cpu);

// A fork server for RunSchedule: `command` exec'd once, with the scheduler's
// subscription, ASLR off and these stdio, for ScheduleConfig::prototype.
absl::StatusOr<std::unique_ptr<GuestPrototype>> MakeSchedulePrototype(const std::vector<std::string>& command,
                                                                     const int stdio[3],
                                                                     const ScheduleConfig& like);

}  // namespace ravel

#endif  // RAVEL_ENGINE_SCHEDULED_RUN_H_
