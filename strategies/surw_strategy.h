// SurwStrategy ("surw"): selectively uniform random walk (Zhao, Wolff, Mathur,
// Roychoudhury, "Selectively Uniform Concurrency Testing", ASPLOS 2025), over ravel's
// scheduling points.
//
// The idea. A uniform random walk (pick any runnable thread with equal chance) does not
// sample interleavings uniformly: with threads of n_1, ..., n_k events left, a fraction
// n_i / sum(n) of all interleavings goes on with thread i, so picking thread i with that
// weight makes every interleaving equally likely. Uniformity over every event is useless
// for real programs (most events are independent), so SURW applies it to the "interesting"
// events only: in each run, the events on one shared resource, drawn at random.
//
// Per run:
//   - Target resource: one of the profile's resources that at least two threads touch,
//     drawn with weight equal to its number of events (Stream::kChangePoints). A profile
//     without such a resource makes surw a uniform random walk.
//   - left[t]: thread t's estimated interesting events to go, from the profile, with the
//     events of the threads t creates folded in (they are t's work too). When t creates a
//     thread whose share is c while t holds the target (below), the target passes to the
//     new thread with chance c / left[t]; t's estimate drops by c.
//   - At each pick: among the runnable threads that are not held, draw one uniformly
//     (Stream::kPick). If its pending event is interesting (on the target resource) and no
//     target thread is chosen, choose one now among the same candidates, with weight
//     left[] (a candidate at an interesting event counts at least 1) (Stream::kPriority).
//     An interesting event of any other thread waits: that thread is held. When the
//     target's interesting event is picked, its left[] drops by one, and the held threads
//     and the target are released. When every runnable thread is held (the target blocked
//     or gone), all are released and a new target is chosen at the next interesting event.
//   - Non-interesting events are a uniform random walk, so every interleaving stays
//     possible.
//
// The profile comes from a calibration run (ProfilingStrategy around "rr", seed 0): run
// and stress make the same one, so a seed means the same schedule in both. Estimates from
// one schedule are only estimates in another (blocking and data-dependent work change the
// counts); they steer the walk, they never restrict it.
//
// Yields: a thread at a point with yield_hint is not drawn while another unheld thread can
// run. Futex wakes release a uniformly random subset (Stream::kWake). Time chaos as random.
#ifndef RAVEL_STRATEGIES_SURW_STRATEGY_H_
#define RAVEL_STRATEGIES_SURW_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "strategies/strategy.h"

namespace ravel {

// What a calibration run's threads did: for each resource its points named (in the order
// the run first named them), how many points of each thread named it; and who created
// each thread.
struct EventProfile {
  struct Resource {
    uint64_t resource = 0;
    std::vector<uint64_t> per_thread;  // indexed by thread id
    uint64_t total() const;
    int threads() const;               // threads with at least one event on it
  };
  std::vector<Resource> resources;
  std::vector<ThreadId> parents;       // parents[t]: t's creator; kNoThread for thread 0

  // One line for logs: "3 shared resources, 2 threads, 5 events on the most-used".
  std::string Summary() const;
};

// Wraps a strategy (it decides) and keeps the EventProfile of the run: each point's
// resource counts once for the thread at the point.
class ProfilingStrategy : public Strategy {
 public:
  explicit ProfilingStrategy(Strategy& inner) : inner_(inner) {}

  absl::string_view name() const override { return inner_.name(); }
  void OnThreadCreated(ThreadId id, ThreadId parent) override;
  void OnThreadExited(ThreadId id) override { inner_.OnThreadExited(id); }
  void End(uint64_t steps) override { inner_.End(steps); }

  const EventProfile& profile() const { return profile_; }

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override;
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;

 private:
  Strategy& inner_;
  EventProfile profile_;
  absl::flat_hash_map<uint64_t, size_t> index_;  // resource -> profile_.resources index
};

class SurwStrategy : public Strategy {
 public:
  // options.event_profile may be null (then: a uniform random walk);
  // options.time_jump_percent must be within [0, 100] (checked).
  explicit SurwStrategy(const StrategyOptions& options = {});

  absl::string_view name() const override { return "surw"; }

  void OnThreadCreated(ThreadId id, ThreadId parent) override;
  void OnThreadExited(ThreadId id) override;

  // ---- Introspection, for tests and logs ----
  // The run's target resource (0: none), the thread chosen to make the next interesting
  // event (kNoThread: none yet), and a thread's estimate.
  uint64_t target_resource() const { return target_resource_; }
  ThreadId target_thread() const { return target_thread_; }
  uint64_t Left(ThreadId id) const;

 protected:
  void BeginRun(uint64_t seed, const RunHistory& history) override;
  ThreadId PickNext(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;
  std::vector<ThreadId> PickWakees(absl::Span<const ThreadId> waiters, size_t count) override;
  bool ShouldAdvanceTime(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) override;

 private:
  struct ThreadState {
    bool live = false, exited = false, held = false;
    uint64_t pending = 0;   // the resource of the thread's pending event
    uint64_t own = 0;       // the profile's count of its own interesting events
    uint64_t share = 0;     // own + those of the threads it created, in the profile
    uint64_t left = 0;
  };
  ThreadState& State(ThreadId id);
  bool Interesting(ThreadId id) const;
  ThreadId ChooseTarget(const std::vector<ThreadId>& candidates);

  const std::shared_ptr<const EventProfile> profile_;
  const int time_jump_percent_;
  // Per run.
  uint64_t target_resource_ = 0;
  ThreadId target_thread_ = kNoThread;
  std::vector<ThreadState> threads_;  // indexed by thread id
};

}  // namespace ravel

#endif  // RAVEL_STRATEGIES_SURW_STRATEGY_H_
