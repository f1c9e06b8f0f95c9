#include "replay/recording.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ravel {

namespace {

std::string Describe(absl::Span<const ThreadId> ids) {
  return absl::StrCat("[", absl::StrJoin(ids, ", "), "]");
}

}  // namespace

void RecordingStrategy::BeginRun(uint64_t seed, const RunHistory& history) {
  decisions_.clear();
  inner_.Begin(seed, history);
}

ThreadId RecordingStrategy::PickNext(const SchedulingPoint& point,
                                     absl::Span<const ThreadId> runnable) {
  return PickAmong(point, Choices{runnable, {}});
}

ThreadId RecordingStrategy::PickAmong(const SchedulingPoint& point, const Choices& choices) {
  // Forwarded even with one choice: the inner strategy may count steps (PCT).
  const ThreadId picked = inner_.PickFrom(point, choices);
  if (choices.size() > 1) decisions_.push_back(Decision::Pick(picked));
  return picked;
}

std::vector<ThreadId> RecordingStrategy::PickWakees(absl::Span<const ThreadId> waiters,
                                                    size_t count) {
  // 1 <= count < waiters.size(): the inner ChooseWakees asks its own PickWakees, and
  // answers in FIFO order.
  std::vector<ThreadId> chosen = inner_.ChooseWakees(waiters, static_cast<int>(count));
  decisions_.push_back(Decision::Wake(chosen));
  return chosen;
}

bool RecordingStrategy::ShouldAdvanceTime(const SchedulingPoint& point,
                                          absl::Span<const ThreadId> runnable) {
  // runnable is non-empty, so the inner AdvanceTimeFirst asks its ShouldAdvanceTime.
  const bool advance = inner_.AdvanceTimeFirst(point, runnable);
  decisions_.push_back(Decision::Time(advance));
  return advance;
}

void ReplayStrategy::BeginRun(uint64_t seed, const RunHistory& history) {
  next_ = 0;
  step_ = 0;
  divergence_.clear();
}

void ReplayStrategy::Diverge(std::string message) {
  if (divergence_.empty()) divergence_ = std::move(message);
}

const Decision* ReplayStrategy::Next(Decision::Kind kind, absl::string_view asked) {
  if (diverged()) return nullptr;
  if (next_ >= decisions_.size()) {
    Diverge(absl::StrCat("decisions exhausted at decision ", next_, " (choice point ", step_,
                         "): the run asks for ", asked));
    return nullptr;
  }
  const Decision& decision = decisions_[next_];
  if (decision.kind != kind) {
    Diverge(absl::StrCat("decision ", next_, " (choice point ", step_, "): recorded ",
                         DescribeDecision(decision), ", but the run asks for ", asked));
    return nullptr;
  }
  return &decision;
}

ThreadId ReplayStrategy::PickNext(const SchedulingPoint& point,
                                  absl::Span<const ThreadId> runnable) {
  step_ = point.step;
  if (runnable.size() == 1) return runnable[0];
  const Decision* decision =
      Next(Decision::Kind::kPick, absl::StrCat("a pick among ", Describe(runnable)));
  if (decision != nullptr &&
      !std::binary_search(runnable.begin(), runnable.end(), decision->thread)) {
    Diverge(absl::StrCat("decision ", next_, " (choice point ", step_, "): recorded ",
                         DescribeDecision(*decision), ", but runnable are ", Describe(runnable)));
    decision = nullptr;
  }
  if (decision == nullptr) return point.current_runnable ? point.current : runnable[0];
  ++next_;
  return decision->thread;
}

std::vector<ThreadId> ReplayStrategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  const std::string asked =
      absl::StrCat("a wake of ", count, " of the waiters ", Describe(waiters));
  const Decision* decision = Next(Decision::Kind::kWake, asked);
  if (decision != nullptr) {
    std::vector<ThreadId> sorted_waiters(waiters.begin(), waiters.end());
    std::sort(sorted_waiters.begin(), sorted_waiters.end());
    std::vector<ThreadId> sorted_wakees = decision->wakees;
    std::sort(sorted_wakees.begin(), sorted_wakees.end());
    const bool valid =
        sorted_wakees.size() == count &&
        std::adjacent_find(sorted_wakees.begin(), sorted_wakees.end()) == sorted_wakees.end() &&
        std::includes(sorted_waiters.begin(), sorted_waiters.end(), sorted_wakees.begin(),
                      sorted_wakees.end());
    if (!valid) {
      Diverge(absl::StrCat("decision ", next_, " (choice point ", step_, "): recorded ",
                           DescribeDecision(*decision), ", but the run asks for ", asked));
      decision = nullptr;
    }
  }
  if (decision == nullptr) {
    return std::vector<ThreadId>(waiters.begin(), waiters.begin() + static_cast<ptrdiff_t>(count));
  }
  ++next_;
  return decision->wakees;
}

bool ReplayStrategy::ShouldAdvanceTime(const SchedulingPoint& point,
                                       absl::Span<const ThreadId> runnable) {
  step_ = point.step;
  const Decision* decision = Next(Decision::Kind::kTime, "a time decision");
  if (decision == nullptr) return false;
  ++next_;
  return decision->advance;
}

}  // namespace ravel
