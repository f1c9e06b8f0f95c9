// `ravel stress`: many schedules of one command, in parallel, for CI.
//
// Seeds BASE, BASE+1, ... (split across shards: shard I of N takes the seeds whose offset
// from BASE is I modulo N) each drive one scheduled run. J worker processes (default: one
// per CPU) take seeds from the parent one at a time, run them, and report back; a failing
// run's schedule and guest output are kept under the artifacts directory. By default the
// first failure ends the stress run; with --keep-going, every failure is bucketed by its
// signature and the run goes on. PCT's k is measured once, by a round-robin run of seed
// BASE, so that every seed's run is the same however the seeds are spread over jobs and
// shards (and `ravel run --seed S --pct-steps K` reproduces any of them).
#ifndef RAVEL_CLI_STRESS_COMMAND_H_
#define RAVEL_CLI_STRESS_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/preempt.h"

namespace ravel {

// stress's strategy without --strategy: surw, which found every bug of the corpus and of
// corpora/classic with the default --preempt, most at the first seeds (bench/RESULTS.md,
// "Choosing the defaults again"). `ravel run` keeps pct: one run needs no calibration.
inline constexpr char kStressDefaultStrategy[] = "surw";

struct StressOptions {
  std::vector<std::string> command;
  std::string strategy = kStressDefaultStrategy;
  uint64_t seed_base = 1;
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
  int pct_depth = 3;
  uint64_t pct_steps = 0;          // 0: measured
  double timeout_seconds = 60;     // per schedule, real time
  bool verbose = false;
  // Spawn and exec the command for every schedule instead of forking each worker's copy
  // of it exec'd once (GuestPrototype). Same schedules, slower.
  bool spawn_each = false;
  std::string preempt = kDefaultPreempt;  // --preempt LIST (cli/preempt.h)
  std::string preempt_modules;      // --preempt-modules LIST
  bool virtual_cpu = false;         // --virtual-cpu
  bool fast_path = true;            // off: --no-fast-path
  // --verify: each failing seed is run again and compared step by step (cli/verify.h)
  // before it is reported; one that does not reproduce is reported as not deterministic.
  bool verify = false;
};

inline constexpr uint64_t kDefaultRuns = 100;

int Stress(const StressOptions& options);

// "30", "30s", "1.5m", "2h" -> seconds.
absl::StatusOr<double> ParseDuration(const std::string& text);

// Which shard this process runs: --shard I/N, else GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS,
// TEST_SHARD_INDEX/TEST_TOTAL_SHARDS, or JOB_COMPLETION_INDEX with --shards N; else 0 of 1.
struct Shard {
  int index = 0;
  int count = 1;
  std::string source;  // where it came from, for messages
};
absl::StatusOr<Shard> ResolveShard(const std::string& flag, int shards);

}  // namespace ravel

#endif  // RAVEL_CLI_STRESS_COMMAND_H_
