#include "cli/minimize_command.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/proc.h"
#include "cli/flags.h"
#include "engine/minimize.h"
#include "engine/prepared_replay.h"
#include "engine/run_text.h"
#include "engine/run_tool.h"

namespace ravel {
namespace {

// "9 departures (7 preemptions)" for messages.
std::string CountOf(const std::vector<Departure>& departures) {
  size_t preemptions = 0;
  for (const Departure& d : departures) preemptions += d.kind == Departure::Kind::kPick && d.preempted;
  return absl::StrFormat("%d departure%s (%d preemption%s)", departures.size(), departures.size() == 1 ? "" : "s",
                         preemptions, preemptions == 1 ? "" : "s");
}


// The written schedule must replay, and fail as the original did.
int CheckReplays(const MinimizeOptions& options, const std::string& out_path, const std::string& outcome) {
  absl::StatusOr<std::unique_ptr<PreparedReplay>> check =
      PreparedReplay::Open(out_path, options.verbose, PreparedReplay::Output::kDiscard);
  if (!check.ok()) return UsageError(std::string(check.status().message()));
  ScheduleResult again = RunSchedule((*check)->config());
  (*check)->FlushOutput();
  if (!again.error.ok()) return again.exit_code;
  if (!again.divergence.empty() || again.outcome != outcome) {
    fprintf(stderr, "ravel: the minimised schedule did not replay (%s); kept in %s\n",
            again.divergence.empty() ? again.outcome.c_str() : again.divergence.c_str(), options.out_path.c_str());
    return 1;
  }
  fprintf(stderr, "ravel: %s reproduces %s; replay: %s\n", options.out_path.c_str(), outcome.c_str(),
          ReplayCommandLine(options.out_path).c_str());
  return 0;
}

}  // namespace

int Minimize(const MinimizeOptions& options) {
  const double start = MonotonicSeconds();
  // Opening the schedule enters its recorded directory: OUT is named from here.
  const std::string out_path = AbsolutePath(options.out_path);
  absl::StatusOr<std::unique_ptr<PreparedReplay>> opened =
      PreparedReplay::Open(options.schedule_path, options.verbose, PreparedReplay::Output::kDiscard);
  if (!opened.ok()) return UsageError(std::string(opened.status().message()));
  // An OUT that cannot be written at all is found before the many runs.
  if (absl::Status s = CheckOutputPath(out_path); !s.ok()) return UsageError(std::string(s.message()));
  PreparedReplay& prepared = **opened;
  if (prepared.schedule().outcome == "pass") {
    return UsageError(absl::StrCat(options.schedule_path, ": the schedule passes: there is no failure to keep"));
  }
  prepared.DefaultTimeout(options.timeout_seconds);

  // The replay: its departures, and how it fails.
  std::vector<Departure> all;
  ScheduleResult first;
  if (std::optional<int> code = prepared.ReplayTracked("minimise", first, all)) return *code;
  fprintf(stderr, "ravel: %s: %s after %s from the default schedule\n", options.schedule_path.c_str(),
          first.outcome.c_str(), CountOf(all).c_str());
  const std::vector<Departure> first_departures = all;
  Minimized best = MinimizeDepartures(prepared, std::move(all), first.outcome, first.signature, options.max_runs,
                                      options.verbose);
  if (best.end == Minimized::End::kInterrupted) {
    fprintf(stderr, "ravel: interrupted\n");
    return best.exit_code;
  }
  if (best.end == Minimized::End::kNotRemade) {
    fprintf(stderr,
            "ravel: cannot minimise: the default schedule with the recorded departures does not fail the same "
            "way (an event outside ravel's control?)\n");
    return 1;
  }
  best.schedule.options.emplace_back("minimized", absl::StrCat(first_departures.size()));
  if (absl::Status s = WriteScheduleFile(out_path, best.schedule); !s.ok()) {
    // Whole or absent: no partial schedule is left at OUT.
    return OutputError(0, absl::Status(s.code(), absl::StrCat("minimised schedule not written: ", s.message())));
  }
  fprintf(stderr, "ravel: minimized: %s -> %s, %zu runs in %.1f s%s\n", CountOf(first_departures).c_str(),
          CountOf(best.departures).c_str(), best.runs, MonotonicSeconds() - start,
          best.runs >= options.max_runs ? " (stopped at --max-runs: maybe not minimal)" : "");
  for (const Departure& d : best.departures) fprintf(stderr, "  %s\n", DescribeDeparture(d).c_str());
  return CheckReplays(options, out_path, first.outcome);
}

namespace {

class MinimizeSubcommand : public Subcommand {
 public:
  explicit MinimizeSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "minimize", "Shrink a failing schedule: keep the fewest departures from the default schedule\n"
                    "(preemptions, and wakes and time jumps other than the default) that still fail\n"
                    "the same way (same outcome, same last steps of the failing thread), by delta\n"
                    "debugging over runs of the program. Prints the count before and after and writes\n"
                    "a schedule that `ravel replay` and `ravel explain` take. Exit 6 when OUT could\n"
                    "not be written (nothing is left there).\n"
                    "Example: ravel minimize artifacts/lost_wakeup-seed7.sched -o min.sched");
    app_->add_option("FILE", options_.schedule_path, "A failing schedule (ravel run --record, ravel stress)")
        ->required();
    app_->add_option("-o,--output", options_.out_path, "Write the minimised schedule to OUT")->required();
    // At least the replay that finds the departures and one run guided by all of them.
    app_->add_option("--max-runs", options_.max_runs,
                     "Run the program at most N times (default 300, at least 2); the best schedule\n"
                     "so far is written")
        ->check(WholeNumber(2));
    AddTimeoutFlag(app_, &options_.timeout_seconds,
                   "A run taking longer than SECONDS of real time does not count as failing the same way\n"
                   "(default 30, unless the schedule records a timeout)",
                   /*may_be_zero=*/false);
  }

  int Run(const Invocation& in) override {
    if (in.had_dashes) return UsageError("ravel minimize takes no command: the schedule names it");
    MinimizeOptions options = options_;
    options.verbose = in.verbose;
    return Minimize(options);
  }

 private:
  MinimizeOptions options_;
};

}  // namespace

std::unique_ptr<Subcommand> MakeMinimizeSubcommand(CLI::App& parent) { return std::make_unique<MinimizeSubcommand>(parent); }

}  // namespace ravel
