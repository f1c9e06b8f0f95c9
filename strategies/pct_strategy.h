// PctStrategy ("pct"): probabilistic concurrency testing with priorities and d - 1
// priority change points (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010).
//
// Each run:
//   - Every thread gets a distinct initial priority >= d. Threads are created during the
//     run, so a new thread is inserted at a uniformly random rank among the live threads
//     that still hold their initial priority; for the threads of a run this gives a
//     uniformly random priority order, as if all had been ranked at the start.
//   - d - 1 distinct change points c_1, ..., c_{d-1} are drawn uniformly from [1, k]
//     (in random order). The scheduling point whose ordinal (point.step + 1) is c_i
//     sets the priority of the thread that reached it, point.current, to i: below every
//     initial priority. If no live thread reached that point (current is kNoThread, has
//     exited or is exiting), the change applies at the next point that a live thread
//     reaches; likewise when the scheduler skips calling Pick at some points.
//   - Pick returns the highest-priority runnable thread. The runnable threads are kept in
//     priority order, refreshed from each Pick's runnable set by its changes: a pick is
//     O(log n) plus a move of the order's tail, whatever the number of threads.
//   - k, the expected number of points of a run: options.pct_steps_hint if nonzero,
//     else the most points of an earlier run (RunHistory::max_steps), else
//     kDefaultSteps. When k < d - 1, only k change points are drawn.
//   - Futex wakes release the highest-priority waiters. PCT's schedule thus depends on
//     the priorities alone: no other random draw steers it.
//
// Guarantee (the paper's theorem): for a program with at most n threads and at most k
// scheduling points, a bug of depth d (one that shows whenever d specific ordering
// constraints between points hold) shows in one run with probability at least
// 1 / (n * k^(d-1)). Random scheduling has no such bound: its chance to hold one thread
// for s points and then preempt it is 2^-s for two threads.
//
// Yields. A thread at a point with yield_hint drops below every other thread: below
// the initial priorities and below the change-point priorities 1..d-1 too (the "yield
// band", priorities 0, -1, -2, ...; the latest yielder is lowest). Dropping only below
// the initial priorities would not be enough: a spin-yield loop waits for some other
// thread, and if that thread was demoted at a change point, the spinner would still
// outrank it and spin forever. With this rule a spinner never runs while a thread that
// does not yield is runnable, and spinners take turns. A later change point may lift a
// yielded thread to its priority i again (as in the paper, a change point sets the
// priority; it is applied before the yield of the same point).
//
// Invariants: live threads have pairwise distinct priorities; initial priorities are
// >= d, change-point priorities in [1, d-1], yield-band priorities <= 0. Draws come from
// Stream::kPriority (ranks), Stream::kChangePoints and Stream::kTime only.
#ifndef RAVEL_STRATEGIES_PCT_STRATEGY_H_
#define RAVEL_STRATEGIES_PCT_STRATEGY_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "strategies/strategy.h"

namespace ravel {

class PctStrategy : public Strategy {
 public:
  // k when neither a hint nor an earlier run tells the length of a run.
  static constexpr uint64_t kDefaultSteps = 1000;

  // options.pct_depth must be >= 1 and options.time_jump_percent within [0, 100]
  // (checked; MakeStrategy returns an error instead).
  explicit PctStrategy(const StrategyOptions& options = {});

  absl::string_view name() const override { return "pct"; }
  std::unique_ptr<Strategy> Fork() const override { return std::unique_ptr<Strategy>(new PctStrategy(*this)); }
  void ForkInto(std::unique_ptr<Strategy>& copy) const override { ForkIntoSame(*this, copy); }

  void OnThreadCreated(ThreadId id, ThreadId parent) override;
  void OnThreadExited(ThreadId id) override;

  // ---- Introspection, for tests and logs ----
  int depth() const { return depth_; }
  // k of the current run.
  uint64_t steps_bound() const { return steps_bound_; }
  // The change points of the current run in draw order: the point with ordinal
  // change_points()[i] sets the running thread's priority to i + 1.
  const std::vector<uint64_t>& change_points() const { return change_points_; }
  // How many change points have been applied so far in this run.
  size_t applied_change_points() const { return next_change_; }
  // The priority of a live thread (higher runs first); nullopt if unknown or exited.
  std::optional<int64_t> PriorityOf(ThreadId id) const;
  // The live threads from highest to lowest priority.
  std::vector<ThreadId> PriorityOrder() const;

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override;
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  ThreadId PickAmong(const SchedulingPoint& point, const Choices& choices) override;
  // Until the next change point: priorities change nowhere else while the runnable set
  // stays and nobody yields.
  uint64_t Lease(const SchedulingPoint& decided, absl::Span<const ThreadId> runnable) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point,
                         absl::Span<const ThreadId> runnable) override;

 private:
  // kNone: not seen yet; kExited: gone for good. The others hold a priority (live).
  enum class Band : uint8_t { kNone, kInitial, kChanged, kYielded, kExited };

  // Gives `id` an initial priority if it has none yet and has not exited. (Inline: a Pick
  // checks every runnable thread, and they are almost always known.)
  void EnsureKnown(ThreadId id) {
    if (id != kNoThread && BandOf(id) == Band::kNone) GiveInitialPriority(id);
  }
  void GiveInitialPriority(ThreadId id);
  // Refreshes initial_rank_ from initial_.
  void RankInitial();
  // Takes `id` out of its band (it must be known).
  void Unlink(ThreadId id);
  void SetChangePriority(ThreadId id, int priority);
  void MoveToYieldBand(ThreadId id);
  Band BandOf(ThreadId id) const {
    return id >= 0 && static_cast<size_t>(id) < band_.size() ? band_[static_cast<size_t>(id)] : Band::kNone;
  }
  void SetBand(ThreadId id, Band band);
  bool IsLive(ThreadId id) const {
    const Band band = BandOf(id);
    return band != Band::kNone && band != Band::kExited;
  }
  // A live thread's priority as one number, higher first: the bands apart (initial above
  // changed above yielded), within a band its rank, change priority or yield order. 0 for a
  // thread without a priority.
  uint64_t Key(ThreadId id) const;
  // The runnable order (order_) follows `runnable`: the threads that left it go, those that
  // joined get their initial priority if they have none (ascending, as first seen) and come in.
  void SyncRunnable(absl::Span<const ThreadId> runnable);
  // Puts `id` into order_ if it is live, runnable and not there yet; takes it out. A
  // thread's priority changes only while it is out (Unlink takes it out).
  void Order(ThreadId id);
  void Unorder(ThreadId id);
  static bool Flag(const std::vector<uint8_t>& flags, ThreadId id) {
    return id >= 0 && static_cast<size_t>(id) < flags.size() && flags[static_cast<size_t>(id)] != 0;
  }
  static void SetFlag(std::vector<uint8_t>& flags, ThreadId id, bool on) {
    if (static_cast<size_t>(id) >= flags.size()) flags.resize(static_cast<size_t>(id) + 1, 0);
    flags[static_cast<size_t>(id)] = on ? 1 : 0;
  }

  // (Not const: ForkInto assigns a whole strategy.)
  int depth_;
  uint64_t steps_hint_;
  int time_jump_percent_;

  // Per run (reset by BeginRun).
  uint64_t steps_bound_ = kDefaultSteps;
  std::vector<uint64_t> change_points_;             // draw order
  std::vector<std::pair<uint64_t, int>> schedule_;  // (ordinal, priority), by ordinal
  size_t next_change_ = 0;                          // first entry of schedule_ not applied
  // By logical id (ids are dense): a look-up per runnable thread and step stays cheap
  // with hundreds of threads.
  std::vector<Band> band_;
  std::vector<ThreadId> initial_;                   // highest priority first
  std::vector<size_t> initial_rank_;                // by id: its index in initial_ (kInitial only)
  std::vector<std::pair<int, ThreadId>> changed_;   // (priority, id), highest first
  std::vector<uint64_t> yield_order_;               // by id: when it last yielded (kYielded only)
  uint64_t yields_ = 0;
  // The runnable set of the latest pick (ascending), membership in it by id, and its live
  // threads from highest priority to lowest (order_, with membership ordered_). Plain
  // vectors: a plan's copy of the strategy (Fork) copies them as blocks.
  std::vector<ThreadId> runnable_;
  std::vector<uint8_t> in_runnable_;
  std::vector<ThreadId> order_;
  std::vector<uint8_t> ordered_;
};

}  // namespace ravel

#endif  // RAVEL_STRATEGIES_PCT_STRATEGY_H_
