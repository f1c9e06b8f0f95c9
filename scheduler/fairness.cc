#include "scheduler/fairness.h"

#include <algorithm>
#include <iterator>
#include <limits>

namespace ravel {

void StepList::Insert(ThreadId id, uint64_t step) {
  const size_t u = static_cast<size_t>(id);
  if (u >= in_.size()) {
    step_.resize(u + 1, 0);
    prev_.resize(u + 1, kEnd);
    next_.resize(u + 1, kEnd);
    in_.resize(u + 1, 0);
  }
  ThreadId after = tail_;
  while (after != kEnd && step_[static_cast<size_t>(after)] > step) after = prev_[static_cast<size_t>(after)];
  const ThreadId before = after == kEnd ? head_ : next_[static_cast<size_t>(after)];
  step_[u] = step;
  prev_[u] = after;
  next_[u] = before;
  (after == kEnd ? head_ : next_[static_cast<size_t>(after)]) = id;
  (before == kEnd ? tail_ : prev_[static_cast<size_t>(before)]) = id;
  in_[u] = 1;
}

void StepList::Erase(ThreadId id) {
  const size_t u = static_cast<size_t>(id);
  const ThreadId after = prev_[u], before = next_[u];
  (after == kEnd ? head_ : next_[static_cast<size_t>(after)]) = before;
  (before == kEnd ? tail_ : prev_[static_cast<size_t>(before)]) = after;
  in_[u] = 0;
}

Fairness::State& Fairness::At(ThreadId id) {
  const size_t u = static_cast<size_t>(id);
  if (u >= threads_.size()) {
    threads_.resize(u + 1);
    waiting_.resize(u + 1, 0);
    limit_.resize(u + 1, kOwesNone);
    eligible_.resize(u + 1, 0);
  }
  State& s = threads_[u];
  s.known = true;
  return s;
}

void Fairness::Refresh(ThreadId id) {
  const size_t u = static_cast<size_t>(id);
  const State& s = threads_[u];
  const uint64_t waiting = Waiting(s);
  const uint64_t limit = s.owes_any ? s.owe_limit : kOwesNone;
  const uint8_t eligible = s.known && s.runnable;
  // Each index changes only where its key does (most refreshes change one or neither).
  const bool was = eligible_[u] != 0;
  if (!was || !eligible || waiting != waiting_[u]) {
    if (was) by_waiting_.Erase(id);
    if (eligible) by_waiting_.Insert(id, waiting);
  }
  if (!was || !eligible || limit != limit_[u]) {
    if (was && limit_[u] != kOwesNone) by_limit_.Erase(id);
    if (eligible && limit != kOwesNone) by_limit_.Insert(id, limit);
  }
  waiting_[u] = waiting;
  limit_[u] = limit;
  eligible_[u] = eligible;
}

const Fairness::State* Fairness::Find(ThreadId id) const {
  if (id < 0 || static_cast<size_t>(id) >= threads_.size() || !threads_[static_cast<size_t>(id)].known) return nullptr;
  return &threads_[static_cast<size_t>(id)];
}

void Fairness::Sync(absl::Span<const ThreadId> runnable, uint64_t step) {
  // Most steps change nothing (the same threads can run): then there is nothing to merge.
  if (absl::MakeConstSpan(last_runnable_) == runnable) return;
  // Both lists ascending: one merge finds who became runnable and who stopped being so
  // (blocked or exited: nothing waits for it any more, since owing needs it runnable).
  size_t i = 0, j = 0;
  while (i < last_runnable_.size() || j < runnable.size()) {
    if (j == runnable.size() || (i < last_runnable_.size() && last_runnable_[i] < runnable[j])) {
      const ThreadId id = last_runnable_[i++];
      At(id).runnable = false;
      Refresh(id);
    } else if (i == last_runnable_.size() || runnable[j] < last_runnable_[i]) {
      const ThreadId id = runnable[j++];
      State& s = At(id);
      s.runnable = true;
      s.runnable_since = step;
      Refresh(id);
    } else {
      const ThreadId id = runnable[j++];
      State& s = At(id);
      ++i;
      if (!s.runnable) {  // (not reached while every change goes through Sync)
        s.runnable = true;
        s.runnable_since = step;
        Refresh(id);
      }
    }
  }
  last_runnable_.assign(runnable.begin(), runnable.end());
}

void Fairness::OnRan(ThreadId u, uint64_t step) {
  State& s = At(u);
  s.last_ran = step;
  s.ever_ran = true;
  Refresh(u);
}

void Fairness::OnYield(ThreadId t, uint64_t step, absl::Span<const ThreadId> runnable) {
  (void)runnable;  // whom t owes follows from the states (see the header)
  OnRan(t, step);  // a thread yields while it runs
  State& me = At(t);
  if (me.has_yielded) {
    me.owes_any = true;
    me.owe_limit = me.last_yield;
  }
  me.has_yielded = true;
  me.last_yield = step;
  Refresh(t);
}

std::vector<ThreadId> Fairness::Filter(absl::Span<const ThreadId> runnable) const {
  const std::vector<ThreadId> held = HeldBack(runnable);
  std::vector<ThreadId> allowed;
  allowed.reserve(runnable.size() - held.size());
  std::set_difference(runnable.begin(), runnable.end(), held.begin(), held.end(), std::back_inserter(allowed));
  return allowed;
}

std::vector<ThreadId> Fairness::HeldBack(absl::Span<const ThreadId> runnable) const {
  // The two earliest waiting-since steps among the runnable threads: t is held back when
  // some other runnable thread has waited since its limit, i.e. when the earliest of the
  // others is at or below it.
  constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  uint64_t first = kNever, second = kNever;
  ThreadId first_id = kNoThread;
  const size_t known = eligible_.size();
  std::vector<ThreadId> held;
  const auto holds = [&](ThreadId t, uint64_t limit) {
    const uint64_t others = t == first_id ? second : first;
    return limit != kOwesNone && others <= limit;
  };
  if (absl::MakeConstSpan(last_runnable_) == runnable) {
    // The synced set: its eligible threads are by_waiting_, earliest first, and those that
    // owe are by_limit_. (Of two earliest with the same step either is first_id: `second`
    // is the same step then.) Only a limit at or above the earliest step holds a thread
    // back: walk those, from the latest down.
    if (const ThreadId earliest = by_waiting_.First(); earliest != StepList::kEnd) {
      first = by_waiting_.Step(earliest);
      first_id = earliest;
      if (const ThreadId next = by_waiting_.Next(earliest); next != StepList::kEnd) second = by_waiting_.Step(next);
    }
    for (ThreadId owes = by_limit_.Last(); owes != StepList::kEnd && by_limit_.Step(owes) >= first;
         owes = by_limit_.Previous(owes)) {
      if (holds(owes, by_limit_.Step(owes))) held.push_back(owes);
    }
    std::sort(held.begin(), held.end());
  } else {
    for (ThreadId u : runnable) {
      const size_t at = static_cast<size_t>(u);
      if (u < 0 || at >= known || eligible_[at] == 0) continue;
      const uint64_t w = waiting_[at];
      if (w < first) {
        second = first;
        first = w;
        first_id = u;
      } else if (w < second) {
        second = w;
      }
    }
    for (ThreadId t : runnable) {
      const size_t at = static_cast<size_t>(t);
      if (t >= 0 && at < known && holds(t, limit_[at])) held.push_back(t);
    }
  }
  // Not reachable while the edges form no cycle (see the header); should it ever be, the
  // strategy chooses among all rather than the run stopping.
  if (held.size() == runnable.size()) held.clear();
  return held;
}

std::vector<ThreadId> Fairness::OwedBy(ThreadId t) const {
  std::vector<ThreadId> owed;
  const State* me = Find(t);
  if (me == nullptr || !me->owes_any) return owed;
  for (size_t u = 0; u < threads_.size(); ++u) {
    const State& s = threads_[u];
    if (static_cast<ThreadId>(u) != t && s.known && s.runnable && Waiting(s) <= me->owe_limit) {
      owed.push_back(static_cast<ThreadId>(u));
    }
  }
  return owed;
}

}  // namespace ravel
