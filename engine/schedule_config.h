// ScheduleConfig: everything one scheduled run is made from, in one type. `ravel run`,
// `replay`, `minimize`, `explain` and every schedule of `ravel stress` fill one in and hand
// it to RunSchedule (engine/scheduled_run.h); a calibration run is one made `like` another.
//
// Its ScheduleSettings are what a user chooses (strategy, seed, PCT's depth and k,
// timeout, --preempt, modules, the virtual CPU): the same type from the flags
// (cli/flags.h's ScheduleFlags) through stress's jobs to the recording, checked in one
// place, Validate(). The rest say what to follow instead of a strategy (a recording, a
// guide), what to keep (the recording, departures, step fingerprints, warnings, a
// profile) and who watches (an observer, gdb).
#ifndef RAVEL_ENGINE_SCHEDULE_CONFIG_H_
#define RAVEL_ENGINE_SCHEDULE_CONFIG_H_

#include <sched.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/schedule_settings.h"
#include "intercept/tracer.h"
#include "replay/departures.h"
#include "replay/schedule.h"
#include "replay/verify.h"
#include "scheduler/scheduler.h"
#include "strategies/surw_strategy.h"

namespace ravel {

namespace gdb {
class Server;
}

struct ScheduleConfig {
  std::vector<std::string> command;
  ScheduleSettings settings;
  bool verbose = false;
  // Follow this recording instead of a strategy: its decisions, its seed (for the guest's
  // random data), and its steps, checked one by one.
  const Schedule* replay = nullptr;
  bool record = false;              // keep the decisions and steps in ScheduleResult::schedule
  int stdio[3] = {-1, -1, -1};      // the guest's stdin/stdout/stderr (-1: ravel's own)
  // Run a copy of this (MakeSchedulePrototype of `command`, with these stdio) instead of
  // spawning the command: the same run, without the fork, exec and exec-time setup.
  GuestPrototype* prototype = nullptr;
  // A replay's recorded CPU model ("option cpuid", scheduler/cpu_model.h), checked against
  // this host: CPUID answers come from it. Empty: this host's model.
  std::string cpu_model;
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
  // --gdbserver: a listening server; gdb debugs the run through it (engine/gdb_debugger.h).
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

  // The error ravel prints as a usage error when --preempt names an unknown point or the
  // strategy (when neither a recording nor a guide replaces it) is not one of strategies/.
  // (The commands check --preempt-modules against --preempt with ParsePreemptFlags, before
  // they prepare the guests; a recorded schedule keeps what was recorded.)
  absl::Status Validate() const;
};

}  // namespace ravel

#endif  // RAVEL_ENGINE_SCHEDULE_CONFIG_H_
