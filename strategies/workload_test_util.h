// Test-only: drives a Strategy through a made-up run, as the scheduler would.
//
// The workload is a pseudo-random program generated from its own seed (independent of
// the strategy's seed): at each scheduling point the picked thread may create a thread,
// exit, block on a futex, wake waiters, or yield. The trace records every decision the
// strategy made (picks and wakees), so two traces are equal exactly when the strategy
// decided the same way.
//
// Invariant checked while driving: every Pick is a member of the runnable set, every
// wake returns min(n, waiters) distinct waiters in FIFO order. Threads keep being
// created and exiting, between 1 and max_live_threads of them alive.
#ifndef RAVEL_STRATEGIES_WORKLOAD_TEST_UTIL_H_
#define RAVEL_STRATEGIES_WORKLOAD_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "strategies/rng.h"
#include "strategies/strategy.h"

namespace ravel::testing_util {

struct WorkloadOptions {
  uint64_t workload_seed = 1;
  int steps = 2000;
  int max_live_threads = 12;
  // Also make calls whose answers are thrown away (AdvanceTimeFirst, NextU64) at every
  // point: they must not change the other decisions.
  bool extra_calls = false;
  // When > 0, every point names one of this many resources (1..resources), drawn after
  // the point's event, so that strategies that tell conflicts apart (pos, surw) see some.
  int resources = 0;
};

struct WorkloadTrace {
  std::vector<ThreadId> picks;
  std::vector<std::vector<ThreadId>> wakes;
  uint64_t steps = 0;
  int threads_created = 0;
  int exits = 0;
  bool operator==(const WorkloadTrace& other) const {
    return picks == other.picks && wakes == other.wakes;
  }
};

// A workload-side draw in [0, n), from a generator independent of the strategy's.
inline uint64_t WorkloadDraw(uint64_t& state, uint64_t n) { return SplitMix64Next(state) % n; }

inline WorkloadTrace DriveWorkload(Strategy& strategy, uint64_t seed,
                                   const WorkloadOptions& options, const RunHistory& history = {}) {
  WorkloadTrace trace;
  uint64_t wstate = options.workload_seed;
  std::set<ThreadId> alive;
  std::vector<ThreadId> waiters;  // FIFO
  ThreadId next_id = 0;

  strategy.Begin(seed, history);
  strategy.OnThreadCreated(next_id, kNoThread);
  alive.insert(next_id++);

  SchedulingPoint point;
  point.current = 0;
  point.kind = PointKind::kThreadStart;
  point.current_runnable = true;
  for (int step = 0; step < options.steps; ++step) {
    point.step = static_cast<uint64_t>(step);
    std::vector<ThreadId> runnable;
    for (ThreadId id : alive) {
      if (std::find(waiters.begin(), waiters.end(), id) == waiters.end()) runnable.push_back(id);
    }
    if (runnable.empty()) {
      if (alive.empty()) break;
      // Everyone waits: a time jump wakes them all.
      waiters.clear();
      runnable.assign(alive.begin(), alive.end());
      point.current = kNoThread;
      point.current_runnable = false;
    }
    if (options.extra_calls) {
      strategy.AdvanceTimeFirst(point, runnable);
      strategy.NextU64();
    }
    const ThreadId picked = strategy.Pick(point, runnable);
    EXPECT_TRUE(std::binary_search(runnable.begin(), runnable.end(), picked))
        << "step " << step << " picked " << picked;
    trace.picks.push_back(picked);

    // What the picked thread does before its next scheduling point.
    point = SchedulingPoint{};
    point.current = picked;
    point.current_runnable = true;
    const uint64_t event = WorkloadDraw(wstate, 100);
    if (event < 10 && static_cast<int>(alive.size()) < options.max_live_threads) {
      strategy.OnThreadCreated(next_id, picked);
      alive.insert(next_id++);
      ++trace.threads_created;
      point.syscall_nr = 56;  // clone
    } else if (event < 15 && alive.size() > 2) {
      alive.erase(picked);
      strategy.OnThreadExited(picked);
      ++trace.exits;
      point.kind = PointKind::kThreadExit;
      point.current_runnable = false;
    } else if (event < 30) {
      waiters.push_back(picked);
      point.kind = PointKind::kSync;
      point.current_runnable = false;
    } else if (event < 40 && !waiters.empty()) {
      const int n = 1 + static_cast<int>(WorkloadDraw(wstate, 3));
      std::vector<ThreadId> woken = strategy.ChooseWakees(waiters, n);
      const size_t expected = std::min(waiters.size(), static_cast<size_t>(n));
      EXPECT_EQ(woken.size(), expected);
      std::vector<ThreadId> fifo_order;
      for (ThreadId id : waiters) {
        if (std::find(woken.begin(), woken.end(), id) != woken.end()) fifo_order.push_back(id);
      }
      EXPECT_EQ(fifo_order, woken) << "wakees must be distinct waiters, in FIFO order";
      for (ThreadId id : woken) {
        waiters.erase(std::find(waiters.begin(), waiters.end(), id));
      }
      trace.wakes.push_back(std::move(woken));
      point.kind = PointKind::kSync;
    } else if (event < 50) {
      point.kind = PointKind::kYield;
      point.yield_hint = true;
    } else if (event < 55) {
      point.kind = PointKind::kRdtsc;
    } else {
      point.syscall_nr = static_cast<int64_t>(WorkloadDraw(wstate, 300));
    }
    if (options.resources > 0) point.resource = 1 + WorkloadDraw(wstate, static_cast<uint64_t>(options.resources));
    ++trace.steps;
  }
  strategy.End(trace.steps);
  return trace;
}

// A point of `current` whose operation touches `resource`, for event-list runs.
inline SchedulingPoint EventPoint(uint64_t step, ThreadId current, uint64_t resource) {
  SchedulingPoint point;
  point.step = step;
  point.current = current;
  point.current_runnable = true;
  point.resource = resource;
  return point;
}

// Runs threads that make the given events (each a resource; 0: none) with no blocking,
// all created by thread 0 before the first pick, and returns the order of the threads'
// events on `watched`. Each thread first makes its start (an event on nothing): until a
// thread reaches its first point, its pending event is not known.
inline std::vector<ThreadId> OrderOfEvents(Strategy& s, uint64_t seed, std::vector<std::vector<uint64_t>> events,
                                uint64_t watched) {
  for (std::vector<uint64_t>& e : events) e.insert(e.begin(), 0);
  s.Begin(seed, {});
  for (ThreadId t = 0; t < static_cast<ThreadId>(events.size()); ++t) s.OnThreadCreated(t, t == 0 ? kNoThread : 0);
  std::vector<size_t> next(events.size(), 0);
  SchedulingPoint point = EventPoint(0, 0, 0);
  std::vector<ThreadId> order;
  for (uint64_t step = 0;; ++step) {
    std::vector<ThreadId> runnable;
    for (ThreadId t = 0; t < static_cast<ThreadId>(events.size()); ++t) {
      if (next[t] < events[t].size()) runnable.push_back(t);
    }
    if (runnable.empty()) break;
    point.step = step;
    const ThreadId t = s.Pick(point, runnable);
    if (events[t][next[t]] == watched) order.push_back(t);
    ++next[t];
    if (next[t] < events[t].size()) {
      point = EventPoint(step + 1, t, events[t][next[t]]);
    } else {
      s.OnThreadExited(t);
      point = EventPoint(step + 1, t, 0);
      point.kind = PointKind::kThreadExit;
      point.current_runnable = false;
    }
  }
  s.End(0);
  return order;
}

}  // namespace ravel::testing_util

#endif  // RAVEL_STRATEGIES_WORKLOAD_TEST_UTIL_H_
