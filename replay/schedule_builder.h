// ScheduleBuilder: the schedule of a recorded run, put together as the run goes: its steps
// and checkpoints step by step, then the header (what ran, where, with which strategy and
// options), the decisions, the external events and the trailer once it has ended.
//
// The options are written in one fixed order (pct-depth, pct-steps, model, tsc, cpuid,
// timeout, preempt, preempt-modules, stdio), so that the same run gives the same file.
// Pure code: the facts about the machine, the executable and the guest's stdio are the
// caller's (RecordingHeader).
//
// Usage:
//   ScheduleBuilder builder;
//   on each step:  builder.OnStep(step, thread, what, fingerprint);
//   at the end:    Schedule s = builder.Finish(header, decisions, external, trailer);
#ifndef RAVEL_REPLAY_SCHEDULE_BUILDER_H_
#define RAVEL_REPLAY_SCHEDULE_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "replay/schedule.h"

namespace ravel {

// Checkpoints of the rolling fingerprint in a recorded schedule: one every this many steps.
inline constexpr uint64_t kCheckpointEvery = 256;

// What a schedule's header says about its run.
struct RecordingHeader {
  std::string ravel_version;
  std::string command;            // the executable's absolute path
  std::vector<std::string> args;  // argv, argv[0] as given
  std::string cwd;
  uint64_t exe_hash = 0;
  std::string strategy;
  uint64_t seed = 0;
  // A guided run (replay/departures.h) is not its seed's: no pct options are written then.
  bool guided = false;
  int pct_depth = 0;
  uint64_t pct_steps = 0;         // the k the strategy used
  int model = 0;                  // the scheduler model (scheduler/scheduler.h)
  bool virtual_tsc = false;       // the guest read a virtual TSC (this machine traps RDTSC)
  std::string cpuid = "host";     // the CPU model the guest's CPUID read, or "host"
  double timeout_seconds = 0;     // 0: none
  std::string preempt;            // --preempt's canonical list ("" or "syscall": not written)
  std::string preempt_modules;
  std::vector<std::string> stdio_kinds;  // of fds 0, 1, 2 (FdKind)
};

// How the run ended.
struct RecordingTrailer {
  std::string outcome;
  uint64_t fingerprint = 0;
  int threads = 0;
};

class ScheduleBuilder {
 public:
  // Step `step` (in order, each once) with the rolling fingerprint after it: its thread
  // and call, and a checkpoint every kCheckpointEvery steps.
  void OnStep(uint64_t step, ThreadId thread, int64_t what, uint64_t fingerprint);

  // The schedule, complete and ready to write. The builder is spent.
  Schedule Finish(const RecordingHeader& header, std::vector<Decision> decisions,
                  std::vector<ExternalEvent> external, const RecordingTrailer& trailer);

 private:
  Schedule schedule_;
};

}  // namespace ravel

#endif  // RAVEL_REPLAY_SCHEDULE_BUILDER_H_
