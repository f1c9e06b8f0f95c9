#include "strategies/pct_strategy.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "strategies/contract.h"

namespace ravel {
namespace {

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
  yield_order_.clear();
  yields_ = 0;
  runnable_.clear();
  in_runnable_.clear();
  order_.clear();
  ordered_.clear();
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
  RankInitial();  // (the ranks below it move down together: order_ stays in order)
  Order(id);
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
  Unorder(id);  // by the priority it still has
  switch (BandOf(id)) {
    case Band::kInitial:
      EraseIf(initial_, [id](ThreadId t) { return t == id; });
      RankInitial();
      break;
    case Band::kChanged:
      EraseIf(changed_, [id](const std::pair<int, ThreadId>& e) { return e.second == id; });
      break;
    case Band::kYielded:
    case Band::kNone:
    case Band::kExited:
      break;
  }
  SetBand(id, Band::kNone);
}

uint64_t PctStrategy::Key(ThreadId id) const {
  constexpr uint64_t kWithin = (uint64_t{1} << 62) - 1;
  const size_t at = static_cast<size_t>(id);
  switch (BandOf(id)) {
    case Band::kInitial:
      return (uint64_t{3} << 62) | (kWithin - initial_rank_[at]);
    case Band::kChanged:
      for (const auto& [priority, t] : changed_) {
        if (t == id) return (uint64_t{2} << 62) | static_cast<uint64_t>(priority);
      }
      return 0;
    case Band::kYielded:
      return (uint64_t{1} << 62) | (kWithin - yield_order_[at]);
    case Band::kNone:
    case Band::kExited:
      break;
  }
  return 0;
}

void PctStrategy::Order(ThreadId id) {
  if (Flag(ordered_, id) || !Flag(in_runnable_, id) || !IsLive(id)) return;
  const uint64_t key = Key(id);
  const auto at = std::lower_bound(order_.begin(), order_.end(), key,
                                   [this](ThreadId t, uint64_t k) { return Key(t) > k; });
  order_.insert(at, id);
  SetFlag(ordered_, id, true);
}

void PctStrategy::Unorder(ThreadId id) {
  if (!Flag(ordered_, id)) return;
  const uint64_t key = Key(id);
  const auto at = std::lower_bound(order_.begin(), order_.end(), key,
                                   [this](ThreadId t, uint64_t k) { return Key(t) > k; });
  RAVEL_STRATEGY_CHECK(at != order_.end() && *at == id, absl::StrCat("pct: thread ", id, " lost its place"));
  order_.erase(at);
  SetFlag(ordered_, id, false);
}

void PctStrategy::SyncRunnable(absl::Span<const ThreadId> runnable) {
  // Most picks see the set of the one before (the same threads can run).
  if (absl::MakeConstSpan(runnable_) == runnable) return;
  // Both ascending: one merge. Those that joined are first seen in ascending order.
  size_t i = 0, j = 0;
  while (i < runnable_.size() || j < runnable.size()) {
    if (j == runnable.size() || (i < runnable_.size() && runnable_[i] < runnable[j])) {
      const ThreadId gone = runnable_[i++];
      SetFlag(in_runnable_, gone, false);
      Unorder(gone);
    } else if (i == runnable_.size() || runnable[j] < runnable_[i]) {
      const ThreadId joined = runnable[j++];
      SetFlag(in_runnable_, joined, true);
      EnsureKnown(joined);  // (which orders a thread it gives a priority to)
      Order(joined);
    } else {
      ++i;
      ++j;
    }
  }
  runnable_.assign(runnable.begin(), runnable.end());
}

void PctStrategy::SetChangePriority(ThreadId id, int priority) {
  Unlink(id);
  // changed_ is ordered by priority, highest first; each priority is used once per run.
  auto pos =
      std::find_if(changed_.begin(), changed_.end(),
                   [priority](const std::pair<int, ThreadId>& e) { return e.first < priority; });
  changed_.insert(pos, {priority, id});
  SetBand(id, Band::kChanged);
  Order(id);
}

void PctStrategy::MoveToYieldBand(ThreadId id) {
  Unlink(id);
  if (static_cast<size_t>(id) >= yield_order_.size()) yield_order_.resize(static_cast<size_t>(id) + 1);
  yield_order_[static_cast<size_t>(id)] = yields_++;
  SetBand(id, Band::kYielded);
  Order(id);
}

ThreadId PctStrategy::PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  return PickAmong(point, Choices{runnable, {}});
}

ThreadId PctStrategy::PickAmong(const SchedulingPoint& point, const Choices& choices) {
  // Threads the scheduler did not announce get their initial priority on first sight: the
  // current one, then the runnable ones in ascending id order (deterministic).
  EnsureKnown(point.current);
  SyncRunnable(choices.runnable);

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

  // The highest-priority runnable thread that is not held back: the first of order_ (the
  // held ones are few). Every runnable thread without a priority has exited.
  for (ThreadId id : order_) {
    if (!choices.Held(id)) return id;
  }
  strategies_internal::ContractFailure(__FILE__, __LINE__,
                                       "pct: every runnable thread was reported as exited");
}

std::vector<ThreadId> PctStrategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  for (ThreadId id : waiters) EnsureKnown(id);
  // The highest-priority waiters (an exited one has none: it is not woken).
  std::vector<std::pair<uint64_t, ThreadId>> ranked;
  ranked.reserve(waiters.size());
  for (ThreadId id : waiters) {
    if (IsLive(id)) ranked.emplace_back(Key(id), id);
  }
  std::sort(ranked.begin(), ranked.end(), std::greater<>());
  std::vector<ThreadId> out;
  for (size_t i = 0; i < ranked.size() && out.size() < count; ++i) out.push_back(ranked[i].second);
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
      // Below every earlier yielder.
      const uint64_t mine = yield_order_[static_cast<size_t>(id)];
      int64_t earlier = 0;
      for (size_t t = 0; t < band_.size(); ++t) {
        earlier += band_[t] == Band::kYielded && yield_order_[t] < mine;
      }
      return -earlier;
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
  std::vector<std::pair<uint64_t, ThreadId>> yielded;
  for (size_t t = 0; t < band_.size(); ++t) {
    if (band_[t] == Band::kYielded) yielded.emplace_back(yield_order_[t], static_cast<ThreadId>(t));
  }
  std::sort(yielded.begin(), yielded.end());
  for (const auto& [order, id] : yielded) out.push_back(id);
  return out;
}

}  // namespace ravel
