#include "strategies/rr_strategy.h"

#include <vector>

#include "gtest/gtest.h"

namespace ravel {
namespace {

SchedulingPoint PointAt(uint64_t step, ThreadId current, bool runnable = true) {
  SchedulingPoint point;
  point.step = step;
  point.current = current;
  point.current_runnable = runnable;
  return point;
}

TEST(RoundRobinStrategyTest, CyclesThroughRunnableThreadsInIdOrder) {
  RoundRobinStrategy s;
  s.Begin(0, {});
  const std::vector<ThreadId> runnable = {0, 1, 2};
  std::vector<ThreadId> picks;
  ThreadId current = 0;
  for (uint64_t step = 0; step < 7; ++step) {
    current = s.Pick(PointAt(step, current), runnable);
    picks.push_back(current);
  }
  EXPECT_EQ(picks, (std::vector<ThreadId>{1, 2, 0, 1, 2, 0, 1}));
}

TEST(RoundRobinStrategyTest, SkipsThreadsThatCannotRun) {
  RoundRobinStrategy s;
  s.Begin(0, {});
  const std::vector<ThreadId> runnable = {0, 3, 5};
  EXPECT_EQ(s.Pick(PointAt(0, 0), runnable), 3);
  EXPECT_EQ(s.Pick(PointAt(1, 3), runnable), 5);
  EXPECT_EQ(s.Pick(PointAt(2, 5), runnable), 0);
  // The current thread blocked (it is not runnable): the next id above it.
  const std::vector<ThreadId> without_four = {0, 3, 5};
  EXPECT_EQ(s.Pick(PointAt(3, 4, /*runnable=*/false), without_four), 5);
  const std::vector<ThreadId> low = {1, 2};
  EXPECT_EQ(s.Pick(PointAt(4, 7, /*runnable=*/false), low), 1);
}

TEST(RoundRobinStrategyTest, NoCurrentThreadPicksTheLowestId) {
  RoundRobinStrategy s;
  s.Begin(0, {});
  const std::vector<ThreadId> runnable = {2, 4, 6};
  EXPECT_EQ(s.Pick(PointAt(0, kNoThread, false), runnable), 2);
}

TEST(RoundRobinStrategyTest, OnlyRunnableThreadKeepsRunning) {
  RoundRobinStrategy s;
  s.Begin(0, {});
  const std::vector<ThreadId> runnable = {3};
  for (uint64_t step = 0; step < 5; ++step) EXPECT_EQ(s.Pick(PointAt(step, 3), runnable), 3);
}

TEST(RoundRobinStrategyTest, WakesInFifoOrder) {
  RoundRobinStrategy s;
  s.Begin(0, {});
  const std::vector<ThreadId> waiters = {7, 2, 5, 1};
  EXPECT_EQ(s.ChooseWakees(waiters, 1), (std::vector<ThreadId>{7}));
  EXPECT_EQ(s.ChooseWakees(waiters, 3), (std::vector<ThreadId>{7, 2, 5}));
  EXPECT_EQ(s.ChooseWakees(waiters, 10), waiters);
}

}  // namespace
}  // namespace ravel
