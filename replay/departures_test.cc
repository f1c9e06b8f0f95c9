#include "replay/departures.h"

#include <algorithm>
#include <memory>

#include "gtest/gtest.h"
#include "strategies/workload_test_util.h"

namespace ravel {
namespace {

SchedulingPoint At(ThreadId current, bool runnable, bool yield = false) {
  SchedulingPoint p;
  p.current = current;
  p.current_runnable = runnable;
  p.yield_hint = yield;
  return p;
}

TEST(DefaultPick, KeepsTheCurrentThreadElseRoundRobin) {
  const std::vector<ThreadId> runnable = {0, 2, 5};
  EXPECT_EQ(DefaultPick(At(2, true), runnable), 2);
  EXPECT_EQ(DefaultPick(At(2, true, /*yield=*/true), runnable), 5);
  EXPECT_EQ(DefaultPick(At(5, true, /*yield=*/true), runnable), 0);
  EXPECT_EQ(DefaultPick(At(3, false), runnable), 5);  // 3 blocked: the next id above it
  EXPECT_EQ(DefaultPick(At(7, false), runnable), 0);  // wraps around
  EXPECT_EQ(DefaultPick(At(kNoThread, false), runnable), 0);
  EXPECT_EQ(DefaultPick(At(2, true, /*yield=*/true), std::vector<ThreadId>{2}), 2);  // alone: no one to yield to
}

// The departures a tracker finds, given to a guided strategy, make the same run: on a
// made-up workload, every pick and wake is the same.
TEST(Departures, GuidedStrategyRemakesTheTrackedRun) {
  for (const std::string name : {"random", "pct"}) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      testing_util::WorkloadOptions options;
      options.workload_seed = seed * 17;
      options.steps = 600;
      std::unique_ptr<Strategy> inner = *MakeStrategy(name, StrategyOptions{});
      DepartureTracker tracker(*inner);
      const testing_util::WorkloadTrace original = testing_util::DriveWorkload(tracker, seed, options);
      ASSERT_FALSE(tracker.departures().empty()) << name << " seed " << seed;
      GuidedStrategy guided(tracker.departures(), name);
      const testing_util::WorkloadTrace again = testing_util::DriveWorkload(guided, seed, options);
      EXPECT_EQ(again, original) << name << " seed " << seed;
      EXPECT_EQ(guided.applied(), tracker.departures().size());
      EXPECT_EQ(guided.name(), name);
    }
  }
}

// Without departures a guided run is the default schedule: a tracker around it finds none.
TEST(Departures, NoDeparturesIsTheDefaultSchedule) {
  GuidedStrategy guided({}, "random");
  DepartureTracker tracker(guided);
  testing_util::WorkloadOptions options;
  options.steps = 800;
  testing_util::DriveWorkload(tracker, 3, options);
  EXPECT_TRUE(tracker.departures().empty()) << DescribeDeparture(tracker.departures().front());
}

TEST(Departures, Describe) {
  Departure d;
  d.at = 1;
  d.ordinal = 7;
  d.picked = 2;
  d.fallback = 1;
  d.preempted = true;
  EXPECT_EQ(DescribeDeparture(d), "T1 preempted by T2 at its point 7");
  d.preempted = false;
  d.fallback = 0;
  EXPECT_EQ(DescribeDeparture(d), "T2 picked instead of T0 when T1 stopped at its point 7");
  d.kind = Departure::Kind::kWake;
  d.ordinal = 2;
  d.wakees = {3};
  EXPECT_EQ(DescribeDeparture(d), "wake 2 released [3]");
}

TEST(MinimizeSubset, FindsTheOneMinimalCause) {
  int calls = 0;
  auto fails = [&](const std::vector<size_t>& s) {
    ++calls;
    return std::count(s.begin(), s.end(), 3) && std::count(s.begin(), s.end(), 17);
  };
  EXPECT_EQ(MinimizeSubset(40, fails, 1000), (std::vector<size_t>{3, 17}));
  EXPECT_LT(calls, 60);
}

TEST(MinimizeSubset, EmptyWhenNothingIsNeeded) {
  EXPECT_TRUE(MinimizeSubset(10, [](const std::vector<size_t>&) { return true; }, 100).empty());
  EXPECT_TRUE(MinimizeSubset(0, [](const std::vector<size_t>&) { return true; }, 100).empty());
}

TEST(MinimizeSubset, KeepsEverythingWhenEverythingIsNeeded) {
  auto fails = [](const std::vector<size_t>& s) { return s.size() == 6; };
  EXPECT_EQ(MinimizeSubset(6, fails, 1000).size(), 6u);
}

TEST(MinimizeSubset, StopsAtTheBudgetWithAFailingSubset) {
  int calls = 0;
  auto fails = [&](const std::vector<size_t>& s) {
    ++calls;
    return std::count(s.begin(), s.end(), 5) && std::count(s.begin(), s.end(), 60);
  };
  std::vector<size_t> got = MinimizeSubset(100, fails, 4);
  EXPECT_LE(calls, 4);
  EXPECT_TRUE(std::count(got.begin(), got.end(), 5) && std::count(got.begin(), got.end(), 60));
}

}  // namespace
}  // namespace ravel
