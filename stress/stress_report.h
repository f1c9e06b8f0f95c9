// What a stress run found, in the forms CI wants: a summary on stderr, a JSON document
// (one per shard; `ravel merge` combines them), and JUnit XML.
//
// A failure bucket gathers the failing schedules with one signature (the outcome and the
// source line the guest reported, e.g. GoogleTest's "file.cc:74: Failure", or else the last
// steps of the thread that ended the run): one bug, however many seeds hit it. Each
// bucket keeps the schedule of its lowest seed, so the report does not depend on how many
// jobs ran or in which order they finished.
#ifndef RAVEL_STRESS_STRESS_REPORT_H_
#define RAVEL_STRESS_STRESS_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/schedule_settings.h"

namespace ravel {

struct FailureBucket {
  std::string signature;
  std::string outcome;
  uint64_t count = 0;
  uint64_t first_seed = 0;
  std::vector<uint64_t> seeds;  // the first kMaxBucketSeeds, ascending
  std::string schedule;         // artifacts of first_seed
  std::string guest_stdout;
  std::string guest_stderr;
  std::string deadlock_report;
  // Why first_seed's schedule or guest output could not be kept ("schedule could not be
  // written: cannot write PATH: reason"); empty when they were. The failure is reported
  // either way.
  std::string artifact_error;
  // --verify: first_seed was run a second time and compared step by step.
  bool verified = false;
  // ... and did not take the same steps: "failed once but not on a second run: not
  // deterministic (step N: ...; likely cause: ...)" (engine/verify_seed.h). Empty: reproduced.
  std::string not_deterministic;

  // The summary's line on it: "verified: seed N failed the same way on a second run, step
  // for step", or "seed N failed once but not on a second run: not deterministic (...)";
  // empty when not verified.
  std::string verification() const;
};

inline constexpr size_t kMaxBucketSeeds = 100;

// One stressed command (a program, or one test of a GoogleTest binary with --per-test).
struct StressReport {
  std::string name;                  // file-name-safe program name (ProgramName)
  std::string test;                  // GoogleTest Suite.Test with --per-test, else empty
  std::vector<std::string> command;
  // What every schedule ran with; settings.seed is the first seed (--seed BASE). The
  // reports keep the strategy, PCT's d and k, the points and the virtual CPU.
  ScheduleSettings settings;
  uint64_t runs_planned = 0;         // 0 with --time
  int shard_index = 0;
  int shard_count = 1;
  std::vector<uint64_t> seeds_run;   // ascending
  uint64_t passed = 0;
  uint64_t failed = 0;
  bool interrupted = false;
  bool stopped_at_first_failure = false;
  double elapsed_seconds = 0;
  std::map<std::string, FailureBucket> buckets;  // by signature

  // Adds a failing schedule; true if `seed` is now its bucket's first (its artifacts
  // should be kept).
  bool AddFailure(uint64_t seed, const std::string& signature, const std::string& outcome);
  double SchedulesPerSecond() const;
};

// The JSON document of several reports (one per stressed command).
std::string ReportsToJson(const std::vector<StressReport>& reports);
absl::StatusOr<std::vector<StressReport>> ReportsFromJson(const std::string& text);

// JUnit XML: a <testsuite> per report, a <testcase> per failure bucket and one for the
// passing schedules.
std::string ReportsToJUnit(const std::vector<StressReport>& reports);

// A rate of schedules as people read it: "97.0 schedules/s", or for schedules that take
// over a second each "28.7 s a schedule" (0.0/s would say nothing).
std::string RateText(uint64_t schedules, double seconds);

// Combines shard reports of the same commands: seeds, counts and buckets add up, each
// bucket keeping its lowest seed's artifacts. Errors when the reports are not shards of
// one stress job (different commands, strategies or seed ranges) or overlap.
absl::StatusOr<std::vector<StressReport>> MergeReports(const std::vector<std::vector<StressReport>>& shards);

// The human summary: totals, then each bucket with its schedule and replay command.
std::string ReportSummary(const StressReport& report);

// "seeds 1..145" when the seeds run are every seed of the range (every shard_count'th
// with shards), else also which are missing ("seeds 1..145 except 144"): the count and
// the range always agree.
std::string SeedRange(const StressReport& report);

}  // namespace ravel

#endif  // RAVEL_STRESS_STRESS_REPORT_H_
