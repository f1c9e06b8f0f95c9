#include "scheduler/lease.h"

#include "gtest/gtest.h"

namespace ravel {
namespace {

LeaseLimits Open() {
  LeaseLimits l;
  l.strategy = 1000;
  l.capacity = 64;
  l.quantum_ns = 1000;
  return l;
}

TEST(LeaseBound, TheStrategyAndTheLogBoundIt) {
  LeaseLimits l = Open();
  EXPECT_EQ(LeaseBound(l), 64u);
  l.strategy = 5;
  EXPECT_EQ(LeaseBound(l), 5u);
  l.strategy = 0;
  EXPECT_EQ(LeaseBound(l), 0u);
}

TEST(LeaseBound, EndsBeforeTheSpinDetectorWouldCallItAYield) {
  LeaseLimits l = Open();
  l.several_runnable = true;
  l.spin_steps = 2000;
  l.streak = 1990;  // points 1..10 have streaks 1990..1999 at their check
  EXPECT_EQ(LeaseBound(l), 10u);
  l.streak = 2000;
  EXPECT_EQ(LeaseBound(l), 0u);
  l.several_runnable = false;  // alone, it is never a yield
  EXPECT_EQ(LeaseBound(l), 64u);
}

TEST(LeaseBound, EndsBeforeADeadlineIsReached) {
  LeaseLimits l = Open();
  l.now_ns = 1'000'000;
  l.deadline_ns = 1'010'000;  // points at +1000 .. +9000 are before it, +10000 reaches it
  EXPECT_EQ(LeaseBound(l), 9u);
  l.deadline_ns = 1'010'001;
  EXPECT_EQ(LeaseBound(l), 10u);
  l.deadline_ns = 1'000'000;
  EXPECT_EQ(LeaseBound(l), 0u);
}

TEST(LeaseBound, WithTimeChaosEndsBeforeTheFirstJumpQuestion) {
  LeaseLimits l = Open();
  l.strategy = 1'000'000;
  l.capacity = 1'000'000;
  l.time_chaos = true;
  l.chaos_horizon_ns = 100'000'000;
  l.now_ns = 0;
  l.deadline_ns = 100'050'000;  // the question comes once the deadline is within 100 ms
  // Point i is at i us; asked once 100.05 ms - i us <= 100 ms, i.e. from i = 50.
  EXPECT_EQ(LeaseBound(l), 49u);
  l.chaos_max_lag_ns = 20'000;  // lag + ahead stays over 100 ms 20 us longer: from i = 70
  EXPECT_EQ(LeaseBound(l), 69u);
  l.chaos_exhausted = true;     // no jump is asked: only the deadline bounds it
  EXPECT_EQ(LeaseBound(l), 100'049u);
  l.chaos_exhausted = false;
  l.chaos_max_lag_ns = 200'000'000;  // beyond the horizon already: never asked
  EXPECT_EQ(LeaseBound(l), 100'049u);
}

}  // namespace
}  // namespace ravel
