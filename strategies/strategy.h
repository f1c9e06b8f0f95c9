// Strategy: decides, at every scheduling point of a run, which guest thread runs next.
//
// ravel lets exactly one guest thread run at a time. Whenever the running thread reaches
// a scheduling point (a syscall entry, RDTSC, thread start or exit, a yield, a
// synchronisation operation) the scheduler asks its Strategy which runnable thread runs
// next, which futex waiters a wake releases, and whether virtual time should jump ahead.
// A strategy is pure code: no ptrace, no clocks, no global state. It can be driven by
// made-up runnable sets in unit tests exactly as the scheduler drives it.
//
// The calls of one run, in order:
//   Begin(seed, history)                         once, first; resets every per-run state
//   OnThreadCreated(0, kNoThread)                the first thread
//   { Pick | ChooseWakees | AdvanceTimeFirst | NextU64 | OnThreadCreated | OnThreadExited }*
//   End(steps)                                   once, last
// A strategy object is reused for many runs, one after the other (not concurrently).
//
// Invariants (the scheduler relies on the first two, the strategies on the rest):
//   - Determinism: the answers are a function of the seed, the RunHistory given to Begin
//     and the sequence of calls and their arguments; nothing else (no addresses, no
//     clocks, no unordered-container iteration order, no OS thread ids).
//   - Pick returns a member of `runnable`; ChooseWakees returns min(n, waiters.size())
//     distinct members of `waiters`, in their order in `waiters`. The non-virtual entry
//     points check both and abort on a violation (a bug in ravel, not in the guest).
//   - Threads are named by logical ids: 0 for the first thread, then 1, 2, ... in
//     creation order. An id is never reused within a run.
//   - `runnable` is non-empty, sorted ascending and without duplicates (checked).
//   - Each kind of random decision draws from its own stream of the run's Rng (see
//     rng.h): extra wake, time or data draws never shift the sequence of picks.
//
// Writing a strategy: derive from Strategy, implement name(), BeginRun() and PickNext(),
// and optionally PickWakees(), ShouldAdvanceTime() and the notification hooks. The base
// class reseeds rng() before BeginRun(), so a strategy cannot forget to.
#ifndef RAVEL_STRATEGIES_STRATEGY_H_
#define RAVEL_STRATEGIES_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "strategies/rng.h"

namespace ravel {

// A logical thread id: 0 for the first thread of the run, then creation order.
using ThreadId = int;
inline constexpr ThreadId kNoThread = -1;

// What made the running thread stop at a scheduling point.
// What a step of a run is, as the scheduler reports it (SchedulerOptions::on_step) and a
// schedule file records it: a syscall number (>= 0), or one of these codes. One list for
// the scheduler and replay/.
enum StepWhat : int32_t {
  kWhatThreadStart = -1,
  kWhatRdtsc = -2,
  kWhatThreadExit = -3,
  kWhatPreempt = -4,  // a liveness preemption
  kWhatSync = -5,     // a sync marker of the preloaded shim
  kWhatAtomic = -6,   // an atomic point
  kWhatSpin = -7,     // a pass through a spin loop's head
  kWhatAtomicAfter = -8,  // just after an atomic instruction ran
  kWhatLowest = kWhatAtomicAfter,  // (the lowest code)
};

enum class PointKind : uint8_t {
  kSyscall,      // syscall entry
  kRdtsc,        // RDTSC/RDTSCP trapped
  kThreadStart,  // a thread is about to run its first instruction
  kThreadExit,   // a thread is exiting
  kYield,        // sched_yield or an equivalent
  kSync,         // a synchronisation operation (futex, lock, ...)
  kAtomic,       // an atomic memory operation
  kPreempt,      // a forced preemption (e.g. after a time slice)
};
absl::string_view PointKindName(PointKind kind);

struct SchedulingPoint {
  uint64_t step = 0;             // 0, 1, 2, ... : index of this point within the run
  ThreadId current = kNoThread;  // the thread that reached the point; kNoThread if none
                                 // did (e.g. the run's first decision, or a wake-up by a
                                 // time jump while every thread was blocked)
  PointKind kind = PointKind::kSyscall;
  int64_t syscall_nr = -1;        // for kSyscall, else -1
  bool current_runnable = false;  // false when `current` just blocked or exited (it is
                                  // then still named by `current`, but is not in runnable)
  bool yield_hint = false;        // `current` asked to yield (sched_yield, spin detected):
                                  // a strategy must not favour it over other threads
  // What the operation this point precedes (the one `current` performs when it next runs)
  // touches: a lock's, futex word's or atomic variable's address, or a process's fd
  // (kFdResourceTag | process number << 20 | fd); 0 when unknown or none. Two points with the same
  // nonzero resource may conflict (their order can matter); 0 conflicts with nothing.
  // Strategies compare resources for equality only: the values differ from machine to
  // machine, their equalities do not.
  uint64_t resource = 0;
};
inline constexpr uint64_t kFdResourceTag = uint64_t{0xfd} << 56;

// The threads a pick chooses among: `runnable` without `held`. `runnable` is non-empty,
// ascending and distinct; `held` is ascending, distinct, a subset of `runnable` and smaller
// than it (the threads fairness or liveness hold back at this point, usually none). Kept
// apart so that a pick among hundreds of runnable threads needs no copy of them, and a
// strategy that keeps its own order of the runnable threads (pct) picks in O(log n).
struct Choices {
  absl::Span<const ThreadId> runnable;
  absl::Span<const ThreadId> held;

  size_t size() const { return runnable.size() - held.size(); }
  bool Held(ThreadId id) const;
  bool Contains(ThreadId id) const;
  // The members, ascending.
  std::vector<ThreadId> ToVector() const;
};

// Earlier runs of this session, for strategies that adapt (PCT's estimate of the length
// of a run). Kept by the caller; Record() adds a finished run.
struct RunHistory {
  uint64_t runs = 0;         // finished runs
  uint64_t max_steps = 0;    // most scheduling points of one run
  uint64_t total_steps = 0;  // scheduling points of all runs together

  void Record(uint64_t steps) {
    ++runs;
    if (steps > max_steps) max_steps = steps;
    total_steps += steps;
  }
};

struct EventProfile;  // strategies/surw_strategy.h

struct StrategyOptions {
  // PCT: the bug depth d to target (>= 1). d - 1 priority change points per run.
  int pct_depth = 3;
  // PCT: the expected number of scheduling points of a run (k). 0: the most points of
  // an earlier run (RunHistory::max_steps), or PctStrategy::kDefaultSteps before any run.
  uint64_t pct_steps_hint = 0;
  // Time chaos, in percent [0, 100]: how often AdvanceTimeFirst answers true for the
  // random and PCT strategies. 0 (the default) never jumps early and draws nothing.
  int time_jump_percent = 0;
  // SURW: what a calibration run's threads did (strategies/surw_strategy.h); null: no
  // profile (surw is then a uniform random walk).
  std::shared_ptr<const EventProfile> event_profile;
};

class Strategy {
 public:
  virtual ~Strategy() = default;

  // The name MakeStrategy knows this strategy by ("pct", "random", "rr").
  virtual absl::string_view name() const = 0;

  // Starts one run: reseeds rng() with `seed`, then calls BeginRun to reset every
  // per-run state. `history` describes the runs before this one.
  void Begin(uint64_t seed, const RunHistory& history);

  // Thread `id` now exists (not necessarily runnable yet). The first thread is created
  // with parent kNoThread. Called in creation order, so ids ascend.
  virtual void OnThreadCreated(ThreadId id, ThreadId parent) {}
  // Thread `id` has exited and will never be runnable again.
  virtual void OnThreadExited(ThreadId id) {}

  // Which thread runs after `point`. `runnable`: non-empty, ascending, distinct (all
  // checked); it contains point.current when point.current_runnable (checked), and
  // normally not otherwise. Returns a member of `runnable`.
  ThreadId Pick(const SchedulingPoint& point, absl::Span<const ThreadId> runnable);
  // The same among `choices` (their preconditions are checked: `runnable` ascending, `held`
  // within it and not all of it). Returns a member of `choices`.
  ThreadId PickFrom(const SchedulingPoint& point, const Choices& choices);

  // A futex wake releases up to `n` of `waiters` (given in FIFO order, distinct):
  // returns which, min(max(n, 0), waiters.size()) of them, in their order in `waiters`.
  std::vector<ThreadId> ChooseWakees(absl::Span<const ThreadId> waiters, int n);

  // Time chaos: whether virtual time should jump to the next timer deadline now,
  // although `runnable` threads could run. `runnable` may be empty (then time jumps
  // anyway and the answer does not matter). Default: never.
  bool AdvanceTimeFirst(const SchedulingPoint& point, absl::Span<const ThreadId> runnable);

  // The fast path's lease (scheduler/lease.h): Pick just answered `decided.current` at
  // `decided`. How many of that thread's next points this strategy would answer the same
  // way for sure, asked nothing else in between: each point with the same `runnable`,
  // kind kSync or kSyscall (a futex wake that wakes nobody), no yield hint, a choice step
  // one higher than the last (when `runnable` has more than one thread). Those picks are
  // still asked, when the points are accounted for; the answer only lets the thread make
  // them without a stop. 0 (the default): every point stops.
  uint64_t LeaseLength(const SchedulingPoint& decided, absl::Span<const ThreadId> runnable) {
    return Lease(decided, runnable);
  }

  // The fast path's plans (scheduler/handoff.h): a copy of this strategy in its current
  // state, which answers every later call exactly as this one would. The scheduler asks it
  // about points still to come, to know their picks in advance; this one is asked again
  // when they come. Null (the default): no copy, no plan.
  virtual std::unique_ptr<Strategy> Fork() const { return nullptr; }
  // Fork's copy, made into `copy`'s storage when it holds an earlier copy of the same kind
  // (a plan is made at most every few steps: its copy need not allocate).
  virtual void ForkInto(std::unique_ptr<Strategy>& copy) const { copy = Fork(); }

  // 64 random bits for values the guest sees (getrandom, AT_RANDOM, ...), from the
  // run's own stream (Stream::kData): reproducible with the seed, and independent of
  // the scheduling decisions.
  uint64_t NextU64() { return rng_.Next(Stream::kData); }

  // The run finished after `steps` scheduling points.
  virtual void End(uint64_t steps) {}

 protected:
  Strategy() = default;
  // For Fork() and ForkInto() only.
  Strategy(const Strategy&) = default;
  Strategy& operator=(const Strategy&) = default;
  // ForkInto for a strategy of kind T: assigned into `copy` when it holds a T already.
  template <typename T>
  static void ForkIntoSame(const T& self, std::unique_ptr<Strategy>& copy) {
    if (copy != nullptr && typeid(*copy) == typeid(T)) {
      static_cast<T&>(*copy) = self;
    } else {
      copy = std::unique_ptr<Strategy>(new T(self));
    }
  }

  // The run's generator, reseeded by Begin before BeginRun.
  Rng& rng() { return rng_; }

  virtual void BeginRun(uint64_t seed, const RunHistory& history) = 0;
  // Preconditions as for Pick (already checked). Must return a member of `runnable`.
  virtual ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) = 0;
  // Preconditions as for PickFrom (already checked). Must return a member of
  // `choices`. Default: PickNext among choices.ToVector() (among `runnable` itself, without
  // a copy, when nothing is held).
  virtual ThreadId PickAmong(const SchedulingPoint& point, const Choices& choices);
  // `count` = min(n, waiters.size()) >= 1 and < waiters.size() (the base class answers
  // the trivial cases without asking). Returns `count` distinct members of `waiters`, in
  // any order. Default: the first `count` (FIFO).
  virtual std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count);
  // `runnable` is non-empty. Default: false.
  virtual bool ShouldAdvanceTime(const SchedulingPoint& point,
                                 absl::Span<const ThreadId> runnable) {
    return false;
  }
  // See LeaseLength. A strategy that draws at every pick (random, pos, surw) or moves on
  // at every pick (rr) answers 0.
  virtual uint64_t Lease(const SchedulingPoint& decided, absl::Span<const ThreadId> runnable) { return 0; }

 private:
  Rng rng_;
};

// A new strategy by name: one of Strategies() (case-insensitive). Errors:
// InvalidArgument for an unknown name (the message lists the valid ones) or an invalid
// option (pct_depth < 1, time_jump_percent outside [0, 100]).
absl::StatusOr<std::unique_ptr<Strategy>> MakeStrategy(absl::string_view name,
                                                       const StrategyOptions& options);

// One strategy MakeStrategy can make: its name and a few words for --help.
struct StrategyInfo {
  const char* name;
  const char* summary;
  std::unique_ptr<Strategy> (*make)(const StrategyOptions& options);
};

// Every strategy, the default (pct) first: the one list run, stress, replay and --help use.
absl::Span<const StrategyInfo> Strategies();

// Whether `name` is exactly one of the strategies' names (lower case).
bool IsStrategyName(absl::string_view name);

// The names MakeStrategy accepts, sorted.
std::vector<std::string> StrategyNames();

// InvalidArgument "unknown strategy 'NAME'; valid strategies: pct, pos, ...": what
// MakeStrategy and the commands say about a name that is not one of these.
absl::Status UnknownStrategyError(absl::string_view name);

// For --help: one line per strategy, "pct (default): ...", "random: ...", ..., with
// `default_name` marked as the default.
std::string StrategyHelp(absl::string_view default_name = "pct");

}  // namespace ravel

#endif  // RAVEL_STRATEGIES_STRATEGY_H_
