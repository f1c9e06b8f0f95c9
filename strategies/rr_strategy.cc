#include "strategies/rr_strategy.h"

#include <algorithm>

namespace ravel {

ThreadId RoundRobinStrategy::PickNext(const SchedulingPoint& point,
                                      absl::Span<const ThreadId> runnable) {
  if (point.current == kNoThread) return runnable.front();
  // `runnable` is ascending: the first id above the current one, else wrap around.
  auto next = std::upper_bound(runnable.begin(), runnable.end(), point.current);
  return next == runnable.end() ? runnable.front() : *next;
}

}  // namespace ravel
