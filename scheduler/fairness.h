// Fairness: no thread waits for ever while others loop.
//
// A serialising scheduler owes progress to every thread. PCT's strict priorities, for
// one, let a high-priority thread that never ends (a daemon that loops over work and a
// short sleep) keep a low-priority thread off the CPU for ever, and a program that waits
// for that thread never finishes. This is CHESS's fair scheduling ("Fair stateless model
// checking", Musuvathi and Qadeer, PLDI 2008), kept outside the strategies so that each
// of them gets it:
//
//  - A thread *yields* when it calls sched_yield, when the spin detector flags it, and
//    when it sleeps or waits with a timeout: each says "I am waiting for something".
//  - When thread t yields, every thread u that has been runnable, without running, since
//    t's previous yield gets priority over t: the edge t -> u. (t's first yield only
//    marks the start.)
//  - t may not be picked while some u with an edge t -> u is runnable.
//  - An edge t -> u goes when u runs (it got the baton), blocks or exits.
//
// Invariants: the edges form no cycle (an edge t -> u is made when t runs and u has not
// run since before t's previous yield; for u -> t to be made too, t must not have run
// since before u's previous yield, but u cannot yield without running, which removes
// t -> u), so among runnable threads at least one has no runnable edge target. Filter
// never returns an empty set all the same: it would fall back to every runnable thread.
//
// What it leaves alone: a run in which no thread yields twice while another waits gets no
// edge, so it is scheduled exactly as the strategy says. PCT's guarantee for terminating
// programs whose threads do not loop on yields or sleeps is unchanged; where they do, a
// yielding thread can be held back only until each thread it waited on has run once.
//
// Pure bookkeeping, driven by the scheduler at its points: steps and logical ids only.
// No edge is stored: t owes u exactly when u is runnable and has waited since t's
// yield before its latest (see State). For the set of the latest Sync (the scheduler's
// case), HeldBack costs O(log n) plus the threads it holds back: the runnable threads
// are indexed by how long they have waited and by how far back they owe.
#ifndef RAVEL_SCHEDULER_FAIRNESS_H_
#define RAVEL_SCHEDULER_FAIRNESS_H_

#include <cstdint>
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "strategies/strategy.h"

namespace ravel {

// Threads ordered by a step (ties in any order), kept where steps mostly grow: an intrusive
// doubly linked list by logical id, into which a thread goes by a walk back from the latest
// (a thread that runs, yields or becomes runnable goes at or near the end). No allocation
// once it has room for every id, so that a copy is three vectors.
class StepList {
 public:
  static constexpr ThreadId kEnd = -1;
  bool Has(ThreadId id) const { return static_cast<size_t>(id) < in_.size() && in_[static_cast<size_t>(id)] != 0; }
  void Insert(ThreadId id, uint64_t step);
  void Erase(ThreadId id);
  ThreadId First() const { return head_; }
  ThreadId Last() const { return tail_; }
  ThreadId Next(ThreadId id) const { return next_[static_cast<size_t>(id)]; }
  ThreadId Previous(ThreadId id) const { return prev_[static_cast<size_t>(id)]; }
  uint64_t Step(ThreadId id) const { return step_[static_cast<size_t>(id)]; }

 private:
  std::vector<uint64_t> step_;
  std::vector<ThreadId> prev_, next_;
  std::vector<uint8_t> in_;
  ThreadId head_ = kEnd, tail_ = kEnd;
};

class Fairness {
 public:
  // The threads that can run (or run) at `step`, ascending: those new in the set became
  // runnable now; those gone from it blocked or exited, and nothing waits for them now.
  void Sync(absl::Span<const ThreadId> runnable, uint64_t step);
  // `u` got the baton at `step`: it is no longer owed a turn.
  void OnRan(ThreadId u, uint64_t step);
  // `t` yielded at `step` while `runnable` (t itself may be among them) could run.
  void OnYield(ThreadId t, uint64_t step, absl::Span<const ThreadId> runnable);

  // The members of `runnable` (ascending) that may be picked: those without an edge to a
  // runnable thread. Never empty when `runnable` is not.
  std::vector<ThreadId> Filter(absl::Span<const ThreadId> runnable) const;
  // The others: the members of `runnable` that have such an edge, ascending. Never all of
  // `runnable` (none then: nothing is held back).
  std::vector<ThreadId> HeldBack(absl::Span<const ThreadId> runnable) const;

  // For reports and tests: the threads `t` must let run first.
  std::vector<ThreadId> OwedBy(ThreadId t) const;

 private:
  struct State {
    bool has_yielded = false;
    uint64_t last_yield = 0;      // step of its latest yield
    // Set at its second yield on: the step of the yield before its latest. It owes every
    // thread that has been runnable since then at the latest without running (the
    // edges t -> u), so owing is a comparison: Waiting(u) <= owe_limit.
    bool owes_any = false;
    uint64_t owe_limit = 0;
    uint64_t runnable_since = 0;  // step it last became runnable
    uint64_t last_ran = 0;        // step it last got the baton
    bool ever_ran = false;
    bool runnable = false;
    bool known = false;
  };
  // The step since which u has waited: it became runnable then, or ran just before.
  static uint64_t Waiting(const State& u) {
    return u.ever_ran ? std::max(u.runnable_since, u.last_ran + 1) : u.runnable_since;
  }
  State& At(ThreadId id);
  const State* Find(ThreadId id) const;
  // Refreshes the compact copies below from threads_[id].
  void Refresh(ThreadId id);

  std::vector<State> threads_;           // by logical id
  std::vector<ThreadId> last_runnable_;  // the set of the latest Sync, ascending
  // What Filter reads, by logical id and packed (a step with hundreds of runnable threads
  // reads two words of each, not a whole State): Waiting(), the owe limit (kOwesNone when
  // it owes nobody), and whether it is known and runnable.
  static constexpr uint64_t kOwesNone = ~0ull;
  std::vector<uint64_t> waiting_;
  std::vector<uint64_t> limit_;
  std::vector<uint8_t> eligible_;
  // The eligible threads by Waiting(): Filter's two earliest without a pass, when it is
  // asked about the set of the latest Sync (as the scheduler always asks).
  StepList by_waiting_;
  // The eligible threads that owe, by owe limit: HeldBack's walk from the latest limit
  // down, to the earliest waiting-since step.
  StepList by_limit_;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_FAIRNESS_H_
