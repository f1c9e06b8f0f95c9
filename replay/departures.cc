#include "replay/departures.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ravel {

std::string DescribeDeparture(const Departure& d) {
  switch (d.kind) {
    case Departure::Kind::kPick:
      if (d.at == kNoThread) return absl::StrCat("T", d.picked, " picked instead of T", d.fallback);
      if (d.preempted) return absl::StrCat("T", d.at, " preempted by T", d.picked, " at its point ", d.ordinal);
      return absl::StrCat("T", d.picked, " picked instead of T", d.fallback, " when T", d.at, " stopped at its point ",
                          d.ordinal);
    case Departure::Kind::kWake:
      return absl::StrCat("wake ", d.ordinal, " released [", absl::StrJoin(d.wakees, ", "), "]");
    case Departure::Kind::kTime:
      return absl::StrCat("time jump ", d.ordinal);
  }
  return "?";
}

ThreadId DefaultPick(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  const bool current_can_run = point.current_runnable &&
                               std::binary_search(runnable.begin(), runnable.end(), point.current);
  if (current_can_run && !(point.yield_hint && runnable.size() > 1)) return point.current;
  if (point.current == kNoThread) return runnable.front();
  // Round robin from the thread at the point: the next id above it, else the lowest.
  auto next = std::upper_bound(runnable.begin(), runnable.end(), point.current);
  return next != runnable.end() ? *next : runnable.front();
}

void PointCounter::Reset() {
  points_.clear();
  wakes_ = 0;
  times_ = 0;
}

uint64_t PointCounter::NextPick(ThreadId current) { return points_[current]++; }

void DepartureTracker::BeginRun(uint64_t seed, const RunHistory& history) {
  departures_.clear();
  counter_.Reset();
  step_ = 0;
  inner_.Begin(seed, history);
}

ThreadId DepartureTracker::PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  const uint64_t ordinal = counter_.NextPick(point.current);
  const ThreadId picked = inner_.Pick(point, runnable);
  const ThreadId fallback = DefaultPick(point, runnable);
  if (picked != fallback) {
    Departure d;
    d.kind = Departure::Kind::kPick;
    d.at = point.current;
    d.ordinal = ordinal;
    d.picked = picked;
    d.fallback = fallback;
    d.preempted = point.current_runnable && point.current != kNoThread &&
                  std::binary_search(runnable.begin(), runnable.end(), point.current);
    d.step = step_;
    d.choice = point.step;
    departures_.push_back(std::move(d));
  }
  return picked;
}

std::vector<ThreadId> DepartureTracker::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  const uint64_t ordinal = counter_.NextWake();
  std::vector<ThreadId> chosen = inner_.ChooseWakees(waiters, static_cast<int>(count));
  if (!std::equal(chosen.begin(), chosen.end(), waiters.begin())) {
    Departure d;
    d.kind = Departure::Kind::kWake;
    d.ordinal = ordinal;
    d.wakees = chosen;
    d.step = step_;
    departures_.push_back(std::move(d));
  }
  return chosen;
}

bool DepartureTracker::ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  const uint64_t ordinal = counter_.NextTime();
  const bool advance = inner_.AdvanceTimeFirst(point, runnable);
  if (advance) {
    Departure d;
    d.kind = Departure::Kind::kTime;
    d.ordinal = ordinal;
    d.advance = true;
    d.step = step_;
    d.choice = point.step;
    departures_.push_back(std::move(d));
  }
  return advance;
}

GuidedStrategy::GuidedStrategy(const std::vector<Departure>& departures, std::string name) : name_(std::move(name)) {
  for (const Departure& d : departures) {
    switch (d.kind) {
      case Departure::Kind::kPick:
        picks_[{d.at, d.ordinal}] = d.picked;
        break;
      case Departure::Kind::kWake:
        wakes_[d.ordinal] = d.wakees;
        break;
      case Departure::Kind::kTime:
        times_[d.ordinal] = d.advance;
        break;
    }
  }
}

void GuidedStrategy::BeginRun(uint64_t seed, const RunHistory& history) {
  counter_.Reset();
  applied_ = 0;
}

ThreadId GuidedStrategy::PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  const uint64_t ordinal = counter_.NextPick(point.current);
  if (auto it = picks_.find({point.current, ordinal}); it != picks_.end()) {
    if (std::binary_search(runnable.begin(), runnable.end(), it->second)) {
      ++applied_;
      return it->second;
    }
  }
  return DefaultPick(point, runnable);
}

std::vector<ThreadId> GuidedStrategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  const uint64_t ordinal = counter_.NextWake();
  if (auto it = wakes_.find(ordinal); it != wakes_.end() && it->second.size() == count) {
    // Only if every recorded wakee waits now; released in their order among the waiters.
    std::vector<ThreadId> chosen;
    for (ThreadId w : waiters) {
      if (std::find(it->second.begin(), it->second.end(), w) != it->second.end()) chosen.push_back(w);
    }
    if (chosen.size() == count) {
      ++applied_;
      return chosen;
    }
  }
  return std::vector<ThreadId>(waiters.begin(), waiters.begin() + static_cast<std::ptrdiff_t>(count));
}

bool GuidedStrategy::ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  const uint64_t ordinal = counter_.NextTime();
  if (auto it = times_.find(ordinal); it != times_.end() && it->second) {
    ++applied_;
    return true;
  }
  return false;
}

std::vector<size_t> MinimizeSubset(size_t n, const std::function<bool(const std::vector<size_t>&)>& fails,
                                   size_t max_tests) {
  std::vector<size_t> current(n);
  for (size_t i = 0; i < n; ++i) current[i] = i;
  std::set<std::vector<size_t>> tested;  // subsets already known to pass
  size_t tests = 0;
  // True if `subset` fails; each distinct subset is run once, within the budget.
  auto try_subset = [&](const std::vector<size_t>& subset) {
    if (tests >= max_tests || tested.count(subset) != 0) return false;
    ++tests;
    if (fails(subset)) return true;
    tested.insert(subset);
    return false;
  };
  if (n == 0 || try_subset({})) return {};
  size_t granularity = 2;
  while (current.size() >= 2 && tests < max_tests) {
    granularity = std::min(granularity, current.size());
    std::vector<std::vector<size_t>> chunks(granularity);
    for (size_t i = 0; i < current.size(); ++i) chunks[i * granularity / current.size()].push_back(current[i]);
    bool reduced = false;
    for (const std::vector<size_t>& chunk : chunks) {
      if (try_subset(chunk)) {
        current = chunk;
        granularity = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && granularity > 2) {
      for (const std::vector<size_t>& chunk : chunks) {
        std::vector<size_t> complement;
        std::set_difference(current.begin(), current.end(), chunk.begin(), chunk.end(),
                            std::back_inserter(complement));
        if (try_subset(complement)) {
          current = complement;
          granularity = std::max<size_t>(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (reduced) continue;
    if (granularity >= current.size()) break;  // single elements: 1-minimal
    granularity = std::min(granularity * 2, current.size());
  }
  return current;
}

}  // namespace ravel
