// RecordingStrategy and ReplayStrategy: a run's decisions, recorded and played back.
//
// RecordingStrategy wraps the strategy of a run and logs every decision it takes where
// there was a real choice; ReplayStrategy answers a later run with those decisions, in the
// same order, and notices when the run no longer matches them.
//
// What counts as a decision (the recorder and the replayer must agree exactly, so that
// the replayer consumes the same sequence):
//   - a Pick with more than one runnable thread (with one, there is no choice: the
//     answer is runnable[0], and neither side logs or consumes anything);
//   - a ChooseWakees whose count is at least 1 and less than the number of waiters (the
//     Strategy base class answers the other calls itself, without asking the strategy);
//   - an AdvanceTimeFirst with a non-empty runnable set (with none, time jumps anyway and
//     the base class answers without asking).
// Both classes sit behind those non-virtual entry points, so the trivial cases never
// reach them.
//
// Data: Strategy::NextU64 comes from the base class's generator, reseeded by Begin(seed).
// A ReplayStrategy begun with the recorded seed therefore hands the guest the same
// random data (getrandom, AT_RANDOM, ...) as the recorded run, and the recorder's
// NextU64 equals the wrapped strategy's (same seed, same Stream::kData sequence).
//
// Usage:
//   RecordingStrategy recorder(*strategy);          // run with `recorder`
//   ...
//   schedule.decisions = recorder.decisions();
//
//   ReplayStrategy replay(schedule.decisions, schedule.strategy);
//   replay.Begin(schedule.seed, {});                // run with `replay`
//   ...
//   if (replay.diverged() || !replay.finished()) ...  // report replay.divergence()
#ifndef RAVEL_REPLAY_RECORDING_H_
#define RAVEL_REPLAY_RECORDING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "replay/schedule.h"
#include "strategies/strategy.h"

namespace ravel {

// Forwards every call to `inner` and logs the non-trivial decisions it answers.
// Invariant: decisions() holds, in call order, exactly the decisions of the current run
// (since the last Begin) that a ReplayStrategy will be asked for.
class RecordingStrategy : public Strategy {
 public:
  // `inner` must outlive this object.
  explicit RecordingStrategy(Strategy& inner) : inner_(inner) {}

  absl::string_view name() const override { return inner_.name(); }
  void OnThreadCreated(ThreadId id, ThreadId parent) override {
    inner_.OnThreadCreated(id, parent);
  }
  void OnThreadExited(ThreadId id) override { inner_.OnThreadExited(id); }
  void End(uint64_t steps) override { inner_.End(steps); }

  const std::vector<Decision>& decisions() const { return decisions_; }
  // The inner strategy's copy: what a plan asks it is not recorded (the points are, when
  // they come).
  std::unique_ptr<Strategy> Fork() const override { return inner_.Fork(); }

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override;
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  // Forwarded as they are, held threads apart: the inner strategy may pick without a copy.
  ThreadId PickAmong(const SchedulingPoint& point, const Choices& choices) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point,
                         absl::Span<const ThreadId> runnable) override;
  // The inner strategy's: the leased points are still picked (and recorded) here.
  uint64_t Lease(const SchedulingPoint& decided, absl::Span<const ThreadId> runnable) override {
    return inner_.LeaseLength(decided, runnable);
  }

 private:
  Strategy& inner_;
  std::vector<Decision> decisions_;
};

// Answers each decision from a recorded list. When the run asks for something the
// recording does not have (another kind of decision, a thread that cannot run, a wake
// of other waiters, or more decisions than were recorded), the replay has diverged: the
// first such point is kept in divergence(), and from then on every answer is a valid
// default (the current thread if it can run, else the lowest runnable; the first waiters;
// no time jump) and nothing more is consumed. It never aborts on a recording that does not
// match; the Strategy contract checks still apply to the calls themselves.
class ReplayStrategy : public Strategy {
 public:
  // `strategy_name`: the recorded strategy's name (Schedule::strategy), returned by name().
  ReplayStrategy(std::vector<Decision> decisions, std::string strategy_name)
      : decisions_(std::move(decisions)), name_(std::move(strategy_name)) {}

  absl::string_view name() const override { return name_; }

  bool diverged() const { return !divergence_.empty(); }
  // One line: "decision 17 (choice point 120): recorded pick of T3, but runnable are [0, 1]",
  // "decisions exhausted at decision 40 (choice point 300): the run asks for a pick among [0, 2]".
  // Decisions are numbered from 0; the choice point is SchedulingPoint::step of the last
  // point the strategy saw. Empty while the replay matches.
  const std::string& divergence() const { return divergence_; }
  // Decisions answered from the recording so far in this run.
  size_t consumed() const { return next_; }
  // Whether every recorded decision has been consumed. A run that ends before that
  // diverged too (it took fewer decisions than the recording).
  bool finished() const { return next_ == decisions_.size(); }

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override;
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point,
                         absl::Span<const ThreadId> runnable) override;

 private:
  // The next recorded decision if it is of `kind`; else records the divergence (`asked`
  // describes what the run asks for) and returns nullptr.
  const Decision* Next(Decision::Kind kind, absl::string_view asked);
  void Diverge(std::string message);

  std::vector<Decision> decisions_;
  std::string name_;
  size_t next_ = 0;
  uint64_t step_ = 0;  // the last scheduling point seen, for messages
  std::string divergence_;
};

}  // namespace ravel

#endif  // RAVEL_REPLAY_RECORDING_H_
