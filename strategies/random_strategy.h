// RandomStrategy ("random"): at every scheduling point, a uniformly random runnable
// thread runs next; a futex wake releases a uniformly random subset of the waiters.
//
// The simplest randomized strategy and a baseline for the others: it finds bugs that
// need few preemptions at arbitrary places, but the chance that it produces one specific
// long stretch of a thread followed by one preemption falls exponentially with the
// stretch's length (PCT does not have that weakness).
//
// Invariants: picks draw from Stream::kPick only, wakes from Stream::kWake only, time
// jumps from Stream::kTime only; a decision with a single outcome draws nothing. A yield
// hint changes nothing: the yielding thread is not favoured, as it is never favoured.
#ifndef RAVEL_STRATEGIES_RANDOM_STRATEGY_H_
#define RAVEL_STRATEGIES_RANDOM_STRATEGY_H_

#include <vector>

#include "strategies/strategy.h"

namespace ravel {

class RandomStrategy : public Strategy {
 public:
  // Uses options.time_jump_percent (must be within [0, 100], checked).
  explicit RandomStrategy(const StrategyOptions& options = {});

  absl::string_view name() const override { return "random"; }
  std::unique_ptr<Strategy> Fork() const override { return std::unique_ptr<Strategy>(new RandomStrategy(*this)); }
  void ForkInto(std::unique_ptr<Strategy>& copy) const override { ForkIntoSame(*this, copy); }

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override {}
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point,
                         absl::Span<const ThreadId> runnable) override;

 private:
  int time_jump_percent_;
};

}  // namespace ravel

#endif  // RAVEL_STRATEGIES_RANDOM_STRATEGY_H_
