// The worker side of `ravel stress`: a forked process that runs the seeds the parent sends
// it, one at a time, in-process (no exec of ravel per run), and answers each with a
// RunMessage. Its guests read /dev/null; their output goes to scratch files, emptied
// before each run. It binds itself to one CPU (worker i to the i-th CPU ravel may use):
// a ptrace stop is then a switch between two processes on one CPU instead of a wake-up
// across CPUs, several times cheaper on a VM; guests still see ravel's CPUs
// (SchedulerOptions::cpus). It runs every schedule on a copy of a GuestPrototype of the
// command unless told to spawn each.
#ifndef RAVEL_STRESS_WORKER_H_
#define RAVEL_STRESS_WORKER_H_

#include <sched.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/schedule_config.h"
#include "strategies/surw_strategy.h"

namespace ravel {

// What every schedule of one stressed command shares.
struct Job {
  std::vector<std::string> command;
  std::string name;  // ProgramName: for artifact files and reports
  std::string test;  // GoogleTest Suite.Test with --per-test, else empty
  // Every schedule's settings but the seed (settings.seed is the first seed); its
  // --preempt list is canonical (recorded in failure schedules).
  ScheduleSettings settings;
  bool verbose = false;
  bool no_prototype = false;
  cpu_set_t cpus;       // ravel's affinity: what every guest sees as its own
  bool verify = false;  // --verify: a failing seed runs again before it is reported
  std::shared_ptr<const EventProfile> event_profile;  // surw's calibration (ProfileEvents)

  // The run of `seed`, recorded, with these stdio.
  ScheduleConfig ConfigFor(uint64_t seed, const int stdio[3]) const;
};

// Runs the seeds read from `in_fd` until EOF or an interruption, writing a RunMessage
// for each to `out_fd`; scratch files are `scratch`/w<index>.*. Never returns.
[[noreturn]] void WorkerMain(int in_fd, int out_fd, const Job& job, const std::string& scratch, int index);

}  // namespace ravel

#endif  // RAVEL_STRESS_WORKER_H_
