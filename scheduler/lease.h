// The fast path for sync points: a lease.
//
// A sync point costs a ptrace stop (about 15-20 us), and at most of them the strategy lets
// the same thread go on: PCT changes priorities only at its few change points. Where the
// scheduler knows that the thread's next N sync points would all be decided that way, it
// grants a lease of N: the shim (preempt/sync_shim.c) then makes those markers without a
// syscall and logs them in the thread's RavelLease (preempt/sync_marker.h). At the
// thread's next stop of any kind, before anything else, the scheduler accounts for each
// logged marker in order exactly as at a stop: the same step, bookkeeping, fingerprint,
// strategy pick (and so the same recording). A run makes the same decisions with the fast
// path on or off; only the stops differ.
//
// The lease holder is the only thread that runs: every other thread is parked by the
// scheduler (runnable or blocked in it), none is in the kernel, starting, stopped or
// exiting. Then nothing but the holder's own stops can change what a pick sees, and its
// sync points change nothing a pick reads but the step counters and the clock. LeaseBound
// is the length of the stretch in which those cannot change a decision either.
#ifndef RAVEL_SCHEDULER_LEASE_H_
#define RAVEL_SCHEDULER_LEASE_H_

#include <cstdint>
#include <optional>

namespace ravel {

struct LeaseLimits {
  // The strategy's own bound (Strategy::LeaseLength).
  uint64_t strategy = 0;
  // The spin detector: with more than one runnable thread, the holder's `streak`-th pick
  // in a row (this one included) becomes a yield once it reaches `spin_steps`.
  bool several_runnable = false;
  uint64_t streak = 0;
  uint64_t spin_steps = 0;
  // Virtual time: each point lets `quantum_ns` pass. A deadline (a timer's, or a waiting
  // thread's) reached during the lease would wake a thread.
  uint64_t now_ns = 0;
  uint64_t quantum_ns = 1;
  std::optional<uint64_t> deadline_ns;
  // Time chaos: with a deadline ahead, a point asks the strategy whether time jumps once
  // every runnable thread could still be delayed: none has used its jumps
  // (`chaos_exhausted` false) and the most delayed one's lag plus the time to the deadline
  // is within `chaos_horizon_ns`.
  bool time_chaos = false;
  bool chaos_exhausted = false;
  uint64_t chaos_max_lag_ns = 0;
  uint64_t chaos_horizon_ns = 0;
  // Entries the thread's log holds.
  uint64_t capacity = 0;
};

// How many of the holder's next sync points may go without a stop.
uint64_t LeaseBound(const LeaseLimits& limits);

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_LEASE_H_
