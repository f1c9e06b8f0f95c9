// PosStrategy ("pos"): partial order sampling (Yuan, Yang, Gu, "Partial Order Aware
// Concurrency Sampling", CAV 2018), over ravel's scheduling points.
//
// An event is what a thread does between two of its points: the operation its point
// precedes (SchedulingPoint::resource names what that operation touches). Each run:
//   - Every pending event (the next event of each live thread) holds a random priority,
//     drawn when the event becomes pending: when its thread reaches the point.
//   - Pick returns the runnable thread whose pending event has the highest priority.
//   - When the picked thread's event has run (the next Pick comes), every other pending
//     event on the same resource races with it: each of those is given a fresh priority.
//     Events whose resource is unknown (0) race with nothing.
// Sampling priorities rather than threads makes schedules that differ only in the order of
// independent events count once: the chance of a schedule depends on its partial order of
// conflicting events, which is what decides a bug. A uniform walk instead favours orders
// with many interleavings of independent events (the paper's analysis; its bound for a
// bug of d ordered racing events is about 1/n^d over n threads, with no dependence on the
// length of the run, where PCT's is 1/(n k^(d-1))).
//
// Yields: a thread at a point with yield_hint gets a priority below every drawn one (the
// latest yielder lowest), so a spinner never runs while a thread that does not spin can,
// until a conflicting event reshuffles it.
//
// Futex wakes release the waiters whose pending events have the highest priorities. Time
// chaos (options.time_jump_percent) draws from Stream::kTime, priorities from
// Stream::kPriority; nothing else is drawn.
#ifndef RAVEL_STRATEGIES_POS_STRATEGY_H_
#define RAVEL_STRATEGIES_POS_STRATEGY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "strategies/strategy.h"

namespace ravel {

class PosStrategy : public Strategy {
 public:
  // options.time_jump_percent must be within [0, 100] (checked).
  explicit PosStrategy(const StrategyOptions& options = {});

  absl::string_view name() const override { return "pos"; }

  void OnThreadCreated(ThreadId id, ThreadId parent) override;
  void OnThreadExited(ThreadId id) override;

  // The priority of a live thread's pending event (higher runs first); nullopt if the
  // thread is unknown or gone. For tests.
  std::optional<uint64_t> PriorityOf(ThreadId id) const;
  // How many priorities were drawn again because their events raced with one that ran.
  uint64_t reshuffles() const { return reshuffles_; }

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override;
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point,
                         absl::Span<const ThreadId> runnable) override;

 private:
  struct Pending {
    bool live = false;
    uint64_t resource = 0;
    uint64_t priority = 0;
  };
  Pending* Find(ThreadId id);
  void EnsureKnown(ThreadId id);
  uint64_t Fresh();  // a drawn priority, in [2^63, 2^64)
  bool Outranks(ThreadId a, ThreadId b) const;

  const int time_jump_percent_;
  // Per run: indexed by thread id (ids are dense), never iterated by address.
  std::vector<Pending> threads_;
  ThreadId last_picked_ = kNoThread;
  uint64_t next_yield_priority_ = 0;
  uint64_t reshuffles_ = 0;
};

}  // namespace ravel

#endif  // RAVEL_STRATEGIES_POS_STRATEGY_H_
