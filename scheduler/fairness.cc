#include "scheduler/fairness.h"

#include <algorithm>

namespace ravel {

void Fairness::Sync(absl::Span<const ThreadId> runnable, uint64_t step) {
  for (ThreadId u : runnable) {
    State& s = threads_[u];
    if (!s.runnable) {
      s.runnable = true;
      s.runnable_since = step;
    }
  }
  for (auto& [id, s] : threads_) {
    if (!s.runnable || std::binary_search(runnable.begin(), runnable.end(), id)) continue;
    s.runnable = false;
    for (auto& [other, o] : threads_) o.owes.erase(id);
  }
}

void Fairness::OnRan(ThreadId u, uint64_t step) {
  State& s = threads_[u];
  s.last_ran = step;
  s.ever_ran = true;
  for (auto& [other, o] : threads_) o.owes.erase(u);
}

void Fairness::OnYield(ThreadId t, uint64_t step, absl::Span<const ThreadId> runnable) {
  OnRan(t, step);  // a thread yields while it runs
  State& me = threads_[t];
  if (me.has_yielded) {
    for (ThreadId u : runnable) {
      if (u == t) continue;
      auto it = threads_.find(u);
      if (it == threads_.end() || !it->second.runnable) continue;
      const State& s = it->second;
      // Waiting since t's previous yield at the latest, and not run since.
      const bool waiting = s.runnable_since <= me.last_yield && !(s.ever_ran && s.last_ran >= me.last_yield);
      if (waiting) me.owes.insert(u);
    }
  }
  me.has_yielded = true;
  me.last_yield = step;
}

std::vector<ThreadId> Fairness::Filter(absl::Span<const ThreadId> runnable) const {
  std::vector<ThreadId> allowed;
  allowed.reserve(runnable.size());
  for (ThreadId t : runnable) {
    auto it = threads_.find(t);
    bool held = false;
    if (it != threads_.end()) {
      for (ThreadId u : it->second.owes) {
        if (std::binary_search(runnable.begin(), runnable.end(), u)) {
          held = true;
          break;
        }
      }
    }
    if (!held) allowed.push_back(t);
  }
  // Not reachable while the edges form no cycle (see the header); should it ever be, the
  // strategy chooses among all rather than the run stopping.
  if (allowed.empty()) return std::vector<ThreadId>(runnable.begin(), runnable.end());
  return allowed;
}

std::vector<ThreadId> Fairness::OwedBy(ThreadId t) const {
  auto it = threads_.find(t);
  if (it == threads_.end()) return {};
  return std::vector<ThreadId>(it->second.owes.begin(), it->second.owes.end());
}

}  // namespace ravel
