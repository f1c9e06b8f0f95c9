#include "strategies/pct_strategy.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "strategies/random_strategy.h"

namespace ravel {
namespace {

StrategyOptions Pct(int depth, uint64_t steps_hint = 0) {
  StrategyOptions options;
  options.pct_depth = depth;
  options.pct_steps_hint = steps_hint;
  return options;
}

SchedulingPoint PointAt(uint64_t step, ThreadId current, bool runnable = true) {
  SchedulingPoint point;
  point.step = step;
  point.current = current;
  point.current_runnable = runnable;
  return point;
}

void CreateThreads(Strategy& s, int n) {
  for (ThreadId id = 0; id < n; ++id) s.OnThreadCreated(id, id == 0 ? kNoThread : 0);
}

TEST(PctStrategyTest, ChangePointsAreDistinctAndInRange) {
  for (int depth : {1, 2, 3, 5, 10}) {
    PctStrategy s(Pct(depth, 50));
    for (uint64_t seed = 0; seed < 200; ++seed) {
      s.Begin(seed, {});
      const std::vector<uint64_t>& points = s.change_points();
      ASSERT_EQ(points.size(), static_cast<size_t>(depth - 1));
      ASSERT_EQ(std::set<uint64_t>(points.begin(), points.end()).size(), points.size());
      for (uint64_t c : points) {
        ASSERT_GE(c, 1u);
        ASSERT_LE(c, 50u);
      }
    }
  }
}

TEST(PctStrategyTest, ChangePointsAreUniformOverTheRun) {
  PctStrategy s(Pct(2, 10));
  std::vector<int> counts(11);
  for (uint64_t seed = 0; seed < 10000; ++seed) {
    s.Begin(seed, {});
    ++counts[s.change_points()[0]];
  }
  EXPECT_EQ(counts[0], 0);
  for (uint64_t c = 1; c <= 10; ++c) EXPECT_NEAR(counts[c], 1000, 130) << c;
}

TEST(PctStrategyTest, FewerChangePointsWhenTheRunIsShort) {
  PctStrategy s(Pct(6, 3));
  s.Begin(1, {});
  std::vector<uint64_t> points = s.change_points();
  std::sort(points.begin(), points.end());
  EXPECT_EQ(points, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(PctStrategyTest, StepsBoundFromHintHistoryOrDefault) {
  PctStrategy hinted(Pct(3, 77));
  RunHistory history;
  history.Record(500);
  history.Record(300);
  hinted.Begin(0, history);
  EXPECT_EQ(hinted.steps_bound(), 77u);

  PctStrategy learning(Pct(3));
  learning.Begin(0, {});
  EXPECT_EQ(learning.steps_bound(), PctStrategy::kDefaultSteps);
  learning.Begin(0, history);
  EXPECT_EQ(learning.steps_bound(), 500u);
}

TEST(PctStrategyTest, InitialPrioritiesAreDistinctAndAtLeastTheDepth) {
  PctStrategy s(Pct(4));
  s.Begin(3, {});
  CreateThreads(s, 12);
  std::set<int64_t> priorities;
  for (ThreadId id = 0; id < 12; ++id) {
    const std::optional<int64_t> p = s.PriorityOf(id);
    ASSERT_TRUE(p.has_value());
    EXPECT_GE(*p, 4);
    priorities.insert(*p);
  }
  EXPECT_EQ(priorities.size(), 12u);
  EXPECT_FALSE(s.PriorityOf(12).has_value());
  s.OnThreadExited(5);
  EXPECT_FALSE(s.PriorityOf(5).has_value());
  EXPECT_EQ(s.PriorityOrder().size(), 11u);
}

TEST(PctStrategyTest, InitialOrderOfDynamicThreadsIsUniform) {
  // Inserting each new thread at a random rank gives every order of three threads the
  // same chance, as ranking them all at the start would.
  PctStrategy s(Pct(1));
  std::map<std::vector<ThreadId>, int> seen;
  for (uint64_t seed = 0; seed < 6000; ++seed) {
    s.Begin(seed, {});
    CreateThreads(s, 3);
    ++seen[s.PriorityOrder()];
  }
  ASSERT_EQ(seen.size(), 6u);
  for (const auto& [order, count] : seen) EXPECT_NEAR(count, 1000, 130);
}

TEST(PctStrategyTest, PicksTheHighestPriorityRunnableThread) {
  PctStrategy s(Pct(1));
  uint64_t wstate = 1;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    s.Begin(seed, {});
    CreateThreads(s, 8);
    const std::vector<ThreadId> order = s.PriorityOrder();
    for (uint64_t step = 0; step < 50; ++step) {
      std::vector<ThreadId> runnable;
      for (ThreadId id = 0; id < 8; ++id) {
        if (SplitMix64Next(wstate) % 2) runnable.push_back(id);
      }
      if (runnable.empty()) runnable.push_back(static_cast<ThreadId>(step % 8));
      const ThreadId expected = *std::find_if(order.begin(), order.end(), [&](ThreadId id) {
        return std::binary_search(runnable.begin(), runnable.end(), id);
      });
      ASSERT_EQ(s.Pick(PointAt(step, kNoThread, false), runnable), expected);
    }
  }
}

// The pick against the priority order, over a long random run: threads are born and
// exit, the runnable set changes, threads yield, change points pass, and some runnable
// threads are held back. Each pick is the first thread of PriorityOrder() (as it is after
// the pick's own changes) among the choices; a copy made by Fork picks the same.
TEST(PctStrategyTest, EachPickIsTheHighestPriorityChoiceAsTheSetsChange) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    PctStrategy s(Pct(4, 3000));
    s.Begin(seed, {});
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    int threads = 1;
    std::vector<bool> exited(1, false);
    s.OnThreadCreated(0, kNoThread);
    std::unique_ptr<Strategy> copy;
    ThreadId current = 0;
    for (uint64_t step = 0; step < 3000; ++step) {
      const uint64_t r = SplitMix64Next(x);
      if (r % 16 == 0 && threads < 60) {
        s.OnThreadCreated(threads, current);
        if (copy != nullptr) copy->OnThreadCreated(threads, current);
        ++threads;
        exited.push_back(false);
      } else if (r % 16 == 1 && threads > 2) {
        const ThreadId gone = static_cast<ThreadId>(SplitMix64Next(x) % static_cast<uint64_t>(threads));
        if (gone != current && !exited[static_cast<size_t>(gone)]) {
          s.OnThreadExited(gone);
          if (copy != nullptr) copy->OnThreadExited(gone);
          exited[static_cast<size_t>(gone)] = true;
        }
      }
      std::vector<ThreadId> runnable, held;
      for (ThreadId id = 0; id < threads; ++id) {
        if (!exited[static_cast<size_t>(id)] && (id == current || SplitMix64Next(x) % 4 != 0)) runnable.push_back(id);
      }
      for (ThreadId id : runnable) {
        if (held.size() + 1 < runnable.size() && SplitMix64Next(x) % 8 == 0) held.push_back(id);
      }
      const Choices choices{runnable, held};
      SchedulingPoint point = PointAt(step, current, choices.Contains(current));
      point.yield_hint = SplitMix64Next(x) % 3 == 0;
      if (step % 100 == 0) copy = s.Fork();
      const ThreadId copied = copy != nullptr ? copy->PickFrom(point, choices) : kNoThread;
      const ThreadId picked = s.PickFrom(point, choices);
      const std::vector<ThreadId> order = s.PriorityOrder();
      const ThreadId expected =
          *std::find_if(order.begin(), order.end(), [&](ThreadId id) { return choices.Contains(id); });
      ASSERT_EQ(picked, expected) << "seed " << seed << " step " << step;
      ASSERT_EQ(copied, picked) << "seed " << seed << " step " << step;
      current = picked;
    }
  }
}

TEST(PctStrategyTest, DepthOneNeverPreemptsTheTopThread) {
  PctStrategy s(Pct(1, 100));
  s.Begin(9, {});
  CreateThreads(s, 4);
  const ThreadId top = s.PriorityOrder().front();
  const std::vector<ThreadId> all = {0, 1, 2, 3};
  for (uint64_t step = 0; step < 1000; ++step) ASSERT_EQ(s.Pick(PointAt(step, top), all), top);
}

TEST(PctStrategyTest, ChangePointDemotesTheRunningThread) {
  PctStrategy s(Pct(2, 20));
  const std::vector<ThreadId> all = {0, 1, 2};
  for (uint64_t seed = 0; seed < 100; ++seed) {
    s.Begin(seed, {});
    CreateThreads(s, 3);
    const uint64_t change = s.change_points()[0];
    const std::vector<ThreadId> order = s.PriorityOrder();
    const ThreadId top = order[0];
    // The top thread runs until the point whose ordinal is the change point ...
    for (uint64_t step = 0; step + 1 < change; ++step) {
      ASSERT_EQ(s.Pick(PointAt(step, top), all), top);
    }
    // ... where it drops to priority 1, below every initial priority.
    EXPECT_EQ(s.Pick(PointAt(change - 1, top), all), order[1]);
    EXPECT_EQ(s.PriorityOf(top), 1);
    EXPECT_EQ(s.applied_change_points(), 1u);
    EXPECT_EQ(s.PriorityOrder(), (std::vector<ThreadId>{order[1], order[2], top}));
    EXPECT_EQ(s.Pick(PointAt(change, order[1]), all), order[1]);
  }
}

TEST(PctStrategyTest, ChangePriorityFollowsDrawOrder) {
  // The change point drawn i-th (1-based) sets priority i, whatever its place in time.
  PctStrategy s(Pct(4, 6));
  s.Begin(12, {});
  CreateThreads(s, 4);
  std::vector<ThreadId> order = s.PriorityOrder();
  const std::vector<ThreadId> all = {0, 1, 2, 3};
  ThreadId current = order[0];
  std::map<ThreadId, int64_t> demoted_to;
  for (uint64_t step = 0; step < 6; ++step) {
    const uint64_t ordinal = step + 1;
    const auto& points = s.change_points();
    const auto it = std::find(points.begin(), points.end(), ordinal);
    const ThreadId before = current;
    current = s.Pick(PointAt(step, current), all);
    if (it != points.end()) demoted_to[before] = (it - points.begin()) + 1;
  }
  for (const auto& [thread, priority] : demoted_to) EXPECT_EQ(s.PriorityOf(thread), priority);
  EXPECT_FALSE(demoted_to.empty());
}

TEST(PctStrategyTest, ChangePointWithoutCurrentThreadWaitsForTheNextPoint) {
  PctStrategy s(Pct(2, 10));
  s.Begin(4, {});
  CreateThreads(s, 2);
  const uint64_t change = s.change_points()[0];
  const std::vector<ThreadId> all = {0, 1};
  const ThreadId top = s.PriorityOrder()[0];
  for (uint64_t step = 0; step + 1 < change; ++step) s.Pick(PointAt(step, top), all);
  EXPECT_EQ(s.Pick(PointAt(change - 1, kNoThread, false), all), top);
  EXPECT_EQ(s.applied_change_points(), 0u);
  s.Pick(PointAt(change, top), all);
  EXPECT_EQ(s.applied_change_points(), 1u);
  EXPECT_EQ(s.PriorityOf(top), 1);
}

TEST(PctStrategyTest, YieldHintDropsBelowEveryOtherThread) {
  PctStrategy s(Pct(3, 4));
  s.Begin(21, {});
  CreateThreads(s, 3);
  const std::vector<ThreadId> all = {0, 1, 2};
  // Run past both change points, so that some thread holds a change-point priority.
  ThreadId current = s.PriorityOrder()[0];
  for (uint64_t step = 0; step < 4; ++step) current = s.Pick(PointAt(step, current), all);
  ASSERT_EQ(s.applied_change_points(), 2u);
  const ThreadId top = s.PriorityOrder().front();
  SchedulingPoint yield = PointAt(4, top);
  yield.kind = PointKind::kYield;
  yield.yield_hint = true;
  EXPECT_NE(s.Pick(yield, all), top);
  EXPECT_EQ(s.PriorityOrder().back(), top);
  EXPECT_LE(*s.PriorityOf(top), 0);
  for (ThreadId id : all) {
    if (id != top) {
      EXPECT_GT(*s.PriorityOf(id), *s.PriorityOf(top));
    }
  }
}

// A simulated program: thread 0 spins until thread 1 has run `work` steps (calling
// sched_yield in the loop when `yield_hints`); thread 2 does `noise` steps. Returns how
// many points the run took, or -1 if it did not finish within `limit` points.
int RunSpinProgram(Strategy& s, uint64_t seed, bool yield_hints, int limit) {
  const int work = 5;
  const int noise = 10;
  s.Begin(seed, {});
  CreateThreads(s, 3);
  int worker_done = 0;
  int noise_done = 0;
  bool spinner_done = false;
  SchedulingPoint point = PointAt(0, 0);
  for (int step = 0; step < limit; ++step) {
    std::vector<ThreadId> runnable;
    if (!spinner_done) runnable.push_back(0);
    if (worker_done < work) runnable.push_back(1);
    if (noise_done < noise) runnable.push_back(2);
    if (runnable.empty()) return step;
    point.step = static_cast<uint64_t>(step);
    const ThreadId picked = s.Pick(point, runnable);
    point = PointAt(0, picked);
    if (picked == 0) {
      if (worker_done == work) {
        spinner_done = true;
      } else if (yield_hints) {
        point.kind = PointKind::kYield;
        point.yield_hint = true;
      }
    } else if (picked == 1) {
      ++worker_done;
    } else {
      ++noise_done;
    }
    const bool exited = (picked == 0 && spinner_done) || (picked == 1 && worker_done == work) ||
                        (picked == 2 && noise_done == noise);
    if (exited) {
      s.OnThreadExited(picked);
      point.kind = PointKind::kThreadExit;
      point.current_runnable = false;
    }
  }
  return -1;
}

TEST(PctStrategyTest, YieldHintsPreventSpinLivelock) {
  for (int depth : {1, 2, 3, 5}) {
    PctStrategy s(Pct(depth, 12));
    for (uint64_t seed = 0; seed < 500; ++seed) {
      const int steps = RunSpinProgram(s, seed, /*yield_hints=*/true, 10000);
      // 15 steps of real work; each spin step is followed by a non-spinning step except
      // when a change point lifts the spinner again (at most depth - 1 times).
      ASSERT_GE(steps, 0) << "livelock: depth " << depth << " seed " << seed;
      ASSERT_LE(steps, 2 * 15 + 2 * depth) << "depth " << depth << " seed " << seed;
    }
  }
}

TEST(PctStrategyTest, WithoutYieldHintsTheTopSpinnerLivelocks) {
  // The counterpart of the test above: it shows that the simulation detects a livelock.
  PctStrategy s(Pct(1));
  int livelocks = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    s.Begin(seed, {});
    CreateThreads(s, 3);
    const std::vector<ThreadId> order = s.PriorityOrder();
    const bool spinner_above_worker =
        std::find(order.begin(), order.end(), 0) < std::find(order.begin(), order.end(), 1);
    const int steps = RunSpinProgram(s, seed, /*yield_hints=*/false, 2000);
    EXPECT_EQ(steps < 0, spinner_above_worker) << seed;
    livelocks += steps < 0;
  }
  EXPECT_GT(livelocks, 20);
}

TEST(PctStrategyTest, WakesTheHighestPriorityWaiters) {
  PctStrategy s(Pct(2));
  s.Begin(6, {});
  CreateThreads(s, 6);
  const std::vector<ThreadId> order = s.PriorityOrder();
  const std::vector<ThreadId> waiters = {5, 4, 3, 2, 1, 0};  // FIFO order
  const std::vector<ThreadId> woken = s.ChooseWakees(waiters, 2);
  ASSERT_EQ(woken.size(), 2u);
  const std::set<ThreadId> expected = {order[0], order[1]};
  EXPECT_EQ(std::set<ThreadId>(woken.begin(), woken.end()), expected);
  EXPECT_GT(woken[0], woken[1]) << "reported in FIFO order";
}

TEST(PctStrategyTest, UnannouncedThreadsGetAPriorityOnFirstSight) {
  PctStrategy s(Pct(2));
  s.Begin(1, {});
  const std::vector<ThreadId> runnable = {0, 3};
  const ThreadId picked = s.Pick(PointAt(0, kNoThread, false), runnable);
  EXPECT_TRUE(picked == 0 || picked == 3);
  EXPECT_TRUE(s.PriorityOf(0).has_value());
  EXPECT_TRUE(s.PriorityOf(3).has_value());
}

// A depth-2 ordering bug: thread 0 (A) and thread 1 (B) each run `length` steps; the bug
// shows iff B's first step comes right after A's first `preempt_after` steps, i.e. A must
// be preempted at one specific point and B must run before A resumes. Every run has
// k = 2 * length points. Returns how many of `runs` seeds hit the bug.
int CountDepthTwoBugs(Strategy& s, int runs, int length, int preempt_after) {
  RunHistory history;
  int hits = 0;
  for (int seed = 0; seed < runs; ++seed) {
    s.Begin(static_cast<uint64_t>(seed), history);
    CreateThreads(s, 2);
    int done[2] = {0, 0};
    bool bug = false;
    ThreadId current = 0;
    uint64_t step = 0;
    for (; done[0] < length || done[1] < length; ++step) {
      std::vector<ThreadId> runnable;
      for (ThreadId id : {0, 1}) {
        if (done[id] < length) runnable.push_back(id);
      }
      const bool current_runnable = done[current] < length;
      SchedulingPoint point = PointAt(step, current, current_runnable);
      if (!current_runnable) point.kind = PointKind::kThreadExit;
      current = s.Pick(point, runnable);
      if (current == 1 && done[1] == 0 && done[0] == preempt_after) bug = true;
      if (++done[current] == length) s.OnThreadExited(current);
    }
    s.End(step);
    history.Record(step);
    hits += bug;
  }
  return hits;
}

TEST(PctStrategyTest, FindsADepthTwoBugWithTheGuaranteedProbability) {
  constexpr int kRuns = 20000;
  constexpr int kLength = 50;
  constexpr int kPreemptAfter = 20;
  // n = 2 threads, k = 100 points (learnt from the first run): bound 1 / (n k) = 1/200.
  const double bound = 1.0 / (2.0 * 2 * kLength);
  PctStrategy pct(Pct(2));
  const int pct_hits = CountDepthTwoBugs(pct, kRuns, kLength, kPreemptAfter);
  // The analysis is tight for this bug: expect about kRuns * bound = 100 hits.
  EXPECT_GE(pct_hits, 0.75 * bound * kRuns);
  EXPECT_LE(pct_hits, 1.3 * bound * kRuns);

  // Random needs 20 picks of A in a row then B: probability 2^-21 per run.
  RandomStrategy random;
  const int random_hits = CountDepthTwoBugs(random, kRuns, kLength, kPreemptAfter);
  EXPECT_LE(random_hits * 10, pct_hits) << "random " << random_hits << " pct " << pct_hits;
}

}  // namespace
}  // namespace ravel

namespace ravel {
namespace {

// A lease is a promise: for every seed, each point it covers is picked as the current
// thread, and the point just after it is the first that could go otherwise (a change
// point applies there).
TEST(PctStrategyTest, ALeaseCoversExactlyThePointsBeforeTheNextChange) {
  const std::vector<ThreadId> runnable = {0, 1, 2};
  int leases = 0, unbounded = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    PctStrategy s(Pct(3, 60));
    s.Begin(seed, {});
    CreateThreads(s, 3);
    uint64_t step = 0;
    while (step < 80) {
      const ThreadId top = s.Pick(PointAt(step, s.PriorityOrder().front()), runnable);
      const uint64_t lease = s.LeaseLength(PointAt(step, top), runnable);
      if (lease == ~0ull) {
        ++unbounded;
        break;
      }
      ++leases;
      for (uint64_t i = 1; i <= lease; ++i) {
        ASSERT_EQ(s.Pick(PointAt(step + i, top), runnable), top) << "seed " << seed << " step " << step + i;
      }
      step += lease + 1;  // the first point the lease does not cover: a change may apply
    }
  }
  EXPECT_GT(leases, 200);
  EXPECT_GT(unbounded, 100);  // past the last change point nothing changes priorities
}

}  // namespace
}  // namespace ravel
