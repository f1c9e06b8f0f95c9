#include "scheduler/fairness.h"

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

}  // namespace
}  // namespace ravel
