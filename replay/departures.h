// Departures: the decisions of a run that differ from the default schedule, and the
// strategies that find them (DepartureTracker) and make a run with only some of them
// (GuidedStrategy). `ravel minimize` shrinks a failing schedule to the fewest departures
// that still fail the same way; `ravel explain` tells the story of the ones that remain.
//
// The default schedule is the one with no preemption at all:
//   - a pick keeps the current thread while it can run (and has not asked to yield);
//     when it blocks, exits or yields, the next runnable thread after it in id order
//     runs (wrapping around), or the lowest when no thread was at the point;
//   - a futex wake releases the longest waiters (FIFO);
//   - time never jumps while a thread could run.
// A departure is a decision other than that: a preemption (a switch away from a thread
// that could go on), another thread than the default after a block, a wake of other
// waiters, a time jump.
//
// How a departure is found again in another run: by who was at the point and how many
// points that thread had reached before (its ordinal), not by the global step, so that
// dropping an earlier departure of other threads does not move it. Wakes and time jumps,
// which have no thread of their own, are numbered among the calls of their kind.
//
// Usage (minimize):
//   DepartureTracker tracker(replay);          // run the replay with `tracker`
//   std::vector<Departure> all = tracker.departures();
//   GuidedStrategy guided(some_subset, "pct"); // run with `guided` (record it)
#ifndef RAVEL_REPLAY_DEPARTURES_H_
#define RAVEL_REPLAY_DEPARTURES_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "strategies/strategy.h"

namespace ravel {

struct Departure {
  enum class Kind : uint8_t { kPick, kWake, kTime };
  Kind kind = Kind::kPick;
  // kPick: the thread at the point (kNoThread when none was) and how many points it had
  // reached before this one (0: its first). kWake/kTime: how many calls of that kind
  // came before (0: the first).
  ThreadId at = kNoThread;
  uint64_t ordinal = 0;
  ThreadId picked = kNoThread;   // kPick: the thread that ran
  ThreadId fallback = kNoThread; // kPick: the default schedule's thread
  bool preempted = false;        // kPick: `at` could have gone on (a preemption proper)
  std::vector<ThreadId> wakees;  // kWake: the waiters released
  bool advance = false;          // kTime: true (a jump; the default is none)
  // Where it happened in the run that found it, for reports: the step it followed
  // (DepartureTracker::set_step), and the choice point.
  uint64_t step = 0;
  uint64_t choice = 0;

  bool operator==(const Departure&) const = default;
};

// "T1 preempted by T2 at its point 7", "T3 picked instead of T0 after T1 blocked",
// "wake 2 released [3]", "time jump 0": one line for reports.
std::string DescribeDeparture(const Departure& d);

// The default schedule's pick at `point` (see the top of this file).
ThreadId DefaultPick(const SchedulingPoint& point, absl::Span<const ThreadId> runnable);

// Counts points per thread and calls per kind, as both strategies below must alike.
class PointCounter {
 public:
  void Reset();
  // The ordinal of this pick's point for `current` (then counted).
  uint64_t NextPick(ThreadId current);
  uint64_t NextWake() { return wakes_++; }
  uint64_t NextTime() { return times_++; }

 private:
  std::map<ThreadId, uint64_t> points_;
  uint64_t wakes_ = 0;
  uint64_t times_ = 0;
};

// Forwards every call to `inner` and keeps the answers that depart from the default.
class DepartureTracker : public Strategy {
 public:
  // `inner` must outlive this object.
  explicit DepartureTracker(Strategy& inner) : inner_(inner) {}

  absl::string_view name() const override { return inner_.name(); }
  void OnThreadCreated(ThreadId id, ThreadId parent) override { inner_.OnThreadCreated(id, parent); }
  void OnThreadExited(ThreadId id) override { inner_.OnThreadExited(id); }
  void End(uint64_t steps) override { inner_.End(steps); }

  // The run's latest step, stamped on the departures found from now on.
  void set_step(uint64_t step) { step_ = step; }
  const std::vector<Departure>& departures() const { return departures_; }

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override;
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;

 private:
  Strategy& inner_;
  PointCounter counter_;
  uint64_t step_ = 0;
  std::vector<Departure> departures_;
};

// Runs the default schedule except at the given departures. A departure whose thread
// cannot run at its point (the run went elsewhere) is skipped: the default decides.
// Random data for the guest comes from the seed given to Begin, as with any strategy.
class GuidedStrategy : public Strategy {
 public:
  // `name`: the strategy the departures came from (what a recording of this run names).
  GuidedStrategy(const std::vector<Departure>& departures, std::string name);

  absl::string_view name() const override { return name_; }
  // How many of the departures this run applied.
  size_t applied() const { return applied_; }

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override;
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;

 private:
  std::map<std::pair<ThreadId, uint64_t>, ThreadId> picks_;  // (at, ordinal) -> picked
  std::map<uint64_t, std::vector<ThreadId>> wakes_;
  std::map<uint64_t, bool> times_;
  std::string name_;
  PointCounter counter_;
  size_t applied_ = 0;
};

// Delta debugging (Zeller's ddmin): the smallest subset of {0, ..., n-1} found for which
// `fails` holds, given that it holds for all of them. 1-minimal when `fails` is
// deterministic: removing any one element of the result makes it pass. Calls `fails` at
// most `max_tests` times; then returns the smallest failing subset found so far. The
// subset passed is sorted.
std::vector<size_t> MinimizeSubset(size_t n, const std::function<bool(const std::vector<size_t>&)>& fails,
                                   size_t max_tests);

}  // namespace ravel

#endif  // RAVEL_REPLAY_DEPARTURES_H_
