// `ravel stress`: many schedules of one command, in parallel, for CI.
//
// Seeds BASE, BASE+1, ... (split across shards: stress/seeds.h) each drive one scheduled
// run. J worker processes (stress/worker.h; default: one per CPU) take seeds from the
// parent one at a time (stress/pool.h), run them, and report back; a failing run's
// schedule and guest output are kept under the artifacts directory (stress/artifacts.h).
// By default the first failure ends the stress run; with --keep-going, every failure is
// bucketed by its signature and the run goes on. PCT's k and surw's event profile are
// measured before the seeds run (stress/calibration.h), the same way on every shard, so
// that every seed's run is a function of the seed alone however the seeds are spread
// over jobs and shards (and `ravel run --seed S` reproduces any of them).
#ifndef RAVEL_STRESS_STRESS_H_
#define RAVEL_STRESS_STRESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/preempt.h"
#include "engine/schedule_config.h"
#include "stress/stress_report.h"

namespace ravel {

// stress's strategy without --strategy: surw, which found every bug of the corpus and of
// corpora/classic with the default --preempt, most at the first seeds (bench/RESULTS.md,
// "Choosing the defaults again"). `ravel run` keeps pct: one run needs no calibration.
inline constexpr char kStressDefaultStrategy[] = "surw";

inline constexpr uint64_t kDefaultRuns = 100;

// stress's settings without flags: surw, the default points, and 60 s of real time for
// each schedule.
inline ScheduleSettings StressDefaults() {
  ScheduleSettings s;
  s.strategy = kStressDefaultStrategy;
  s.timeout_seconds = 60;
  s.preempt = kDefaultPreempt;
  return s;
}

struct StressOptions {
  std::vector<std::string> command;
  // Every schedule's settings; settings.seed is the first seed (--seed BASE).
  ScheduleSettings settings = StressDefaults();
  uint64_t runs = 0;               // 0: kDefaultRuns unless time_seconds is set
  double time_seconds = 0;         // --time: run seeds until this much time has passed
  int jobs = 0;                    // 0: one per CPU
  std::string shard;               // --shard I/N ("" : from the environment, or none)
  int shards = 0;                  // --shards N, with JOB_COMPLETION_INDEX
  std::string artifacts_dir = "ravel-artifacts";
  std::string junit_path;
  std::string json_path;
  bool keep_going = false;
  bool per_test = false;
  bool verbose = false;
  // Spawn and exec the command for every schedule instead of forking each worker's copy
  // of it exec'd once (GuestPrototype). Same schedules, slower.
  bool spawn_each = false;
  // --verify: each failing seed is run again and compared step by step
  // (engine/verify_seed.h) before it is reported; one that does not reproduce is reported
  // as not deterministic.
  bool verify = false;
};

// What a stress job found: a report per stressed command (several with --per-test; none
// when the command could not run at all), and the signal that interrupted it, if one did.
struct StressRun {
  std::vector<StressReport> reports;
  int interrupted_by = 0;
};

// Checks the options and the environment (the command, the shard, the outputs, the
// artifacts directory), then stresses each command. Not OK when nothing could start:
// NotFound or PermissionDenied when the command cannot be found or run (exit 127/126),
// InvalidArgument for the rest (a usage error, exit 2). Prints progress and what goes
// wrong meanwhile on stderr; the summary and reports are the caller's.
absl::StatusOr<StressRun> RunStress(const StressOptions& options);

}  // namespace ravel

#endif  // RAVEL_STRESS_STRESS_H_
