#include "scheduler/fairness.h"

#include <algorithm>
#include <limits>

namespace ravel {

Fairness::State& Fairness::At(ThreadId id) {
  if (static_cast<size_t>(id) >= threads_.size()) threads_.resize(static_cast<size_t>(id) + 1);
  State& s = threads_[static_cast<size_t>(id)];
  s.known = true;
  return s;
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
      At(last_runnable_[i++]).runnable = false;
    } else if (i == last_runnable_.size() || runnable[j] < last_runnable_[i]) {
      State& s = At(runnable[j++]);
      s.runnable = true;
      s.runnable_since = step;
    } else {
      State& s = At(runnable[j++]);
      ++i;
      if (!s.runnable) {  // (not reached while every change goes through Sync)
        s.runnable = true;
        s.runnable_since = step;
      }
    }
  }
  last_runnable_.assign(runnable.begin(), runnable.end());
}

void Fairness::OnRan(ThreadId u, uint64_t step) {
  State& s = At(u);
  s.last_ran = step;
  s.ever_ran = true;
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
}

std::vector<ThreadId> Fairness::Filter(absl::Span<const ThreadId> runnable) const {
  // The two earliest waiting-since steps among the runnable threads: t is held back when
  // some other runnable thread has waited since its limit, i.e. when the earliest of the
  // others is at or below it.
  constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  uint64_t first = kNever, second = kNever;
  ThreadId first_id = kNoThread;
  for (ThreadId u : runnable) {
    const State* s = Find(u);
    if (s == nullptr || !s->runnable) continue;
    const uint64_t w = Waiting(*s);
    if (w < first) {
      second = first;
      first = w;
      first_id = u;
    } else if (w < second) {
      second = w;
    }
  }
  std::vector<ThreadId> allowed;
  allowed.reserve(runnable.size());
  for (ThreadId t : runnable) {
    const State* s = Find(t);
    const uint64_t others = t == first_id ? second : first;
    if (s == nullptr || !s->owes_any || others > s->owe_limit) allowed.push_back(t);
  }
  // Not reachable while the edges form no cycle (see the header); should it ever be, the
  // strategy chooses among all rather than the run stopping.
  if (allowed.empty()) return std::vector<ThreadId>(runnable.begin(), runnable.end());
  return allowed;
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
