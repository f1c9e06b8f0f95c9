#include "scheduler/fairness.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Fairness, WithoutYieldsEveryRunnableThreadMayBePicked) {
  Fairness f;
  f.Sync({0, 1, 2}, 0);
  f.OnRan(0, 1);
  f.OnRan(1, 2);
  EXPECT_THAT(f.Filter({0, 1, 2}), ElementsAre(0, 1, 2));
}

TEST(Fairness, AFirstYieldOnlyMarksTheStart) {
  Fairness f;
  f.Sync({0, 1}, 0);
  f.OnRan(0, 0);
  f.OnYield(0, 5, {0, 1});
  EXPECT_THAT(f.OwedBy(0), IsEmpty());
  EXPECT_THAT(f.Filter({0, 1}), ElementsAre(0, 1));
}

TEST(Fairness, AThreadThatYieldsTwiceWhileAnotherWaitsLetsItRunFirst) {
  Fairness f;
  f.Sync({0, 1}, 0);
  f.OnRan(0, 0);
  f.OnYield(0, 5, {0, 1});   // T1 waits since step 0
  f.OnYield(0, 10, {0, 1});  // ... and has not run since step 5
  EXPECT_THAT(f.OwedBy(0), ElementsAre(1));
  EXPECT_THAT(f.Filter({0, 1}), ElementsAre(1));
  // Once T1 has run, T0 is free again.
  f.OnRan(1, 11);
  EXPECT_THAT(f.OwedBy(0), IsEmpty());
  EXPECT_THAT(f.Filter({0, 1}), ElementsAre(0, 1));
}

TEST(Fairness, AThreadThatRanSinceTheYieldIsNotOwed) {
  Fairness f;
  f.Sync({0, 1}, 0);
  f.OnYield(0, 5, {0, 1});
  f.OnRan(1, 6);
  f.OnRan(0, 7);
  f.OnYield(0, 10, {0, 1});
  EXPECT_THAT(f.OwedBy(0), IsEmpty());
}

TEST(Fairness, AThreadThatBecameRunnableAfterTheYieldIsNotOwedYet) {
  Fairness f;
  f.Sync({0}, 0);
  f.OnYield(0, 5, {0});
  f.Sync({0, 1}, 7);  // T1 created (or woken) after T0's yield
  f.OnYield(0, 10, {0, 1});
  EXPECT_THAT(f.OwedBy(0), IsEmpty());
  f.OnYield(0, 15, {0, 1});  // now it has waited a whole yield-to-yield stretch
  EXPECT_THAT(f.OwedBy(0), ElementsAre(1));
}

TEST(Fairness, ABlockedThreadHoldsNobodyBack) {
  Fairness f;
  f.Sync({0, 1}, 0);
  f.OnYield(0, 5, {0, 1});
  f.OnYield(0, 10, {0, 1});
  ASSERT_THAT(f.OwedBy(0), ElementsAre(1));
  f.Sync({0}, 11);  // T1 blocks (or exits)
  EXPECT_THAT(f.OwedBy(0), IsEmpty());
  EXPECT_THAT(f.Filter({0}), ElementsAre(0));
}

TEST(Fairness, OnlyRunnableDebtsHoldAThreadBack) {
  Fairness f;
  f.Sync({0, 1, 2}, 0);
  f.OnYield(0, 5, {0, 1, 2});
  f.OnYield(0, 10, {0, 1, 2});
  ASSERT_THAT(f.OwedBy(0), ElementsAre(1, 2));
  // Among {0, 2}: T0 still owes T2.
  EXPECT_THAT(f.Filter({0, 2}), ElementsAre(2));
}

// The daemon pattern: many threads loop over work and a sleep (a yield) and never end,
// while main waits to run. Whatever a strategy prefers, main gets the baton within a
// bounded number of rounds.
TEST(Fairness, LoopingYieldersCannotStarveAWaitingThread) {
  Fairness f;
  const int kDaemons = 40;
  std::vector<ThreadId> all;
  for (ThreadId t = 0; t <= kDaemons; ++t) all.push_back(t);
  f.Sync(all, 0);
  uint64_t step = 1;
  bool main_picked = false;
  for (int round = 0; round < 4 && !main_picked; ++round) {
    for (ThreadId d = 1; d <= kDaemons; ++d) {
      std::vector<ThreadId> allowed = f.Filter(all);
      // A strategy that always prefers daemons: the highest id allowed.
      ThreadId pick = allowed.back();
      if (pick == 0) {
        main_picked = true;
        break;
      }
      f.OnRan(pick, step++);
      f.OnYield(pick, step++, all);
    }
  }
  EXPECT_TRUE(main_picked);
}

TEST(Fairness, NeverEmptiesANonEmptySet) {
  Fairness f;
  f.Sync({0, 1}, 0);
  f.OnYield(0, 1, {0, 1});
  f.OnYield(0, 2, {0, 1});
  f.OnYield(1, 3, {0, 1});
  f.OnYield(1, 4, {0, 1});
  EXPECT_FALSE(f.Filter({0, 1}).empty());
  EXPECT_THAT(f.Filter({}), IsEmpty());
}

// Filter against its definition (OwedBy), over a long random run of syncs, picks and
// yields: t may be picked unless it owes a runnable thread. Filter answers the synced set
// from its indexes of waiting times and owe limits, another set by a scan; OwedBy walks
// every thread.
TEST(Fairness, FilterAgreesWithWhatEachThreadOwes) {
  Fairness f;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  uint64_t step = 0;
  std::vector<ThreadId> runnable = {0};
  f.Sync(runnable, step);
  for (int round = 0; round < 20000; ++round) {
    switch (next() % 4) {
      case 0: {  // the runnable set changes: some block, some wake, a thread is born
        std::vector<ThreadId> now;
        const ThreadId top = static_cast<ThreadId>(runnable.empty() ? 0 : runnable.back() + (next() % 3 == 0));
        for (ThreadId id = 0; id <= top && id < 40; ++id) {
          if (next() % 4 != 0) now.push_back(id);
        }
        runnable = now;
        f.Sync(runnable, ++step);
        break;
      }
      case 1:
      case 2:
        if (!runnable.empty()) f.OnRan(runnable[next() % runnable.size()], ++step);
        break;
      case 3:
        if (!runnable.empty()) f.OnYield(runnable[next() % runnable.size()], ++step, runnable);
        break;
    }
    const auto expected = [&f](const std::vector<ThreadId>& among) {
      std::vector<ThreadId> allowed;
      for (ThreadId t : among) {
        bool owes = false;
        for (ThreadId u : f.OwedBy(t)) owes |= std::binary_search(among.begin(), among.end(), u);
        if (!owes) allowed.push_back(t);
      }
      return allowed.empty() ? among : allowed;
    };
    ASSERT_EQ(f.Filter(runnable), expected(runnable)) << "round " << round;
    // A set other than the synced one (without its first thread) is answered by a scan.
    const std::vector<ThreadId> part(runnable.begin() + (runnable.empty() ? 0 : 1), runnable.end());
    ASSERT_EQ(f.Filter(part), expected(part)) << "round " << round;
    // HeldBack is the rest: ascending, and never everything.
    std::vector<ThreadId> rest;
    const std::vector<ThreadId> allowed = f.Filter(runnable);
    std::set_difference(runnable.begin(), runnable.end(), allowed.begin(), allowed.end(), std::back_inserter(rest));
    ASSERT_EQ(f.HeldBack(runnable), rest) << "round " << round;
  }
}

}  // namespace
}  // namespace ravel

