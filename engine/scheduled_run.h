// One scheduled run of a command, as `ravel run`, `ravel replay` and every schedule of
// `ravel stress` make it: the strategy (or a recorded schedule) drives the scheduler, the
// run's decisions and steps are recorded, and the result comes back as data for the
// caller to print, write or compare.
#ifndef RAVEL_CLI_SCHEDULE_RUN_H_
#define RAVEL_CLI_SCHEDULE_RUN_H_

#include <sched.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "intercept/tracer.h"
#include "replay/departures.h"
#include "replay/schedule.h"
#include "replay/verify.h"
#include "scheduler/scheduler.h"
#include "strategies/surw_strategy.h"

namespace ravel {

inline constexpr char kRavelVersion[] = "0.1.0";

inline constexpr int kExitDeadlock = 3;
inline constexpr int kExitTimeout = 4;
inline constexpr int kExitDiverged = 5;

// Checkpoints of the rolling fingerprint in a recorded schedule: one every this many steps.
inline constexpr uint64_t kCheckpointEvery = 256;

namespace gdb {
class Server;
}

struct ScheduleSpec {
  std::vector<std::string> command;
  std::string strategy = "pct";
  uint64_t seed = 1;
  int pct_depth = 3;
  uint64_t pct_steps = 0;           // 0: the strategy's default
  double timeout_seconds = 0;       // real time; 0: none
  bool verbose = false;
  // Follow this recording instead of a strategy: its decisions, its seed (for the guest's
  // random data), and its steps, checked one by one.
  const Schedule* replay = nullptr;
  bool record = false;              // keep the decisions and steps in ScheduleResult::schedule
  int stdio[3] = {-1, -1, -1};      // the guest's stdin/stdout/stderr (-1: ravel's own)
  // Run a copy of this (MakeSchedulePrototype of `command`, with these stdio) instead of
  // spawning the command: the same run, without the fork, exec and exec-time setup.
  GuestPrototype* prototype = nullptr;
  // --preempt's canonical list (cli/preempt.h) when it names more than syscall points:
  // recorded as "option preempt" (the caller has prepared the guests for it).
  std::string preempt;
  // --preempt-modules: shared libraries whose atomic instructions are points too
  // (comma-separated; recorded as "option preempt-modules").
  std::string preempt_modules;
  // A replay's recorded CPU model ("option cpuid", scheduler/cpu_model.h), checked against
  // this host: CPUID answers come from it. Empty: this host's model.
  std::string cpu_model;
  // --virtual-cpu: CPUID answered from the CPU model (where CPUID faults); a replay whose
  // schedule has a model sets it.
  bool virtual_cpu = false;
  bool fast_path = true;  // sync points under a lease (scheduler/lease.h); --no-fast-path
  // The CPUs the guest sees as its affinity (SchedulerOptions::cpus); unset: ravel's own.
  std::optional<cpu_set_t> cpus;
  // Instead of a strategy: the default schedule with these departures (replay/departures.h;
  // `ravel minimize`), with `seed` for the guest's random data and `strategy` as the name
  // a recording gives. Steps are not checked.
  const std::vector<Departure>* guide = nullptr;
  // When set: the run's departures from the default schedule (with the step of each).
  std::vector<Departure>* departures = nullptr;
  // Watches the run from inside (SchedulerOptions::observer): explain, --trace.
  RunObserver* observer = nullptr;
  // --gdbserver: a listening server; gdb debugs the run through it (cli/gdb_debugger.h).
  gdb::Server* gdbserver = nullptr;
  // When set: the rolling fingerprint after each step, one per step (--verify compares
  // two runs' step by step; a schedule keeps only checkpoints).
  std::vector<uint64_t>* step_fingerprints = nullptr;
  // When set: ravel's warnings printed during the run, each with the step it was printed
  // at ("... is not modelled": a cause --verify names).
  std::vector<RunWarning>* warnings = nullptr;
  // surw: what a calibration run's threads did (ProfileEvents). Null for a surw run: the
  // run makes the calibration run first.
  std::shared_ptr<const EventProfile> event_profile;
  // When set: the run's EventProfile is kept here (a calibration run).
  EventProfile* profile_out = nullptr;
};

// surw's calibration: `like`'s command and options, run once with rr and seed 0 (its
// output thrown away), and what each thread did there. run and stress make the same one,
// so a surw seed means the same schedule in both.
absl::StatusOr<std::shared_ptr<const EventProfile>> ProfileEvents(const ScheduleSpec& like);

// A fork server for RunSchedule: `command` exec'd once, with the scheduler's
// subscription, ASLR off and these stdio, for ScheduleSpec::prototype.
// --virtual-cpu on a machine without CPUID faulting: says so once (stderr) and goes on.
void WarnIfNoVirtualCpu(bool virtual_cpu);

absl::StatusOr<std::unique_ptr<GuestPrototype>> MakeSchedulePrototype(const std::vector<std::string>& command,
                                                                     const int stdio[3],
                                                                     const ScheduleSpec& like);

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

ScheduleResult RunSchedule(const ScheduleSpec& spec);

// What kind of file `fd` is, as recorded in a schedule's "stdio" option: file, pipe,
// socket, tty, chr (another character device, e.g. /dev/null), dir, other or closed.
// glibc's stdio behaves differently for each (a terminal is line-buffered and probed with
// an ioctl), so a replay gives the guest the same kinds where it can.
std::string FdKind(int fd);

// A step's name: the syscall's ("futex"), or the StepWhat code's ("sync", "preempt").
std::string WhatName(int64_t what);

// The summary line: "ravel: <outcome> steps=N threads=T fingerprint=<16 hex> seed=S strategy=X".
std::string SummaryLine(const ScheduleResult& result, uint64_t seed, const std::string& strategy);

// The exact command that replays `schedule_path`, quoted for a POSIX shell.
std::string ReplayCommandLine(const std::string& schedule_path);

// A word quoted for a POSIX shell where needed.
std::string ShellQuote(const std::string& word);

// The program's name for file names and reports: the basename of argv[0], plus the
// GoogleTest filter when one is given (so per-test stress runs get their own names).
std::string ProgramName(const std::vector<std::string>& command);

}  // namespace ravel

#endif  // RAVEL_CLI_SCHEDULE_RUN_H_
