#include "strategies/random_strategy.h"

#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace ravel {
namespace {

double ChiSquare(const std::vector<uint64_t>& counts) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double chi = 0;
  for (uint64_t c : counts) chi += (c - expected) * (c - expected) / expected;
  return chi;
}

SchedulingPoint PointAt(uint64_t step, ThreadId current) {
  SchedulingPoint point;
  point.step = step;
  point.current = current;
  point.current_runnable = true;
  return point;
}

TEST(RandomStrategyTest, PicksAreRoughlyUniform) {
  RandomStrategy s;
  s.Begin(17, {});
  const std::vector<ThreadId> runnable = {1, 3, 4, 8, 9};
  std::vector<uint64_t> counts(10);
  ThreadId current = 1;
  for (uint64_t step = 0; step < 50000; ++step) {
    current = s.Pick(PointAt(step, current), runnable);
    ++counts[current];
  }
  std::vector<uint64_t> runnable_counts;
  for (ThreadId id : runnable) runnable_counts.push_back(counts[id]);
  // 4 degrees of freedom: P(chi2 > 25) < 1e-4. Fixed seed: deterministic.
  EXPECT_LT(ChiSquare(runnable_counts), 25.0);
  // Threads that are not runnable are never picked.
  EXPECT_EQ(counts[0] + counts[2] + counts[5] + counts[6] + counts[7], 0u);
}

TEST(RandomStrategyTest, PinnedDecisions) {
  // The decisions of a seed are part of ravel's reproducibility promise.
  RandomStrategy s;
  s.Begin(7, {});
  const std::vector<ThreadId> runnable = {0, 1, 2, 3};
  std::vector<ThreadId> picks;
  ThreadId current = 0;
  for (uint64_t step = 0; step < 16; ++step) {
    current = s.Pick(PointAt(step, current), runnable);
    picks.push_back(current);
  }
  EXPECT_EQ(picks, (std::vector<ThreadId>{2, 1, 2, 3, 0, 3, 3, 3, 3, 1, 1, 0, 3, 1, 3, 0}));
}

TEST(RandomStrategyTest, ForcedPointsDoNotConsumeThePickStream) {
  // Points with a single runnable thread draw nothing, so the choices at real
  // decisions are the same with or without them.
  const std::vector<ThreadId> two = {0, 1};
  const std::vector<ThreadId> one = {1};
  RandomStrategy a;
  RandomStrategy b;
  a.Begin(5, {});
  b.Begin(5, {});
  for (uint64_t step = 0; step < 200; ++step) {
    if (step % 3 == 0) b.Pick(PointAt(step, 1), one);
    ASSERT_EQ(a.Pick(PointAt(step, 0), two), b.Pick(PointAt(step, 0), two)) << step;
  }
}

TEST(RandomStrategyTest, WakeeSubsetsAreRoughlyUniform) {
  RandomStrategy s;
  s.Begin(23, {});
  const std::vector<ThreadId> waiters = {6, 2, 9, 4};
  std::map<std::vector<ThreadId>, uint64_t> seen;
  for (int i = 0; i < 30000; ++i) ++seen[s.ChooseWakees(waiters, 2)];
  ASSERT_EQ(seen.size(), 6u);  // all C(4, 2) subsets occur
  std::vector<uint64_t> counts;
  for (const auto& [subset, count] : seen) counts.push_back(count);
  EXPECT_LT(ChiSquare(counts), 25.0);  // 5 degrees of freedom
}

TEST(RandomStrategyTest, TimeChaosFrequency) {
  StrategyOptions options;
  options.time_jump_percent = 20;
  RandomStrategy s(options);
  s.Begin(3, {});
  const std::vector<ThreadId> runnable = {0};
  int jumps = 0;
  for (int i = 0; i < 10000; ++i) jumps += s.AdvanceTimeFirst(PointAt(i, 0), runnable);
  EXPECT_NEAR(jumps, 2000, 200);
}

}  // namespace
}  // namespace ravel
