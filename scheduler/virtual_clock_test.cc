#include "scheduler/virtual_clock.h"

#include "gtest/gtest.h"

namespace ravel {
namespace {

constexpr uint64_t kSecond = 1000000000ull;

TEST(VirtualClock, RealtimeMovesWithMonotonicFromTheRunsStart) {
  VirtualClock clock(1000 * kSecond, 1700000000 * kSecond);
  EXPECT_EQ(clock.now(), 1000 * kSecond);
  EXPECT_EQ(clock.realtime(), 1700000000 * kSecond);
  clock.Advance(1000);
  EXPECT_EQ(clock.now(), 1000 * kSecond + 1000);
  EXPECT_EQ(clock.realtime(), 1700000000 * kSecond + 1000);
}

TEST(VirtualClock, AJumpGoesForwardOnly) {
  VirtualClock clock(5 * kSecond, 9 * kSecond);
  clock.JumpTo(7 * kSecond);
  EXPECT_EQ(clock.now(), 7 * kSecond);
  clock.JumpTo(6 * kSecond);  // a deadline already past
  EXPECT_EQ(clock.now(), 7 * kSecond);
  EXPECT_EQ(clock.realtime(), 11 * kSecond);
}

TEST(VirtualClock, ARealtimeDeadlineIsItsDistanceFromNow) {
  VirtualClock clock(2000 * kSecond, 1700000000 * kSecond);
  EXPECT_EQ(clock.FromRealtime(1700000003 * kSecond), 2003 * kSecond);
  EXPECT_EQ(clock.FromRealtime(1699999999 * kSecond), 2000 * kSecond) << "past: now";
  EXPECT_EQ(clock.FromRealtime(0), 2000 * kSecond);
}

TEST(VirtualClock, ARealtimeEarlierThanMonotonicStillMovesTogether) {
  // (A machine whose real clock is near the epoch: the offset is "negative".)
  VirtualClock clock(1500 * kSecond, 100 * kSecond);
  EXPECT_EQ(clock.realtime(), 100 * kSecond);
  clock.Advance(kSecond);
  EXPECT_EQ(clock.realtime(), 101 * kSecond);
  EXPECT_EQ(clock.FromRealtime(103 * kSecond), 1503 * kSecond);
}

}  // namespace
}  // namespace ravel
