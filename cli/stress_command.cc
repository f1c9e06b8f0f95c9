#include "cli/stress_command.h"

#include "cli/merge_command.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/run_tool.h"
#include "intercept/spawn.h"
#include "strategies/strategy.h"
#include "stress/seeds.h"
#include "stress/stress.h"
#include "stress/stress_report.h"

namespace ravel {
namespace {

class StressSubcommand : public Subcommand {
 public:
  explicit StressSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "stress", "Run CMD under many schedules (seeds BASE, BASE+1, ...) in parallel, for CI.\n"
                  "The first failure stops the run (or, with --keep-going, failures are grouped\n"
                  "by signature); each failure's schedule and guest output are kept, with the\n"
                  "exact `ravel replay` command that reproduces it. Exit 0: every schedule\n"
                  "passed; 1: a failure was found; 2: bad usage; 6: every schedule passed but\n"
                  "--json or --junit could not be written (with a failure: 1, and the error).\n"
                  "An artifact that cannot be written is said in the summary; the failure stays.\n"
                  "Example: ravel stress --runs 1000 --junit stress.xml -- ./my_test");
    app_->add_option("--runs", options_.runs,
                     "Schedules to run, seeds BASE..BASE+N-1 (default 100), split across shards")
        ->check(WholeNumber(1));
    app_->add_option("--time", time_, "Run schedules for this long instead (e.g. 90s, 5m, 1h)");
    app_->add_option("--jobs,-j", options_.jobs,
                     "Schedules run in parallel (default: one per CPU). They share the filesystem: a\n"
                     "test that writes a fixed path in its directory collides with its own copies\n"
                     "(run it with --jobs 1)")
        ->check(WholeNumber(1));
    app_->add_option("--shard", options_.shard,
                     "I/N: run only shard I (0-based) of N; also taken from GTEST_SHARD_INDEX/\n"
                     "GTEST_TOTAL_SHARDS, TEST_SHARD_INDEX/TEST_TOTAL_SHARDS (Bazel), or\n"
                     "JOB_COMPLETION_INDEX with --shards N (Kubernetes Indexed Jobs)");
    app_->add_option("--shards", options_.shards, "N shards, the index from JOB_COMPLETION_INDEX")
        ->check(WholeNumber(1));
    app_->add_option("--artifacts", options_.artifacts_dir,
                     "Where failing schedules and their guest output go (default ravel-artifacts)");
    app_->add_option("--junit", options_.junit_path, "Write a JUnit XML report to FILE");
    app_->add_option("--json", options_.json_path, "Write a JSON summary to FILE (ravel merge combines shards)");
    app_->add_flag("--keep-going", options_.keep_going,
                   "Do not stop at the first failure: run every seed, group failures by signature");
    app_->add_flag("--per-test", options_.per_test,
                   "CMD is a GoogleTest binary: stress each of its tests on its own, reporting per test");
    schedule_flags_.emplace(
        app_, &options_.settings,
        ScheduleFlagHelp{
            .strategy = StrategyHelp(kStressDefaultStrategy) +
                        "\nstress's default is surw: with the default --preempt it found every bug of the\n"
                        "corpus and the classic set within 100 schedules (median; bench/RESULTS.md)",
            .seed = "BASE: the first seed (default 1). Seeds are 0..18446744073709551615: with --runs N,\n"
                    "BASE+N-1 must not pass the largest (an error up front); with --time the seeds\n"
                    "stop there",
            .pct_steps = "PCT's k, with --strategy pct (default: twice the most choice points of three\n"
                         "calibration runs of the first seeds, the same on every shard)",
            .timeout = "A schedule taking longer than SECONDS of real time fails as a timeout (default 60)",
            .timeout_may_be_zero = false,
            .default_strategy_note = absl::StrCat(" (stress's default is ", kStressDefaultStrategy, ")"),
            .cpu_split_flag = false});
    app_->add_flag("--verify", options_.verify,
                   "Run each failing seed a second time before reporting it and compare the runs step by\n"
                   "step: a failure that its seed does not reproduce is reported as not deterministic,\n"
                   "with the first divergent step and the likely cause (still a failure: exit 1)");
    app_->add_flag("--spawn-each", options_.spawn_each,
                   "Start CMD afresh (fork, exec) for every schedule. By default each job execs CMD once, "
                   "keeps it stopped before its first instruction, and forks a copy of it per schedule: "
                   "the same schedules, several times faster");
    AddCommand(app_, &args_, /*aslr_flag=*/false);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    if (absl::Status s = schedule_flags_->Finish(); !s.ok()) return UsageError(std::string(s.message()));
    StressOptions options = options_;
    options.command = *command;
    options.verbose = in.verbose;
    if (!time_.empty()) {
      absl::StatusOr<double> seconds = ParseDuration(time_);
      if (!seconds.ok()) return UsageError(std::string(seconds.status().message()));
      options.time_seconds = *seconds;
    }
    absl::StatusOr<StressRun> run = RunStress(options);
    if (!run.ok()) {
      fprintf(stderr, "ravel: %s\n", std::string(run.status().message()).c_str());
      return absl::IsInvalidArgument(run.status()) ? kExitUsage : ExitCodeForSpawnError(run.status());
    }
    const int code = run->interrupted_by != 0 ? 128 + run->interrupted_by
                     : run->reports.empty()   ? kExitUsage
                     : AnyFailed(run->reports) ? 1
                                               : 0;
    return PrintAndWriteReports(run->reports, options.json_path, options.junit_path, code);
  }

 private:
  CommonArgs args_;
  StressOptions options_;
  std::optional<ScheduleFlags> schedule_flags_;
  std::string time_;
};

}  // namespace

std::unique_ptr<Subcommand> MakeStressSubcommand(CLI::App& parent) {
  return std::make_unique<StressSubcommand>(parent);
}

}  // namespace ravel
