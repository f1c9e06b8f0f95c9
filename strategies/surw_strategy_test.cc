#include "strategies/surw_strategy.h"

#include <map>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "strategies/random_strategy.h"
#include "strategies/rr_strategy.h"
#include "strategies/workload_test_util.h"

namespace ravel {
namespace {


std::shared_ptr<EventProfile> ProfileOf(const std::vector<std::vector<uint64_t>>& events) {
  RoundRobinStrategy rr;
  ProfilingStrategy profiling(rr);
  testing_util::OrderOfEvents(profiling, 0, events, 0);
  return std::make_shared<EventProfile>(profiling.profile());
}

TEST(ProfilingStrategyTest, CountsEachThreadsEventsPerResourceAndWhoCreatedWhom) {
  const std::vector<std::vector<uint64_t>> events = {{7, 0, 7}, {7, 9}, {9, 9, 9}};
  std::shared_ptr<EventProfile> profile = ProfileOf(events);
  ASSERT_EQ(profile->resources.size(), 2u);
  EXPECT_EQ(profile->resources[0].resource, 7u);  // first named first
  EXPECT_EQ(profile->resources[0].per_thread, (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(profile->resources[1].resource, 9u);
  EXPECT_EQ(profile->resources[1].per_thread, (std::vector<uint64_t>{0, 1, 3}));
  EXPECT_EQ(profile->resources[1].threads(), 2);
  EXPECT_EQ(profile->parents, (std::vector<ThreadId>{kNoThread, 0, 0}));
  EXPECT_EQ(profile->Summary(), "2 shared resources, 3 threads, 4 events on the most-used");
}

TEST(SurwStrategyTest, WithoutAProfileItIsAUniformRandomWalk) {
  SurwStrategy surw;
  RandomStrategy random;
  const std::vector<std::vector<uint64_t>> events = {{5, 5, 5}, {5, 5}, {5}};
  for (uint64_t seed = 1; seed < 20; ++seed) {
    EXPECT_EQ(testing_util::OrderOfEvents(surw, seed, events, 5), testing_util::OrderOfEvents(random, seed, events, 5)) << seed;
  }
  EXPECT_EQ(surw.target_resource(), 0u);
}

TEST(SurwStrategyTest, TheTargetIsASharedResourceDrawnByItsEvents) {
  // 7 is shared by two threads (3 events), 9 by two (1 event each), 11 by one thread only.
  const std::vector<std::vector<uint64_t>> events = {{7, 7, 9, 11, 11}, {7, 9}};
  StrategyOptions options;
  options.event_profile = ProfileOf(events);
  SurwStrategy surw(options);
  std::map<uint64_t, int> targets;
  for (uint64_t seed = 1; seed <= 5000; ++seed) {
    surw.Begin(seed, {});
    ++targets[surw.target_resource()];
  }
  EXPECT_EQ(targets.size(), 2u);
  EXPECT_NEAR(targets[7], 5000 * 3 / 5, 150);
  EXPECT_NEAR(targets[9], 5000 * 2 / 5, 150);
}

// URW's point: with thread 0 holding 1 interesting event and thread 1 holding 3, each of
// the 4 interleavings of them is equally likely: thread 0's event is first, second, third
// or last in a quarter of the runs each. A uniform random walk puts it first in half.
TEST(SurwStrategyTest, EveryOrderOfTheInterestingEventsIsEquallyLikely) {
  const std::vector<std::vector<uint64_t>> events = {{3}, {3, 3, 3}};
  StrategyOptions options;
  options.event_profile = ProfileOf(events);
  SurwStrategy surw(options);
  RandomStrategy random;
  std::vector<int> surw_position(4), random_position(4);
  for (uint64_t seed = 1; seed <= 4000; ++seed) {
    const std::vector<ThreadId> order = testing_util::OrderOfEvents(surw, seed, events, 3);
    ASSERT_EQ(order.size(), 4u);
    ++surw_position[std::find(order.begin(), order.end(), 0) - order.begin()];
    const std::vector<ThreadId> walk = testing_util::OrderOfEvents(random, seed, events, 3);
    ++random_position[std::find(walk.begin(), walk.end(), 0) - walk.begin()];
  }
  for (int p = 0; p < 4; ++p) EXPECT_NEAR(surw_position[p], 1000, 120) << "position " << p;
  EXPECT_NEAR(random_position[0], 2000, 150);
}

TEST(SurwStrategyTest, ACreatedThreadTakesItsShareOfItsCreatorsEstimate) {
  // Thread 0 makes 2 events on 4, its child thread 1 makes 6: thread 0's share is 8,
  // which drops to 2 once thread 1 exists with 6.
  const std::vector<std::vector<uint64_t>> events = {{4, 4}, {4, 4, 4, 4, 4, 4}};
  StrategyOptions options;
  options.event_profile = ProfileOf(events);
  SurwStrategy surw(options);
  surw.Begin(1, {});
  surw.OnThreadCreated(0, kNoThread);
  EXPECT_EQ(surw.Left(0), 8u);
  surw.OnThreadCreated(1, 0);
  EXPECT_EQ(surw.Left(0), 2u);
  EXPECT_EQ(surw.Left(1), 6u);
}

TEST(SurwStrategyTest, AHeldThreadIsReleasedWhenTheTargetCannotRun) {
  // Both threads wait at an interesting event; whichever is not the target is held. Then
  // the target blocks: the held one must still be picked (never a dead end).
  const std::vector<std::vector<uint64_t>> events = {{6, 6}, {6, 6}};
  StrategyOptions options;
  options.event_profile = ProfileOf(events);
  SurwStrategy surw(options);
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    surw.Begin(seed, {});
    surw.OnThreadCreated(0, kNoThread);
    surw.OnThreadCreated(1, 0);
    surw.Pick(testing_util::EventPoint(0, 1, 6), std::vector<ThreadId>{1});
    const ThreadId first = surw.Pick(testing_util::EventPoint(1, 0, 6), std::vector<ThreadId>{0, 1});
    const ThreadId other = 1 - first;
    SchedulingPoint blocked = testing_util::EventPoint(2, first, 6);
    blocked.current_runnable = false;
    EXPECT_EQ(surw.Pick(blocked, std::vector<ThreadId>{other}), other) << seed;
  }
}

TEST(SurwStrategyTest, TheSameSeedGivesTheSameDecisionsWithAProfile) {
  testing_util::WorkloadOptions options;
  options.resources = 3;
  options.steps = 3000;
  RoundRobinStrategy rr;
  ProfilingStrategy profiling(rr);
  testing_util::DriveWorkload(profiling, 0, options);
  StrategyOptions strategy_options;
  strategy_options.event_profile = std::make_shared<EventProfile>(profiling.profile());
  SurwStrategy a(strategy_options), b(strategy_options);
  for (uint64_t seed : {1ULL, 2ULL, 99ULL}) {
    EXPECT_EQ(testing_util::DriveWorkload(a, seed, options), testing_util::DriveWorkload(b, seed, options));
    EXPECT_NE(a.target_resource(), 0u);
  }
}

}  // namespace
}  // namespace ravel
