// Tests of the Strategy contract, for every strategy MakeStrategy knows, and of the
// factory itself.
#include "strategies/strategy.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "strategies/workload_test_util.h"

namespace ravel {
namespace {

using testing_util::DriveWorkload;
using testing_util::WorkloadOptions;
using testing_util::WorkloadTrace;

std::unique_ptr<Strategy> Make(const std::string& name, StrategyOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Strategy>> s = MakeStrategy(name, options);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

void CreateAll(Strategy& s, int n) {
  for (ThreadId id = 0; id < n; ++id) s.OnThreadCreated(id, id == 0 ? kNoThread : 0);
}

// ---- Factory ----

TEST(MakeStrategyTest, KnowsEveryListedName) {
  const std::vector<std::string> names = StrategyNames();
  EXPECT_EQ(names, (std::vector<std::string>{"pct", "pos", "random", "rr", "surw"}));
  for (const std::string& name : names) {
    std::unique_ptr<Strategy> s = Make(name);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->name(), name);
  }
}

TEST(MakeStrategyTest, AnUnknownNameIsAnErrorListingTheValidOnes) {
  absl::StatusOr<std::unique_ptr<Strategy>> made = MakeStrategy("fifo", StrategyOptions{});
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status(), UnknownStrategyError("fifo"));
  EXPECT_EQ(made.status().message(), "unknown strategy 'fifo'; valid strategies: pct, pos, random, rr, surw");
}

TEST(MakeStrategyTest, TheRegistryListsTheDefaultFirstAndHelpsWithEach) {
  ASSERT_FALSE(Strategies().empty());
  EXPECT_STREQ(Strategies()[0].name, "pct");
  const std::string help = StrategyHelp();
  EXPECT_EQ(help.rfind("pct (default): ", 0), 0u) << help;
  for (const StrategyInfo& info : Strategies()) {
    EXPECT_NE(help.find(absl::StrCat(info.name, info.name == std::string("pct") ? " (default): " : ": ", info.summary)),
              std::string::npos)
        << help;
  }
  // stress marks its own default.
  const std::string stress_help = StrategyHelp("surw");
  EXPECT_NE(stress_help.find("surw (default): "), std::string::npos) << stress_help;
  EXPECT_EQ(stress_help.find("pct (default)"), std::string::npos) << stress_help;
}

TEST(MakeStrategyTest, NamesAreCaseInsensitive) {
  std::unique_ptr<Strategy> s = Make("PCT");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name(), "pct");
}

TEST(MakeStrategyTest, UnknownNameListsTheValidOnes) {
  absl::StatusOr<std::unique_ptr<Strategy>> s = MakeStrategy("dfs", {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(s.status().message());
  EXPECT_NE(message.find("'dfs'"), std::string::npos) << message;
  EXPECT_NE(message.find("pct, pos, random, rr, surw"), std::string::npos) << message;
}

TEST(MakeStrategyTest, RejectsInvalidOptions) {
  StrategyOptions zero_depth;
  zero_depth.pct_depth = 0;
  EXPECT_EQ(MakeStrategy("pct", zero_depth).status().code(), absl::StatusCode::kInvalidArgument);
  StrategyOptions negative_depth;
  negative_depth.pct_depth = -3;
  EXPECT_FALSE(MakeStrategy("pct", negative_depth).ok());
  StrategyOptions bad_time;
  bad_time.time_jump_percent = 101;
  EXPECT_FALSE(MakeStrategy("random", bad_time).ok());
  bad_time.time_jump_percent = -1;
  EXPECT_FALSE(MakeStrategy("random", bad_time).ok());
  StrategyOptions depth_one;
  depth_one.pct_depth = 1;
  EXPECT_TRUE(MakeStrategy("pct", depth_one).ok());
}

TEST(PointKindTest, Names) {
  EXPECT_EQ(PointKindName(PointKind::kSyscall), "syscall");
  EXPECT_EQ(PointKindName(PointKind::kThreadExit), "thread-exit");
  EXPECT_EQ(PointKindName(PointKind::kPreempt), "preempt");
}

TEST(RunHistoryTest, Record) {
  RunHistory h;
  h.Record(10);
  h.Record(30);
  h.Record(20);
  EXPECT_EQ(h.runs, 3u);
  EXPECT_EQ(h.max_steps, 30u);
  EXPECT_EQ(h.total_steps, 60u);
}

// ---- Contract of every strategy ----

class EveryStrategyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryStrategyTest, LongRunPicksOnlyRunnableThreads) {
  std::unique_ptr<Strategy> s = Make(GetParam());
  for (uint64_t w = 1; w <= 5; ++w) {
    WorkloadOptions options;
    options.resources = 3;
    options.workload_seed = w;
    const WorkloadTrace trace = DriveWorkload(*s, 100 + w, options);
    // The workload must exercise what it claims to (creations, exits, wakes).
    EXPECT_EQ(trace.steps, 2000u);
    EXPECT_GT(trace.threads_created, 5);
    EXPECT_GT(trace.exits, 2);
    EXPECT_GT(trace.wakes.size(), 20u);
  }
}

// Points and runnable sets drawn from a fixed stream, over six threads.
class PointStream {
 public:
  SchedulingPoint At(uint64_t step) {
    SchedulingPoint p;
    p.step = step;
    p.current = static_cast<ThreadId>(Next(6));
    p.kind = Next(3) == 0 ? PointKind::kYield : PointKind::kSync;
    p.yield_hint = p.kind == PointKind::kYield;
    p.current_runnable = true;
    p.resource = Next(4);
    return p;
  }
  std::vector<ThreadId> RunnableWith(ThreadId current) {
    std::vector<ThreadId> r;
    for (ThreadId id = 0; id < 6; ++id) {
      if (id == current || Next(3) != 0) r.push_back(id);
    }
    return r;
  }

 private:
  uint64_t Next(uint64_t n) {
    x_ = x_ * 6364136223846793005ull + 1442695040888963407ull;
    return (x_ >> 33) % n;
  }
  uint64_t x_ = 7;
};

bool Forks(const std::string& name) { return name == "pct" || name == "random" || name == "rr"; }

// Asks `copy` and `original` the same questions from `from` to `to`: the same answers.
void ExpectSameAnswers(Strategy& copy, Strategy& original, PointStream& points, uint64_t from, uint64_t to) {
  for (uint64_t step = from; step < to; ++step) {
    const SchedulingPoint p = points.At(step);
    const std::vector<ThreadId> runnable = points.RunnableWith(p.current);
    ASSERT_EQ(copy.Pick(p, runnable), original.Pick(p, runnable)) << original.name() << " step " << step;
    if (step % 7 == 0) {
      const std::vector<ThreadId> waiters = {3, 1, 4};
      ASSERT_EQ(copy.ChooseWakees(waiters, 2), original.ChooseWakees(waiters, 2)) << step;
      ASSERT_EQ(copy.AdvanceTimeFirst(p, runnable), original.AdvanceTimeFirst(p, runnable)) << step;
    }
  }
}

// A fork (the in-guest hand-off's plans ask one about points to come) answers every
// later call exactly as the strategy it was forked from, whatever came before; a strategy
// that cannot fork says so with null.
TEST_P(EveryStrategyTest, AForkAnswersAsTheOriginal) {
  std::unique_ptr<Strategy> s = Make(GetParam());
  s->Begin(42, RunHistory{});
  CreateAll(*s, 6);
  PointStream points;
  for (uint64_t step = 0; step < 50; ++step) {
    const SchedulingPoint p = points.At(step);
    s->Pick(p, points.RunnableWith(p.current));
  }
  std::unique_ptr<Strategy> fork = s->Fork();
  ASSERT_EQ(fork != nullptr, Forks(GetParam())) << GetParam();
  if (fork == nullptr) return;
  ExpectSameAnswers(*fork, *s, points, 50, 400);
}

// ForkInto refills an earlier copy (the last plan's, kept for its storage): it then
// answers as a fresh fork would, whatever that copy was asked meanwhile. A copy of another
// kind is replaced, and a strategy that cannot fork leaves null.
TEST_P(EveryStrategyTest, ForkIntoAnEarlierCopyAnswersAsTheOriginal) {
  std::unique_ptr<Strategy> s = Make(GetParam());
  s->Begin(42, RunHistory{});
  CreateAll(*s, 6);
  PointStream points;
  std::unique_ptr<Strategy> copy = s->Fork();
  if (!Forks(GetParam())) {
    s->ForkInto(copy);
    EXPECT_EQ(copy, nullptr);
    return;
  }
  // The two go their own ways: different questions, a thread the copy never hears of.
  PointStream others;
  for (uint64_t step = 0; step < 60; ++step) {
    const SchedulingPoint p = points.At(step);
    s->Pick(p, points.RunnableWith(p.current));
    const SchedulingPoint q = others.At(step + 1000);
    copy->Pick(q, others.RunnableWith(q.current));
  }
  s->OnThreadExited(5);
  const Strategy* storage = copy.get();
  s->ForkInto(copy);
  EXPECT_EQ(copy.get(), storage) << GetParam() << ": refilled, not made anew";
  ExpectSameAnswers(*copy, *s, points, 60, 400);

  std::unique_ptr<Strategy> other = Make(GetParam() == "pct" ? "random" : "pct");
  other->Begin(1, RunHistory{});
  CreateAll(*other, 6);
  std::unique_ptr<Strategy> into = other->Fork();
  s->ForkInto(into);
  ASSERT_NE(into, nullptr);
  EXPECT_EQ(into->name(), s->name());
  ExpectSameAnswers(*into, *s, points, 400, 600);
}

TEST_P(EveryStrategyTest, SameSeedSameDecisions) {
  std::unique_ptr<Strategy> a = Make(GetParam());
  std::unique_ptr<Strategy> b = Make(GetParam());
  WorkloadOptions options;
  options.resources = 3;
  options.workload_seed = 77;
  options.steps = 5000;
  for (uint64_t seed : {0ULL, 1ULL, 123456789ULL}) {
    EXPECT_EQ(DriveWorkload(*a, seed, options), DriveWorkload(*b, seed, options)) << seed;
  }
}

TEST_P(EveryStrategyTest, BeginResetsEveryPerRunState) {
  // One object reused across runs decides as a fresh one does.
  std::unique_ptr<Strategy> reused = Make(GetParam());
  WorkloadOptions options;
  options.resources = 3;
  options.workload_seed = 5;
  const WorkloadTrace first = DriveWorkload(*reused, 9, options);
  DriveWorkload(*reused, 10, options);
  WorkloadOptions other = options;
  other.workload_seed = 6;
  DriveWorkload(*reused, 11, other);
  EXPECT_EQ(DriveWorkload(*reused, 9, options), first);
  std::unique_ptr<Strategy> fresh = Make(GetParam());
  EXPECT_EQ(DriveWorkload(*fresh, 9, options), first);
}

TEST_P(EveryStrategyTest, ExtraTimeAndDataDrawsDoNotShiftDecisions) {
  // Time and data decisions draw from their own streams: thrown-away extra calls leave
  // the picks and wakes of the run unchanged.
  StrategyOptions chaos;
  chaos.time_jump_percent = 50;
  std::unique_ptr<Strategy> plain = Make(GetParam(), chaos);
  std::unique_ptr<Strategy> busy = Make(GetParam(), chaos);
  WorkloadOptions options;
  options.resources = 3;
  options.workload_seed = 31;
  WorkloadOptions with_extra = options;
  with_extra.extra_calls = true;
  for (uint64_t seed : {3ULL, 4ULL}) {
    EXPECT_EQ(DriveWorkload(*plain, seed, options), DriveWorkload(*busy, seed, with_extra));
  }
}

TEST_P(EveryStrategyTest, ExtraWakeDecisionsDoNotShiftPicks) {
  // The runnable sets follow a fixed pattern (not fed back from the decisions); one of
  // two identical strategies also decides futex wakes in between.
  std::unique_ptr<Strategy> plain = Make(GetParam());
  std::unique_ptr<Strategy> waking = Make(GetParam());
  for (Strategy* s : {plain.get(), waking.get()}) {
    s->Begin(21, {});
    CreateAll(*s, 6);
  }
  const std::vector<ThreadId> waiters = {4, 1, 5, 0, 2};
  ThreadId current_plain = 0;
  ThreadId current_waking = 0;
  for (uint64_t step = 0; step < 3000; ++step) {
    std::vector<ThreadId> runnable;
    for (ThreadId id = 0; id < 6; ++id) {
      if ((step * 7 + static_cast<uint64_t>(id) * 3) % 5 != 0) runnable.push_back(id);
    }
    for (int i = 0; i < static_cast<int>(step % 4); ++i) waking->ChooseWakees(waiters, 1 + i);
    SchedulingPoint point;
    point.step = step;
    point.current = current_plain;
    current_plain = plain->Pick(point, runnable);
    point.current = current_waking;
    current_waking = waking->Pick(point, runnable);
    ASSERT_EQ(current_plain, current_waking) << "step " << step;
  }
}

TEST_P(EveryStrategyTest, ChooseWakeesReturnsDistinctWaitersOfTheRightSize) {
  std::unique_ptr<Strategy> s = Make(GetParam());
  s->Begin(1, {});
  CreateAll(*s, 8);
  const std::vector<ThreadId> waiters = {5, 2, 7, 0, 3};
  for (int n : {INT_MIN, -1, 0, 1, 2, 3, 4, 5, 6, INT_MAX}) {
    for (int repeat = 0; repeat < 20; ++repeat) {
      const std::vector<ThreadId> woken = s->ChooseWakees(waiters, n);
      const size_t expected = static_cast<size_t>(std::clamp(n, 0, 5));
      ASSERT_EQ(woken.size(), expected) << "n=" << n;
      // In FIFO order, hence a subsequence of waiters, hence distinct.
      auto it = waiters.begin();
      for (ThreadId id : woken) {
        it = std::find(it, waiters.end(), id);
        ASSERT_NE(it, waiters.end()) << id << " is not a later waiter";
        ++it;
      }
    }
  }
  EXPECT_TRUE(s->ChooseWakees({}, 3).empty());
}

TEST_P(EveryStrategyTest, AdvanceTimeFirst) {
  SchedulingPoint point;
  point.current = 0;
  point.current_runnable = true;
  const std::vector<ThreadId> runnable = {0, 1};

  std::unique_ptr<Strategy> never = Make(GetParam());
  never->Begin(1, {});
  never->OnThreadCreated(0, kNoThread);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(never->AdvanceTimeFirst(point, runnable));
  EXPECT_TRUE(never->AdvanceTimeFirst(point, {}));  // nothing can run: time must move

  StrategyOptions always_options;
  always_options.time_jump_percent = 100;
  std::unique_ptr<Strategy> always = Make(GetParam(), always_options);
  always->Begin(1, {});
  always->OnThreadCreated(0, kNoThread);
  const bool expect_jumps = GetParam() != "rr";  // rr has no time chaos
  for (int i = 0; i < 100; ++i) EXPECT_EQ(always->AdvanceTimeFirst(point, runnable), expect_jumps);
}

TEST_P(EveryStrategyTest, NextU64IsReproducibleFromTheSeed) {
  std::unique_ptr<Strategy> s = Make(GetParam());
  std::vector<uint64_t> first;
  s->Begin(8, {});
  for (int i = 0; i < 10; ++i) first.push_back(s->NextU64());
  s->Begin(8, {});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s->NextU64(), first[i]);
  s->Begin(9, {});
  EXPECT_NE(s->NextU64(), first[0]);
}

TEST_P(EveryStrategyTest, SingleRunnableThreadIsPicked) {
  std::unique_ptr<Strategy> s = Make(GetParam());
  s->Begin(2, {});
  CreateAll(*s, 4);
  SchedulingPoint point;
  for (ThreadId only = 0; only < 4; ++only) {
    point.step++;
    point.current = only == 0 ? kNoThread : only - 1;
    const std::vector<ThreadId> runnable = {only};
    EXPECT_EQ(s->Pick(point, runnable), only);
  }
}

INSTANTIATE_TEST_SUITE_P(AllStrategies, EveryStrategyTest, ::testing::Values("pct", "pos", "random", "rr", "surw"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(SeedSensitivityTest, RandomizedStrategiesDependOnTheSeed) {
  WorkloadOptions options;
  options.workload_seed = 4;
  for (const std::string name : {"pct", "pos", "random", "surw"}) {
    std::unique_ptr<Strategy> s = Make(name);
    std::set<std::vector<ThreadId>> distinct;
    for (uint64_t seed = 0; seed < 10; ++seed)
      distinct.insert(DriveWorkload(*s, seed, options).picks);
    EXPECT_EQ(distinct.size(), 10u) << name;
  }
}

TEST(SeedSensitivityTest, RoundRobinIgnoresTheSeed) {
  WorkloadOptions options;
  options.workload_seed = 4;
  std::unique_ptr<Strategy> s = Make("rr");
  const WorkloadTrace first = DriveWorkload(*s, 0, options);
  for (uint64_t seed = 1; seed < 5; ++seed) EXPECT_EQ(DriveWorkload(*s, seed, options), first);
}

// ---- Contract violations abort ----

// Breaks the contract on purpose: picks thread 99, wakes the first waiter twice.
class BrokenStrategy : public Strategy {
 public:
  absl::string_view name() const override { return "broken"; }

 protected:
  void BeginRun(uint64_t, const RunHistory&) override {}
  ThreadId PickNext(const SchedulingPoint&, absl::Span<const ThreadId>) override { return 99; }
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override {
    return std::vector<ThreadId>(count, waiters[0]);
  }
};

TEST(StrategyContractDeathTest, PickOutsideRunnableAborts) {
  BrokenStrategy s;
  s.Begin(0, {});
  const std::vector<ThreadId> runnable = {0, 1};
  EXPECT_DEATH(s.Pick(SchedulingPoint{}, runnable), "picked thread 99 not in \\[0, 1\\]");
}

TEST(StrategyContractDeathTest, DuplicateWakeesAbort) {
  BrokenStrategy s;
  s.Begin(0, {});
  const std::vector<ThreadId> waiters = {4, 5, 6};
  EXPECT_DEATH(s.ChooseWakees(waiters, 2), "not distinct waiters");
}

TEST(StrategyContractDeathTest, BadRunnableSetsAbort) {
  std::unique_ptr<Strategy> s = Make("random");
  s->Begin(0, {});
  SchedulingPoint point;
  EXPECT_DEATH(s->Pick(point, {}), "no runnable thread");
  const std::vector<ThreadId> unsorted = {2, 1};
  EXPECT_DEATH(s->Pick(point, unsorted), "not ascending and distinct");
  const std::vector<ThreadId> duplicated = {1, 1};
  EXPECT_DEATH(s->Pick(point, duplicated), "not ascending and distinct");
  point.current = 3;
  point.current_runnable = true;
  const std::vector<ThreadId> without_current = {1, 2};
  EXPECT_DEATH(s->Pick(point, without_current), "current thread 3 is runnable");
}

}  // namespace
}  // namespace ravel
