// ScheduleSettings: what a user chooses for a scheduled run. One type from the flags
// (cli/flags.h's ScheduleFlags) through `ravel stress`'s jobs and reports to the run's
// ScheduleConfig (engine/schedule_config.h, which checks it) and its recording.
#ifndef RAVEL_ENGINE_SCHEDULE_SETTINGS_H_
#define RAVEL_ENGINE_SCHEDULE_SETTINGS_H_

#include <cstdint>
#include <string>

namespace ravel {

// What a user chooses for a scheduled run: the same for `ravel run` and for every seed
// of `ravel stress` (but the seed), and recorded in the run's schedule.
struct ScheduleSettings {
  std::string strategy = "pct";
  uint64_t seed = 1;
  int pct_depth = 3;
  uint64_t pct_steps = 0;       // 0: the strategy's default (stress measures it)
  double timeout_seconds = 0;   // real time; 0: none
  // The points besides syscalls: a --preempt list (engine/preempt.h). What a run records
  // is the canonical form (Preempt::ToString), which the commands put here once they have
  // prepared the guests for it. Empty: syscall points only.
  std::string preempt;
  // --preempt-modules: shared libraries whose atomic instructions are points too
  // (comma-separated; recorded as "option preempt-modules").
  std::string preempt_modules;
  // --virtual-cpu: CPUID answered from the CPU model (where CPUID faults); a replay whose
  // schedule has a model sets it.
  bool virtual_cpu = false;
  bool fast_path = true;  // sync points under a lease (scheduler/lease.h); --no-fast-path
  // The guest on a CPU of its own, ravel on the others (intercept/cpu_split.h);
  // --no-cpu-split. How fast, not which schedule: not recorded.
  bool cpu_split = true;
};

}  // namespace ravel

#endif  // RAVEL_ENGINE_SCHEDULE_SETTINGS_H_
