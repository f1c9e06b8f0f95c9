#include "strategies/pos_strategy.h"

#include <vector>

#include "gtest/gtest.h"
#include "strategies/random_strategy.h"
#include "strategies/workload_test_util.h"

namespace ravel {
namespace {

SchedulingPoint PointOf(uint64_t step, ThreadId current, uint64_t resource, bool yield = false) {
  SchedulingPoint point;
  point.step = step;
  point.current = current;
  point.current_runnable = true;
  point.resource = resource;
  point.yield_hint = yield;
  return point;
}

TEST(PosStrategyTest, PicksTheHighestPriorityPendingEvent) {
  PosStrategy s;
  s.Begin(3, {});
  for (ThreadId id = 0; id < 4; ++id) s.OnThreadCreated(id, id == 0 ? kNoThread : 0);
  const std::vector<ThreadId> runnable = {0, 1, 2, 3};
  for (uint64_t step = 0; step < 200; ++step) {
    const ThreadId picked = s.Pick(PointOf(step, static_cast<ThreadId>(step % 4), 0), runnable);
    for (ThreadId id : runnable) EXPECT_GE(*s.PriorityOf(picked), *s.PriorityOf(id)) << "step " << step;
  }
}

TEST(PosStrategyTest, AnEventThatRanRedrawsThePrioritiesOfTheEventsRacingWithIt) {
  PosStrategy s;
  s.Begin(11, {});
  for (ThreadId id = 0; id < 3; ++id) s.OnThreadCreated(id, id == 0 ? kNoThread : 0);
  // One-thread runnable sets force the picks. Thread 1 comes to an event on resource 7,
  // thread 2 to one on 9, thread 0 to one on 7; nothing has run on 7 yet.
  using Ids = std::vector<ThreadId>;
  const auto blocked = [](SchedulingPoint point) {  // the thread waits after this point
    point.current_runnable = false;
    return point;
  };
  EXPECT_EQ(s.Pick(blocked(PointOf(0, 0, 0)), Ids{1}), 1);
  EXPECT_EQ(s.Pick(blocked(PointOf(1, 1, 7)), Ids{2}), 2);
  EXPECT_EQ(s.Pick(blocked(PointOf(2, 2, 9)), Ids{0}), 0);
  EXPECT_EQ(s.Pick(PointOf(3, 0, 7), Ids{0}), 0);
  EXPECT_EQ(s.reshuffles(), 0u);
  const uint64_t before1 = *s.PriorityOf(1), before2 = *s.PriorityOf(2);
  // Thread 0's event on 7 has run: thread 1's, on 7 too, raced with it; 2's did not.
  s.Pick(PointOf(4, 0, 0), Ids{0, 1, 2});
  EXPECT_EQ(s.reshuffles(), 1u);
  EXPECT_NE(*s.PriorityOf(1), before1);
  EXPECT_EQ(*s.PriorityOf(2), before2);
}

TEST(PosStrategyTest, UnknownResourcesRaceWithNothing) {
  PosStrategy s;
  s.Begin(5, {});
  for (ThreadId id = 0; id < 3; ++id) s.OnThreadCreated(id, id == 0 ? kNoThread : 0);
  const std::vector<ThreadId> runnable = {0, 1, 2};
  ThreadId current = 0;
  for (uint64_t step = 0; step < 500; ++step) current = s.Pick(PointOf(step, current, 0), runnable);
  EXPECT_EQ(s.reshuffles(), 0u);
}

TEST(PosStrategyTest, AYieldingThreadRunsOnlyWhenNoOtherCan) {
  PosStrategy s;
  s.Begin(2, {});
  for (ThreadId id = 0; id < 3; ++id) s.OnThreadCreated(id, id == 0 ? kNoThread : 0);
  // Thread 0 spins (yields at every point); 1 and 2 do work.
  for (uint64_t step = 0; step < 100; ++step) {
    EXPECT_NE(s.Pick(PointOf(step, 0, 0, /*yield=*/true), std::vector<ThreadId>{0, 1, 2}), 0);
  }
  EXPECT_EQ(s.Pick(PointOf(100, 0, 0, /*yield=*/true), std::vector<ThreadId>{0}), 0);
}

TEST(PosStrategyTest, WakesTheWaitersWithTheHighestPriorities) {
  PosStrategy s;
  s.Begin(8, {});
  for (ThreadId id = 0; id < 5; ++id) s.OnThreadCreated(id, id == 0 ? kNoThread : 0);
  const std::vector<ThreadId> waiters = {4, 1, 3, 2};
  const std::vector<ThreadId> woken = s.ChooseWakees(waiters, 2);
  ASSERT_EQ(woken.size(), 2u);
  for (ThreadId w : woken) {
    for (ThreadId other : waiters) {
      if (std::find(woken.begin(), woken.end(), other) == woken.end()) {
        EXPECT_GT(*s.PriorityOf(w), *s.PriorityOf(other));
      }
    }
  }
}

// The case POS is built for. Thread 0 has one event on resource R; thread 1 has ten
// events on resources of its own, then one on R. For thread 1's R event to come first,
// a random walk must pick thread 1 eleven times in a row (2^-11); POS only needs thread
// 1's fresh priorities to beat thread 0's one priority eleven times (1/12 on average).
uint64_t RacesWonByTheLongThread(Strategy& s, uint64_t seeds) {
  constexpr uint64_t kR = 1000;
  uint64_t won = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    const std::vector<ThreadId> order =
        testing_util::OrderOfEvents(s, seed, {{kR}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, kR}}, kR);
    if (order.front() == 1) ++won;
  }
  return won;
}

TEST(PosStrategyTest, SamplesARaceAfterALongIndependentStretchFarMoreOftenThanARandomWalk) {
  PosStrategy pos;
  RandomStrategy random;
  const uint64_t pos_won = RacesWonByTheLongThread(pos, 2000);
  const uint64_t random_won = RacesWonByTheLongThread(random, 2000);
  // Expected: POS about 2000/12 = 167, the random walk about 2000/2^11 = 1 (fixed seeds).
  EXPECT_GT(pos_won, 100u);
  EXPECT_LT(random_won, 10u);
}

TEST(PosStrategyTest, TheSameSeedGivesTheSameDecisionsOnAWorkloadWithResources) {
  PosStrategy a, b;
  testing_util::WorkloadOptions options;
  options.resources = 2;
  options.steps = 3000;
  for (uint64_t seed : {1ULL, 2ULL, 99ULL}) {
    EXPECT_EQ(testing_util::DriveWorkload(a, seed, options), testing_util::DriveWorkload(b, seed, options));
  }
  EXPECT_GT(a.reshuffles(), 0u);
}

}  // namespace
}  // namespace ravel
