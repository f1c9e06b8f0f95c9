#include "engine/minimize.h"

#include <cstdio>
#include <optional>
#include <utility>

#include "base/logging.h"
#include "engine/scheduled_run.h"

namespace ravel {
namespace {

class Minimizer {
 public:
  Minimizer(PreparedReplay& prepared, std::vector<Departure> all, const std::string& outcome,
            const std::string& signature, size_t max_runs, bool verbose)
      : prepared_(prepared),
        config_(prepared.config()),
        all_(std::move(all)),
        best_departures_(all_),
        outcome_(outcome),
        signature_(signature),
        max_runs_(max_runs),
        verbose_(verbose) {}

  Minimized Run();

 private:
  // A guided run of `subset` of the departures: whether it fails the same way. The best
  // such run so far is kept.
  bool Fails(const std::vector<size_t>& subset);
  // The best run replayed with a tracker: its own departures, when it replays and has
  // fewer than it was guided by.
  std::optional<std::vector<Departure>> DeparturesOfBest();

  PreparedReplay& prepared_;
  ScheduleConfig& config_;
  std::vector<Departure> all_;
  std::vector<Departure> guide_;
  std::optional<Schedule> best_;
  std::vector<Departure> best_departures_;
  const std::string outcome_, signature_;
  const size_t max_runs_;
  const bool verbose_;
  size_t runs_ = 1;  // the first replay
  std::optional<int> interrupted_;
};

bool Minimizer::Fails(const std::vector<size_t>& subset) {
  if (interrupted_.has_value()) return false;
  guide_.clear();
  for (size_t i : subset) guide_.push_back(all_[i]);
  config_.replay = nullptr;
  config_.guide = &guide_;
  config_.record = true;
  ScheduleResult r = RunSchedule(config_);
  prepared_.FlushOutput();
  ++runs_;
  if (!r.error.ok() && r.error.code() == absl::StatusCode::kCancelled) {
    interrupted_ = r.exit_code;
    return false;
  }
  const bool same = r.error.ok() && r.outcome == outcome_ && r.signature == signature_;
  if (verbose_) {
    fprintf(stderr, "ravel: minimize: %zu of %zu departures: %s\n", subset.size(), all_.size(),
            same ? "fails the same way" : r.outcome.c_str());
  }
  if (same && (!best_.has_value() || subset.size() <= best_departures_.size())) {
    best_ = std::move(r.schedule);
    best_departures_ = guide_;
  }
  return same;
}

std::optional<std::vector<Departure>> Minimizer::DeparturesOfBest() {
  std::vector<Departure> found;
  config_.replay = &*best_;
  config_.guide = nullptr;
  config_.record = false;
  config_.departures = &found;
  ScheduleResult check = RunSchedule(config_);
  prepared_.FlushOutput();
  config_.departures = nullptr;
  ++runs_;
  if (!check.error.ok() || !check.divergence.empty() || found.size() >= best_departures_.size()) return std::nullopt;
  return found;
}

Minimized Minimizer::Run() {
  Minimized out;
  // All of them remake the replayed run, unless it depended on something ravel does not
  // control.
  std::vector<size_t> every(all_.size());
  for (size_t i = 0; i < every.size(); ++i) every[i] = i;
  if (runs_ < max_runs_ && !Fails(every)) out.end = Minimized::End::kNotRemade;
  while (out.end == Minimized::End::kDone && runs_ < max_runs_) {
    const size_t had = all_.size();
    MinimizeSubset(all_.size(), [this](const std::vector<size_t>& subset) { return Fails(subset); },
                   max_runs_ > runs_ ? max_runs_ - runs_ : 0);
    if (interrupted_.has_value() || best_departures_.size() >= had) break;
    std::optional<std::vector<Departure>> found = DeparturesOfBest();
    if (!found.has_value()) break;
    all_ = *found;
    best_departures_ = *std::move(found);
  }
  if (interrupted_.has_value()) {
    out.end = Minimized::End::kInterrupted;
    out.exit_code = *interrupted_;
  }
  CHECK(out.end != Minimized::End::kDone || best_.has_value())
      << "minimize ran out of runs before remaking the failure (max_runs " << max_runs_ << ")";
  if (out.end == Minimized::End::kDone) out.schedule = *std::move(best_);
  out.departures = best_departures_;
  out.runs = runs_;
  return out;
}

}  // namespace

Minimized MinimizeDepartures(PreparedReplay& prepared, std::vector<Departure> departures, const std::string& outcome,
                             const std::string& signature, size_t max_runs, bool verbose) {
  return Minimizer(prepared, std::move(departures), outcome, signature, max_runs, verbose).Run();
}

}  // namespace ravel
