#include "strategies/random_strategy.h"

#include "absl/strings/str_cat.h"
#include "strategies/contract.h"

namespace ravel {

RandomStrategy::RandomStrategy(const StrategyOptions& options)
    : time_jump_percent_(options.time_jump_percent) {
  RAVEL_STRATEGY_CHECK(
      time_jump_percent_ >= 0 && time_jump_percent_ <= 100,
      absl::StrCat("time_jump_percent ", time_jump_percent_, " is outside [0, 100]"));
}

ThreadId RandomStrategy::PickNext(const SchedulingPoint& point,
                                  absl::Span<const ThreadId> runnable) {
  return runnable[rng().Uniform(Stream::kPick, runnable.size())];
}

std::vector<ThreadId> RandomStrategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  std::vector<ThreadId> out;
  out.reserve(count);
  for (size_t i : rng().SortedSubset(Stream::kWake, count, waiters.size())) {
    out.push_back(waiters[i]);
  }
  return out;
}

bool RandomStrategy::ShouldAdvanceTime(const SchedulingPoint& point,
                                       absl::Span<const ThreadId> runnable) {
  return rng().Chance(Stream::kTime, static_cast<uint64_t>(time_jump_percent_), 100);
}

}  // namespace ravel
