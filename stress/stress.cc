#include "stress/stress.h"

#include <sched.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/run_text.h"
#include "engine/run_tool.h"
#include "engine/scheduled_run.h"
#include "intercept/spawn.h"
#include "strategies/strategy.h"
#include "stress/calibration.h"
#include "stress/gtest_list.h"
#include "stress/interrupt.h"
#include "stress/pool.h"
#include "stress/seeds.h"

namespace ravel {
namespace {

// A usage error: InvalidArgument with `error`'s message.
absl::Status Usage(const absl::Status& error) { return absl::InvalidArgumentError(error.message()); }

// The options that can be checked before anything runs, in the order they are reported.
absl::Status CheckOptions(const StressOptions& options) {
  if (options.command.empty()) {
    return absl::InvalidArgumentError("no command given (e.g. ravel stress --runs 100 -- ./my_test)");
  }
  if (!IsStrategyName(options.settings.strategy)) return UnknownStrategyError(options.settings.strategy);
  if (options.runs > 0 && options.time_seconds > 0) {
    return absl::InvalidArgumentError("--runs and --time exclude each other");
  }
  return absl::OkStatus();
}

// The reports' paths (a disk that fills up meanwhile is exit 6 at the end), the seed
// range, and the artifacts directory (made now, and its parents, so that a bad path is an
// error before anything runs rather than a failure without its schedule).
absl::Status CheckOutputs(const StressOptions& options) {
  for (const std::string* report_path : {&options.json_path, &options.junit_path}) {
    if (report_path->empty()) continue;
    if (absl::Status s = CheckOutputPath(*report_path); !s.ok()) return Usage(s);
  }
  // Seeds are the whole uint64 range; --runs N from --seed BASE must not pass its end.
  // (With --time, the sequence just stops at 2^64-1.)
  if (options.runs > 0 && options.runs - 1 > std::numeric_limits<uint64_t>::max() - options.settings.seed) {
    return absl::InvalidArgumentError(absl::StrCat("--seed ", options.settings.seed, " --runs ", options.runs,
                                                   ": the last seed would be past ",
                                                   std::numeric_limits<uint64_t>::max(),
                                                   ", the largest; lower --seed or --runs"));
  }
  std::error_code error;
  std::filesystem::create_directories(options.artifacts_dir, error);
  if (error || !std::filesystem::is_directory(options.artifacts_dir)) {
    return absl::InvalidArgumentError(absl::StrCat("--artifacts ", options.artifacts_dir,
                                                   ": cannot make a directory there",
                                                   error ? absl::StrCat(" (", error.message(), ")") : ""));
  }
  return absl::OkStatus();
}

// The commands to stress: the command, or each of its tests with --per-test.
absl::StatusOr<std::vector<Job>> MakeJobs(const StressOptions& options, const Preempt& preempt) {
  std::vector<Job> jobs;
  if (options.per_test) {
    absl::StatusOr<std::vector<std::string>> tests = ListGtestTests(options.command);
    if (!tests.ok()) return Usage(tests.status());
    for (const std::string& test : *tests) {
      Job job;
      job.command = options.command;
      job.command.push_back(absl::StrCat("--gtest_filter=", test));
      job.test = test;
      jobs.push_back(job);
    }
  } else {
    Job job;
    job.command = options.command;
    jobs.push_back(job);
  }
  for (Job& job : jobs) {
    job.name = ProgramName(job.command);
    job.settings = options.settings;
    job.settings.preempt = preempt.ToString();
    job.verbose = options.verbose;
    job.no_prototype = options.spawn_each;
    job.verify = options.verify;
  }
  return jobs;
}

// A scratch directory for the workers' files, under $TMPDIR when it is usable.
absl::StatusOr<std::string> MakeScratch() {
  char scratch_template[] = "/tmp/ravel-stress-XXXXXX";
  if (const char* tmp = getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
    std::string t = absl::StrCat(tmp, "/ravel-stress-XXXXXX");
    if (t.size() < sizeof(scratch_template)) strcpy(scratch_template, t.c_str());
  }
  if (mkdtemp(scratch_template) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create a scratch directory: ", strerror(errno)));
  }
  return std::string(scratch_template);
}

// Calibrates and stresses each job in turn, until one is interrupted. No reports when a
// calibration finds that the command cannot run.
std::vector<StressReport> StressJobs(std::vector<Job>& jobs, const StressOptions& options, const Shard& shard,
                                     const std::string& scratch) {
  std::vector<StressReport> reports;
  for (Job& job : jobs) {
    WarnIfNoVirtualCpu(options.settings.virtual_cpu);
    if (sched_getaffinity(0, sizeof(job.cpus), &job.cpus) != 0) {
      CPU_ZERO(&job.cpus);
      CPU_SET(0, &job.cpus);
    }
    if (!Calibrate(job)) return {};
    StressReport report;
    bool finished = StressJob(job, options, shard, scratch, report);
    reports.push_back(std::move(report));
    if (!finished) break;
  }
  return reports;
}

}  // namespace

absl::StatusOr<StressRun> RunStress(const StressOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  absl::StatusOr<Shard> shard = ResolveShard(options.shard, options.shards);
  if (!shard.ok()) return shard.status();
  TakeOverSharding();
  if (absl::StatusOr<std::string> path = ResolveCommand(options.command[0]); !path.ok()) return path.status();
  absl::StatusOr<Preempt> preempt = ParsePreemptFlags(options.settings.preempt, options.settings.preempt_modules);
  if (!preempt.ok()) return Usage(preempt.status());
  // Before any worker or calibration run starts: they all inherit it.
  if (absl::Status s = PrepareGuests(*preempt, options.command); !s.ok()) return Usage(s);
  if (absl::Status s = CheckOutputs(options); !s.ok()) return s;
  absl::StatusOr<std::vector<Job>> jobs = MakeJobs(options, *preempt);
  if (!jobs.ok()) return jobs.status();
  absl::StatusOr<std::string> scratch = MakeScratch();
  if (!scratch.ok()) return scratch.status();

  // Guests whose worker dies without cleaning up come back here to be reaped.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  StressRun run;
  {
    StressInterruptHandlers handlers;
    run.reports = StressJobs(*jobs, options, *shard, *scratch);
  }
  // The scratch directory held the workers' files; what matters was copied out.
  std::error_code ignored;
  std::filesystem::remove_all(*scratch, ignored);
  run.interrupted_by = StressInterrupt();
  return run;
}

}  // namespace ravel
