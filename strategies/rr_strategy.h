// RoundRobinStrategy ("rr"): switches thread at every scheduling point, in id order,
// without any randomness.
//
// At each point the next thread is the lowest runnable id above point.current, wrapping
// around to the lowest runnable id; with no current thread (kNoThread), the lowest
// runnable id. A futex wake releases the first waiters (FIFO). Time never jumps early.
// Useful as a deterministic, seed-independent schedule that still interleaves threads
// as finely as possible, and as a reference in tests.
//
// Invariants: the answers do not depend on the seed and draw nothing from the Rng.
#ifndef RAVEL_STRATEGIES_RR_STRATEGY_H_
#define RAVEL_STRATEGIES_RR_STRATEGY_H_

#include "strategies/strategy.h"

namespace ravel {

class RoundRobinStrategy : public Strategy {
 public:
  RoundRobinStrategy() = default;

  absl::string_view name() const override { return "rr"; }
  std::unique_ptr<Strategy> Fork() const override { return std::unique_ptr<Strategy>(new RoundRobinStrategy(*this)); }
  void ForkInto(std::unique_ptr<Strategy>& copy) const override { ForkIntoSame(*this, copy); }

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override {}
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
};

}  // namespace ravel

#endif  // RAVEL_STRATEGIES_RR_STRATEGY_H_
