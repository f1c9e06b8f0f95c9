#include "scheduler/timer_table.h"

#include <signal.h>

#include <climits>

#include "gtest/gtest.h"

namespace ravel {
namespace {

TimerTable::Notify ToProcess(int sig, uint64_t value = 0) {
  TimerTable::Notify n;
  n.kind = TimerTable::Notify::Kind::kProcess;
  n.signo = sig;
  n.value = value;
  return n;
}

TEST(TimerTable, AOneShotTimerFiresOnceAtItsDeadline) {
  TimerTable table;
  table.Create(100, 0, false, ToProcess(SIGUSR1, 77));
  EXPECT_FALSE(table.NextDeadline().has_value());  // created, not armed
  table.Arm(100, 0, 5000, 0, 1000);
  EXPECT_EQ(table.NextDeadline(), 5000u);
  EXPECT_TRUE(table.Due(4999).empty());
  std::vector<TimerTable::Fire> fires = table.Due(5000);
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].pid, 100);
  EXPECT_EQ(fires[0].id, 0);
  EXPECT_EQ(fires[0].notify.signo, SIGUSR1);
  EXPECT_EQ(fires[0].notify.value, 77u);
  EXPECT_EQ(fires[0].overrun, 0);
  EXPECT_TRUE(table.Due(10000).empty());
  EXPECT_FALSE(table.NextDeadline().has_value());
  EXPECT_EQ(table.Get(100, 0, 10000).left_ns, 0u);  // expired: disarmed
}

TEST(TimerTable, APeriodicTimerCountsThePeriodsItSkippedAsOverruns) {
  TimerTable table;
  table.Create(100, 3, false, ToProcess(SIGALRM));
  table.Arm(100, 3, 1000, 100, 0);
  // The clock jumps from before 1000 to 1350: the expiries at 1000, 1100, 1200, 1300 are one
  // signal with 3 overruns; the next is due at 1400.
  std::vector<TimerTable::Fire> fires = table.Due(1350);
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].overrun, 3);
  table.Sent(fires[0]);
  EXPECT_EQ(table.Overrun(100, 3), 3);
  EXPECT_EQ(table.NextDeadline(), 1400u);
  EXPECT_EQ(table.Get(100, 3, 1350).left_ns, 50u);
  EXPECT_EQ(table.Get(100, 3, 1350).interval_ns, 100u);
}

TEST(TimerTable, ExpiriesWhileItsSignalIsPendingAreThatSignalsOverruns) {
  TimerTable table;
  table.Create(100, 0, false, ToProcess(SIGUSR2));
  table.Arm(100, 0, 100, 100, 0);
  std::vector<TimerTable::Fire> first = table.Due(100);
  ASSERT_EQ(first.size(), 1u);
  table.Sent(first[0]);
  std::vector<TimerTable::Fire> second = table.Due(200);
  ASSERT_EQ(second.size(), 1u);
  table.Coalesced(second[0]);  // the first signal was still pending
  std::vector<TimerTable::Fire> third = table.Due(450);  // expiries at 300 and 400
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].overrun, 1);
  table.Coalesced(third[0]);
  EXPECT_EQ(table.Overrun(100, 0), 0);  // not taken yet
  EXPECT_EQ(table.Taken(100, 0), 3);    // 200, 300 and 400 folded into the signal of 100
  EXPECT_EQ(table.Overrun(100, 0), 3);
  EXPECT_EQ(table.Taken(100, 0), 0);
  // The next signal goes out with only its own overruns.
  std::vector<TimerTable::Fire> fourth = table.Due(500);
  ASSERT_EQ(fourth.size(), 1u);
  EXPECT_EQ(fourth[0].overrun, 0);
  table.Sent(fourth[0]);
  EXPECT_EQ(table.Overrun(100, 0), 0);
}

TEST(TimerTable, OverrunsSaturateAtDelaytimerMax) {
  TimerTable table;
  table.Create(100, 0, false, ToProcess(SIGUSR1));
  table.Arm(100, 0, 1, 1, 0);
  std::vector<TimerTable::Fire> fires = table.Due(uint64_t{1} << 40);
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].overrun, INT_MAX);
}

TEST(TimerTable, SigevNoneTimersAdvanceWithoutFiring) {
  TimerTable table;
  TimerTable::Notify none;
  none.kind = TimerTable::Notify::Kind::kNone;
  table.Create(100, 0, false, none);
  table.Arm(100, 0, 100, 0, 0);
  EXPECT_TRUE(table.Due(500).empty());
  EXPECT_EQ(table.Get(100, 0, 500).left_ns, 0u);
}

TEST(TimerTable, ArmReturnsWhatWasLeftAndZeroDisarms) {
  TimerTable table;
  table.Create(100, 0, false, ToProcess(SIGUSR1));
  table.Arm(100, 0, 1000, 50, 0);
  TimerTable::Value old = table.Arm(100, 0, 0, 50, 400);
  EXPECT_EQ(old.left_ns, 600u);
  EXPECT_EQ(old.interval_ns, 50u);
  EXPECT_FALSE(table.NextDeadline().has_value());
  EXPECT_EQ(table.Get(100, 0, 400).interval_ns, 0u);  // disarming clears the interval too
  EXPECT_TRUE(table.Due(5000).empty());
}

TEST(TimerTable, FiresGoOutInProcessThenIdOrder) {
  TimerTable table;
  for (pid_t pid : {300, 100, 200}) {
    for (int id : {1, 0}) {
      table.Create(pid, id, false, ToProcess(SIGUSR1));
      table.Arm(pid, id, 10, 0, 0);
    }
  }
  std::vector<TimerTable::Fire> fires = table.Due(10);
  ASSERT_EQ(fires.size(), 6u);
  std::vector<std::pair<pid_t, int>> order;
  for (const auto& f : fires) order.emplace_back(f.pid, f.id);
  EXPECT_EQ(order, (std::vector<std::pair<pid_t, int>>{{100, 0}, {100, 1}, {200, 0}, {200, 1}, {300, 0}, {300, 1}}));
}

TEST(TimerTable, ForgettingAProcessDeletesOnlyItsTimers) {
  TimerTable table;
  table.Create(100, 0, false, ToProcess(SIGUSR1));
  table.Create(100, 1, true, ToProcess(SIGUSR1));
  table.Create(101, 0, false, ToProcess(SIGUSR1));
  table.Arm(101, 0, 70, 0, 0);
  table.ForgetProcess(100);
  EXPECT_FALSE(table.Has(100, 0));
  EXPECT_FALSE(table.Has(100, 1));
  EXPECT_TRUE(table.Has(101, 0));
  EXPECT_EQ(table.NextDeadline(), 70u);
  table.Delete(101, 0);
  EXPECT_TRUE(table.empty());
}

TEST(TimerTable, ADueTimerReadsAsOneNanosecondLeft) {
  TimerTable table;
  table.Create(100, 0, true, ToProcess(SIGUSR1));
  EXPECT_TRUE(table.IsRealtime(100, 0));
  table.Arm(100, 0, 100, 0, 0);
  EXPECT_EQ(table.Get(100, 0, 150).left_ns, 1u);  // passed, not yet fired
}

}  // namespace
}  // namespace ravel
