#include "cli/minimize_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

#include "base/proc.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/replay_setup.h"
#include "cli/run_tool.h"
#include "cli/schedule_run.h"
#include "replay/departures.h"

namespace ravel {
namespace {

// "9 departures (7 preemptions)" for messages.
std::string CountOf(const std::vector<Departure>& departures) {
  size_t preemptions = 0;
  for (const Departure& d : departures) preemptions += d.kind == Departure::Kind::kPick && d.preempted;
  return absl::StrFormat("%d departure%s (%d preemption%s)", departures.size(), departures.size() == 1 ? "" : "s",
                         preemptions, preemptions == 1 ? "" : "s");
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
  const Schedule& recorded = prepared.schedule();
  if (recorded.outcome == "pass") {
    return UsageError(absl::StrCat(options.schedule_path, ": the schedule passes: there is no failure to keep"));
  }
  ScheduleSpec& spec = prepared.spec();
  if (spec.timeout_seconds == 0) spec.timeout_seconds = options.timeout_seconds;

  // The replay: its departures, and how it fails.
  std::vector<Departure> all;
  ScheduleResult first;
  if (std::optional<int> code = prepared.ReplayTracked("minimise", first, all)) return *code;
  const std::string outcome = first.outcome, signature = first.signature;
  const std::vector<Departure> first_departures = all;
  fprintf(stderr, "ravel: %s: %s after %s from the default schedule\n", options.schedule_path.c_str(),
          outcome.c_str(), CountOf(all).c_str());

  // Rounds of ddmin: guided runs of subsets of `all`, keeping the smallest run that fails
  // the same way; then that run's own departures (replayed and tracked, which checks that
  // it replays) start the next round, while rounds make progress: dropping a departure
  // can turn others into ones that no longer apply, and those are dropped for free.
  const size_t before = all.size();
  std::vector<Departure> guide;
  size_t runs = 1;
  std::optional<Schedule> best;
  std::vector<Departure> best_departures = all;
  auto fails = [&](const std::vector<size_t>& subset) {
    guide.clear();
    for (size_t i : subset) guide.push_back(all[i]);
    spec.replay = nullptr;
    spec.guide = &guide;
    spec.record = true;
    ScheduleResult r = RunSchedule(spec);
    prepared.FlushOutput();
    ++runs;
    if (!r.error.ok() && r.error.code() == absl::StatusCode::kCancelled) {
      fprintf(stderr, "ravel: interrupted\n");
      std::exit(r.exit_code);
    }
    const bool same = r.error.ok() && r.outcome == outcome && r.signature == signature;
    if (options.verbose) {
      fprintf(stderr, "ravel: minimize: %zu of %zu departures: %s\n", subset.size(), all.size(),
              same ? "fails the same way" : r.outcome.c_str());
    }
    if (same && (!best.has_value() || subset.size() <= best_departures.size())) {
      best = std::move(r.schedule);
      best_departures = guide;
    }
    return same;
  };
  for (int round = 0; runs < options.max_runs; ++round) {
    if (round == 0) {
      // All of them remake the replayed run, unless it depended on something ravel does
      // not control.
      std::vector<size_t> every(all.size());
      for (size_t i = 0; i < every.size(); ++i) every[i] = i;
      if (!fails(every)) {
        fprintf(stderr,
                "ravel: cannot minimise: the default schedule with the recorded departures does not fail the same "
                "way (an event outside ravel's control?)\n");
        return 1;
      }
    }
    const size_t had = all.size();
    MinimizeSubset(all.size(), fails, options.max_runs > runs ? options.max_runs - runs : 0);
    if (best_departures.size() >= had) break;
    std::vector<Departure> found;
    spec.replay = &*best;
    spec.guide = nullptr;
    spec.record = false;
    spec.departures = &found;
    ScheduleResult check = RunSchedule(spec);
    prepared.FlushOutput();
    spec.departures = nullptr;
    ++runs;
    if (!check.error.ok() || !check.divergence.empty() || found.size() >= best_departures.size()) break;
    all = found;
    best_departures = found;
  }
  best->options.emplace_back("minimized", absl::StrCat(before));
  if (absl::Status s = WriteScheduleFile(out_path, *best); !s.ok()) {
    // Whole or absent: no partial schedule is left at OUT.
    return OutputError(0, absl::Status(s.code(), absl::StrCat("minimised schedule not written: ", s.message())));
  }
  fprintf(stderr, "ravel: minimized: %s -> %s, %zu runs in %.1f s%s\n", CountOf(first_departures).c_str(),
          CountOf(best_departures).c_str(), runs, MonotonicSeconds() - start,
          runs >= options.max_runs ? " (stopped at --max-runs: maybe not minimal)" : "");
  for (const Departure& d : best_departures) fprintf(stderr, "  %s\n", DescribeDeparture(d).c_str());

  // The written schedule must replay.
  absl::StatusOr<std::unique_ptr<PreparedReplay>> check =
      PreparedReplay::Open(out_path, options.verbose, PreparedReplay::Output::kDiscard);
  if (!check.ok()) return UsageError(std::string(check.status().message()));
  ScheduleResult again = RunSchedule((*check)->spec());
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

}  // namespace ravel
