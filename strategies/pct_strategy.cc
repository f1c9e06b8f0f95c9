#include "strategies/pct_strategy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "strategies/contract.h"

namespace ravel {
namespace {

bool Contains(absl::Span<const ThreadId> sorted, ThreadId id) {
  return std::binary_search(sorted.begin(), sorted.end(), id);
}

template <typename Container, typename Pred>
void EraseIf(Container& c, Pred pred) {
  c.erase(std::remove_if(c.begin(), c.end(), pred), c.end());
}

}  // namespace

PctStrategy::PctStrategy(const StrategyOptions& options)
    : depth_(options.pct_depth),
      steps_hint_(options.pct_steps_hint),
      time_jump_percent_(options.time_jump_percent) {
  RAVEL_STRATEGY_CHECK(depth_ >= 1, absl::StrCat("pct_depth must be >= 1, not ", depth_));
  RAVEL_STRATEGY_CHECK(
      time_jump_percent_ >= 0 && time_jump_percent_ <= 100,
      absl::StrCat("time_jump_percent ", time_jump_percent_, " is outside [0, 100]"));
}

void PctStrategy::BeginRun(uint64_t seed, const RunHistory& history) {
  if (steps_hint_ != 0) {
    steps_bound_ = steps_hint_;
  } else if (history.runs > 0 && history.max_steps > 0) {
    steps_bound_ = history.max_steps;
  } else {
    steps_bound_ = kDefaultSteps;
  }
  const uint64_t wanted = static_cast<uint64_t>(depth_ - 1);
  const size_t count = static_cast<size_t>(std::min(wanted, steps_bound_));
  change_points_ = rng().DistinctSample(Stream::kChangePoints, count, 1, steps_bound_);
  schedule_.clear();
  for (size_t i = 0; i < change_points_.size(); ++i) {
    schedule_.emplace_back(change_points_[i], static_cast<int>(i + 1));
  }
  std::sort(schedule_.begin(), schedule_.end());
  next_change_ = 0;
  band_.clear();
  initial_.clear();
  initial_rank_.clear();
  changed_.clear();
  yielded_.clear();
  yield_order_.clear();
  yields_ = 0;
}

void PctStrategy::OnThreadCreated(ThreadId id, ThreadId parent) { EnsureKnown(id); }

void PctStrategy::OnThreadExited(ThreadId id) {
  if (IsLive(id)) Unlink(id);
  if (id >= 0) SetBand(id, Band::kExited);
}

void PctStrategy::GiveInitialPriority(ThreadId id) {
  // A uniformly random rank among the threads holding initial priorities: position 0 is
  // the highest, position initial_.size() the lowest.
  const size_t rank = static_cast<size_t>(rng().Uniform(Stream::kPriority, initial_.size() + 1));
  initial_.insert(initial_.begin() + static_cast<ptrdiff_t>(rank), id);
  SetBand(id, Band::kInitial);
  RankInitial();
}

void PctStrategy::RankInitial() {
  for (size_t i = 0; i < initial_.size(); ++i) {
    const size_t at = static_cast<size_t>(initial_[i]);
    if (at >= initial_rank_.size()) initial_rank_.resize(at + 1);
    initial_rank_[at] = i;
  }
}

void PctStrategy::SetBand(ThreadId id, Band band) {
  const size_t at = static_cast<size_t>(id);
  if (at >= band_.size()) band_.resize(at + 1, Band::kNone);
  band_[at] = band;
}

void PctStrategy::Unlink(ThreadId id) {
  RAVEL_STRATEGY_CHECK(IsLive(id), absl::StrCat("thread ", id, " has no priority"));
  switch (BandOf(id)) {
    case Band::kInitial:
      EraseIf(initial_, [id](ThreadId t) { return t == id; });
      RankInitial();
      break;
    case Band::kChanged:
      EraseIf(changed_, [id](const std::pair<int, ThreadId>& e) { return e.second == id; });
      break;
    case Band::kYielded:
      yielded_.erase({yield_order_[static_cast<size_t>(id)], id});
      break;
    case Band::kNone:
    case Band::kExited:
      break;
  }
  SetBand(id, Band::kNone);
}

void PctStrategy::SetChangePriority(ThreadId id, int priority) {
  Unlink(id);
  // changed_ is ordered by priority, highest first; each priority is used once per run.
  auto pos =
      std::find_if(changed_.begin(), changed_.end(),
                   [priority](const std::pair<int, ThreadId>& e) { return e.first < priority; });
  changed_.insert(pos, {priority, id});
  SetBand(id, Band::kChanged);
}

void PctStrategy::MoveToYieldBand(ThreadId id) {
  Unlink(id);
  if (static_cast<size_t>(id) >= yield_order_.size()) yield_order_.resize(static_cast<size_t>(id) + 1);
  yield_order_[static_cast<size_t>(id)] = yields_;
  yielded_.emplace(yields_++, id);
  SetBand(id, Band::kYielded);
}

ThreadId PctStrategy::PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  // Threads the scheduler did not announce get their initial priority on first sight,
  // in ascending id order (deterministic).
  EnsureKnown(point.current);
  for (ThreadId id : runnable) EnsureKnown(id);

  // Change points due at or before this point's ordinal. They demote the thread that
  // reached the point; when none that stays alive did, they wait for the next point.
  const bool current_takes_change =
      point.current != kNoThread && IsLive(point.current) &&
      !(point.kind == PointKind::kThreadExit && !point.current_runnable);
  while (current_takes_change && next_change_ < schedule_.size() &&
         schedule_[next_change_].first <= point.step + 1) {
    SetChangePriority(point.current, schedule_[next_change_].second);
    ++next_change_;
  }

  if (point.yield_hint && point.current != kNoThread && IsLive(point.current)) {
    MoveToYieldBand(point.current);
  }

  // The highest-priority runnable thread: the initial band's first, else the changed
  // band's (d - 1 threads at most), else the earliest yielder. One pass over `runnable`: a
  // walk down the bands would pass every higher thread that cannot run (hundreds, with
  // many threads blocked on one lock), at every pick.
  ThreadId best_initial = kNoThread, best_yielded = kNoThread;
  bool any_changed = false;
  for (ThreadId id : runnable) {
    const size_t at = static_cast<size_t>(id);
    switch (BandOf(id)) {
      case Band::kInitial:
        if (best_initial == kNoThread || initial_rank_[at] < initial_rank_[static_cast<size_t>(best_initial)]) {
          best_initial = id;
        }
        break;
      case Band::kChanged:
        any_changed = true;
        break;
      case Band::kYielded:
        if (best_yielded == kNoThread || yield_order_[at] < yield_order_[static_cast<size_t>(best_yielded)]) {
          best_yielded = id;
        }
        break;
      case Band::kNone:
      case Band::kExited:
        break;
    }
  }
  if (best_initial != kNoThread) return best_initial;
  if (any_changed) {
    for (const auto& [priority, id] : changed_) {
      if (Contains(runnable, id)) return id;
    }
  }
  if (best_yielded != kNoThread) return best_yielded;
  // Unreachable: every runnable thread was given a priority above, unless the scheduler
  // lists a thread it reported as exited.
  strategies_internal::ContractFailure(__FILE__, __LINE__,
                                       "pct: a runnable thread was reported as exited");
}

std::vector<ThreadId> PctStrategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  for (ThreadId id : waiters) EnsureKnown(id);
  std::vector<ThreadId> out;
  out.reserve(count);
  const auto take_if_waiting = [&](ThreadId id) {
    if (out.size() < count && std::find(waiters.begin(), waiters.end(), id) != waiters.end()) {
      out.push_back(id);
    }
  };
  for (ThreadId id : initial_) take_if_waiting(id);
  for (const auto& [priority, id] : changed_) take_if_waiting(id);
  for (const auto& [order, id] : yielded_) take_if_waiting(id);
  return out;
}

uint64_t PctStrategy::Lease(const SchedulingPoint& decided, absl::Span<const ThreadId> runnable) {
  constexpr uint64_t kUnbounded = ~0ull;
  if (next_change_ >= schedule_.size()) return kUnbounded;
  // A change applies at the first point whose step + 1 reaches its ordinal; the next
  // points have steps decided.step + 1, + 2, ... (or stay at decided.step when only one
  // thread can run, which makes the bound conservative).
  const uint64_t ordinal = schedule_[next_change_].first;
  const uint64_t first_changed = ordinal >= 1 ? ordinal - 1 : 0;  // the step at which it applies
  return first_changed > decided.step + 1 ? first_changed - decided.step - 1 : 0;
}

bool PctStrategy::ShouldAdvanceTime(const SchedulingPoint& point,
                                    absl::Span<const ThreadId> runnable) {
  return rng().Chance(Stream::kTime, static_cast<uint64_t>(time_jump_percent_), 100);
}

std::optional<int64_t> PctStrategy::PriorityOf(ThreadId id) const {
  if (!IsLive(id)) return std::nullopt;
  switch (BandOf(id)) {
    case Band::kInitial: {
      const auto pos = std::find(initial_.begin(), initial_.end(), id) - initial_.begin();
      return static_cast<int64_t>(depth_) + static_cast<int64_t>(initial_.size()) - 1 - pos;
    }
    case Band::kChanged:
      for (const auto& [priority, t] : changed_) {
        if (t == id) return priority;
      }
      break;
    case Band::kYielded: {
      const auto pos = std::distance(yielded_.begin(), yielded_.find({yield_order_[static_cast<size_t>(id)], id}));
      return -static_cast<int64_t>(pos);
    }
    case Band::kNone:
    case Band::kExited:
      break;
  }
  return std::nullopt;
}

std::vector<ThreadId> PctStrategy::PriorityOrder() const {
  std::vector<ThreadId> out(initial_.begin(), initial_.end());
  for (const auto& [priority, id] : changed_) out.push_back(id);
  for (const auto& [order, id] : yielded_) out.push_back(id);
  return out;
}

}  // namespace ravel
