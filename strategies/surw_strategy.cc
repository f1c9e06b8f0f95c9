#include "strategies/surw_strategy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "strategies/contract.h"

namespace ravel {

// ---- EventProfile ----

uint64_t EventProfile::Resource::total() const {
  uint64_t sum = 0;
  for (uint64_t n : per_thread) sum += n;
  return sum;
}

int EventProfile::Resource::threads() const {
  return static_cast<int>(std::count_if(per_thread.begin(), per_thread.end(), [](uint64_t n) { return n > 0; }));
}

std::string EventProfile::Summary() const {
  int shared = 0;
  uint64_t most = 0;
  for (const Resource& r : resources) {
    if (r.threads() < 2) continue;
    ++shared;
    most = std::max(most, r.total());
  }
  return absl::StrCat(shared, " shared resource", shared == 1 ? "" : "s", ", ", parents.size(), " thread",
                      parents.size() == 1 ? "" : "s", ", ", most, " events on the most-used");
}

// ---- ProfilingStrategy ----

void ProfilingStrategy::BeginRun(uint64_t seed, const RunHistory& history) {
  profile_ = EventProfile{};
  index_.clear();
  inner_.Begin(seed, history);
}

void ProfilingStrategy::OnThreadCreated(ThreadId id, ThreadId parent) {
  if (id >= 0) {
    if (static_cast<size_t>(id) >= profile_.parents.size()) profile_.parents.resize(static_cast<size_t>(id) + 1, kNoThread);
    profile_.parents[id] = parent;
  }
  inner_.OnThreadCreated(id, parent);
}

ThreadId ProfilingStrategy::PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  if (point.resource != 0 && point.current >= 0) {
    auto [it, inserted] = index_.try_emplace(point.resource, profile_.resources.size());
    if (inserted) profile_.resources.push_back(EventProfile::Resource{point.resource, {}});
    std::vector<uint64_t>& counts = profile_.resources[it->second].per_thread;
    if (static_cast<size_t>(point.current) >= counts.size()) counts.resize(static_cast<size_t>(point.current) + 1);
    ++counts[point.current];
  }
  return inner_.Pick(point, runnable);
}

std::vector<ThreadId> ProfilingStrategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  return inner_.ChooseWakees(waiters, static_cast<int>(count));
}

bool ProfilingStrategy::ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  return inner_.AdvanceTimeFirst(point, runnable);
}

// ---- SurwStrategy ----

SurwStrategy::SurwStrategy(const StrategyOptions& options)
    : profile_(options.event_profile), time_jump_percent_(options.time_jump_percent) {
  RAVEL_STRATEGY_CHECK(
      time_jump_percent_ >= 0 && time_jump_percent_ <= 100,
      absl::StrCat("time_jump_percent ", time_jump_percent_, " is outside [0, 100]"));
}

void SurwStrategy::BeginRun(uint64_t seed, const RunHistory& history) {
  threads_.clear();
  target_resource_ = 0;
  target_thread_ = kNoThread;
  if (profile_ == nullptr) return;
  // The target resource: a shared one, weighted by its events.
  std::vector<const EventProfile::Resource*> shared;
  uint64_t total = 0;
  for (const EventProfile::Resource& r : profile_->resources) {
    if (r.threads() < 2) continue;
    shared.push_back(&r);
    total += r.total();
  }
  if (shared.empty()) return;
  uint64_t draw = rng().Uniform(Stream::kChangePoints, total);
  const EventProfile::Resource* target = shared.back();
  for (const EventProfile::Resource* r : shared) {
    if (draw < r->total()) {
      target = r;
      break;
    }
    draw -= r->total();
  }
  target_resource_ = target->resource;
  // Each thread's own interesting events, then its share: its own and its descendants'.
  const size_t n = std::max(profile_->parents.size(), target->per_thread.size());
  threads_.resize(n);
  for (size_t t = 0; t < target->per_thread.size(); ++t) threads_[t].own = target->per_thread[t];
  for (size_t t = 0; t < n; ++t) threads_[t].share = threads_[t].own;
  // Children have higher ids than their parents: fold from the last thread up.
  for (size_t t = n; t-- > 1;) {
    const ThreadId parent = t < profile_->parents.size() ? profile_->parents[t] : kNoThread;
    if (parent >= 0 && static_cast<size_t>(parent) < t) threads_[parent].share += threads_[t].share;
  }
}

SurwStrategy::ThreadState& SurwStrategy::State(ThreadId id) {
  if (static_cast<size_t>(id) >= threads_.size()) threads_.resize(static_cast<size_t>(id) + 1);
  return threads_[id];
}

uint64_t SurwStrategy::Left(ThreadId id) const {
  return id >= 0 && static_cast<size_t>(id) < threads_.size() ? threads_[id].left : 0;
}

void SurwStrategy::OnThreadCreated(ThreadId id, ThreadId parent) {
  if (id < 0) return;
  ThreadState& t = State(id);
  if (t.live || t.exited) return;
  t.live = true;
  t.left = t.share;
  if (parent < 0 || static_cast<size_t>(parent) >= threads_.size()) return;
  ThreadState& p = threads_[parent];
  // The new thread's work was counted in its creator's estimate: it moves over, and so,
  // in proportion, does the creator's turn as the target.
  if (target_thread_ == parent && t.left > 0 && p.left > 0 &&
      rng().UniformInRange(Stream::kPriority, 1, p.left) <= t.left) {
    target_thread_ = id;
  }
  p.left = p.left > t.left ? p.left - t.left : 0;
}

void SurwStrategy::OnThreadExited(ThreadId id) {
  if (id < 0) return;
  ThreadState& t = State(id);
  t.live = false;
  t.exited = true;
  t.held = false;
  if (target_thread_ == id) target_thread_ = kNoThread;
}

bool SurwStrategy::Interesting(ThreadId id) const {
  return target_resource_ != 0 && threads_[id].pending == target_resource_;
}

ThreadId SurwStrategy::ChooseTarget(const std::vector<ThreadId>& candidates) {
  uint64_t total = 0;
  for (ThreadId id : candidates) {
    ThreadState& t = threads_[id];
    if (Interesting(id) && t.left == 0) t.left = 1;  // an estimate that ran out still gets a turn
    total += t.left;
  }
  uint64_t draw = rng().Uniform(Stream::kPriority, total);
  for (ThreadId id : candidates) {
    if (draw < threads_[id].left) return id;
    draw -= threads_[id].left;
  }
  return candidates.back();  // unreachable: total > 0 (the caller's candidate is interesting)
}

ThreadId SurwStrategy::PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  for (ThreadId id : runnable) {
    if (!State(id).live && !State(id).exited) OnThreadCreated(id, kNoThread);
  }
  if (point.current >= 0 && !State(point.current).exited) {
    ThreadState& current = State(point.current);
    if (!current.live) OnThreadCreated(point.current, kNoThread);
    current.pending = point.resource;
  }
  const bool avoid_current = point.yield_hint && point.current >= 0;
  while (true) {
    std::vector<ThreadId> candidates;
    for (ThreadId id : runnable) {
      if (!threads_[id].held) candidates.push_back(id);
    }
    if (candidates.empty()) {
      // The target cannot make its interesting event now: release everyone.
      for (ThreadId id : runnable) threads_[id].held = false;
      target_thread_ = kNoThread;
      continue;
    }
    std::vector<ThreadId> drawable = candidates;
    if (avoid_current && drawable.size() > 1) {
      drawable.erase(std::remove(drawable.begin(), drawable.end(), point.current), drawable.end());
    }
    const ThreadId picked = drawable[rng().Uniform(Stream::kPick, drawable.size())];
    if (!Interesting(picked)) return picked;
    if (target_thread_ == kNoThread || !threads_[target_thread_].live) target_thread_ = ChooseTarget(candidates);
    if (picked != target_thread_) {
      threads_[picked].held = true;
      continue;
    }
    ThreadState& t = threads_[picked];
    if (t.left > 0) --t.left;
    for (ThreadState& other : threads_) other.held = false;
    target_thread_ = kNoThread;
    return picked;
  }
}

std::vector<ThreadId> SurwStrategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  std::vector<ThreadId> out;
  out.reserve(count);
  for (size_t i : rng().SortedSubset(Stream::kWake, count, waiters.size())) out.push_back(waiters[i]);
  return out;
}

bool SurwStrategy::ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  return rng().Chance(Stream::kTime, static_cast<uint64_t>(time_jump_percent_), 100);
}

}  // namespace ravel
