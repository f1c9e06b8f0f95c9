#include "strategies/pos_strategy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "strategies/contract.h"

namespace ravel {
namespace {

constexpr uint64_t kDrawnBand = uint64_t{1} << 63;

}  // namespace

PosStrategy::PosStrategy(const StrategyOptions& options) : time_jump_percent_(options.time_jump_percent) {
  RAVEL_STRATEGY_CHECK(
      time_jump_percent_ >= 0 && time_jump_percent_ <= 100,
      absl::StrCat("time_jump_percent ", time_jump_percent_, " is outside [0, 100]"));
}

void PosStrategy::BeginRun(uint64_t seed, const RunHistory& history) {
  threads_.clear();
  last_picked_ = kNoThread;
  next_yield_priority_ = kDrawnBand - 1;
  reshuffles_ = 0;
}

uint64_t PosStrategy::Fresh() { return kDrawnBand | (rng().Next(Stream::kPriority) >> 1); }

PosStrategy::Pending* PosStrategy::Find(ThreadId id) {
  if (id < 0 || static_cast<size_t>(id) >= threads_.size() || !threads_[id].live) return nullptr;
  return &threads_[id];
}

void PosStrategy::EnsureKnown(ThreadId id) {
  if (id < 0) return;
  if (static_cast<size_t>(id) >= threads_.size()) threads_.resize(static_cast<size_t>(id) + 1);
  Pending& p = threads_[id];
  if (p.live || p.priority != 0) return;  // live, or exited (an exited thread keeps its priority)
  p.live = true;
  p.resource = 0;
  p.priority = Fresh();
}

void PosStrategy::OnThreadCreated(ThreadId id, ThreadId parent) { EnsureKnown(id); }

void PosStrategy::OnThreadExited(ThreadId id) {
  EnsureKnown(id);
  if (id >= 0) threads_[id].live = false;
}

bool PosStrategy::Outranks(ThreadId a, ThreadId b) const {
  const uint64_t pa = threads_[a].priority, pb = threads_[b].priority;
  return pa != pb ? pa > pb : a < b;
}

ThreadId PosStrategy::PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  EnsureKnown(point.current);
  for (ThreadId id : runnable) EnsureKnown(id);

  // The event the last picked thread ran: the pending events on its resource raced with it.
  if (const Pending* ran = Find(last_picked_); ran != nullptr && ran->resource != 0) {
    const uint64_t resource = ran->resource;
    for (size_t id = 0; id < threads_.size(); ++id) {
      Pending& other = threads_[id];
      if (static_cast<ThreadId>(id) == last_picked_ || !other.live || other.resource != resource) continue;
      other.priority = Fresh();
      ++reshuffles_;
    }
  }
  // The thread at this point has a new pending event.
  if (Pending* current = Find(point.current); current != nullptr) {
    current->resource = point.resource;
    current->priority = point.yield_hint ? next_yield_priority_-- : Fresh();
  }

  ThreadId best = runnable.front();
  for (ThreadId id : runnable) {
    if (Outranks(id, best)) best = id;
  }
  last_picked_ = best;
  return best;
}

std::vector<ThreadId> PosStrategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  for (ThreadId id : waiters) EnsureKnown(id);
  std::vector<ThreadId> order(waiters.begin(), waiters.end());
  std::stable_sort(order.begin(), order.end(), [this](ThreadId a, ThreadId b) { return Outranks(a, b); });
  order.resize(count);
  return order;
}

bool PosStrategy::ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  return rng().Chance(Stream::kTime, static_cast<uint64_t>(time_jump_percent_), 100);
}

std::optional<uint64_t> PosStrategy::PriorityOf(ThreadId id) const {
  if (id < 0 || static_cast<size_t>(id) >= threads_.size() || !threads_[id].live) return std::nullopt;
  return threads_[id].priority;
}

}  // namespace ravel
