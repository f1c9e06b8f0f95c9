#include "scheduler/lease.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "base/logging.h"
#include "preempt/sync_marker.h"
#include "scheduler/handoff.h"
#include "scheduler/scheduler.h"

namespace ravel {

uint64_t LeaseBound(const LeaseLimits& l) {
  uint64_t n = std::min(l.strategy, l.capacity);
  if (l.several_runnable) n = std::min(n, l.spin_steps > l.streak ? l.spin_steps - l.streak : 0);
  if (l.deadline_ns.has_value() && l.quantum_ns > 0) {
    // Point i (from 1) runs at now + i * quantum: all before the deadline.
    const uint64_t ahead = *l.deadline_ns > l.now_ns ? *l.deadline_ns - l.now_ns : 0;
    n = std::min(n, ahead > 0 ? (ahead - 1) / l.quantum_ns : 0);
    if (l.time_chaos && !l.chaos_exhausted && l.chaos_max_lag_ns <= l.chaos_horizon_ns) {
      // No question while lag + (deadline - now_i) > horizon, i.e. while
      // now_i < deadline - (horizon - lag).
      const uint64_t window = l.chaos_horizon_ns - l.chaos_max_lag_ns;
      const uint64_t quiet = ahead > window ? ahead - window : 0;  // time before questions start
      n = std::min(n, quiet > 0 ? (quiet - 1) / l.quantum_ns : 0);
    }
  }
  return n;
}

bool Scheduler::OthersParked(const Thread& t) const {
  for (const Thread* other : table_.live()) {
    if (other != &t && other->state != State::kRunnable && other->state != State::kBlocked) return false;
  }
  return true;
}

LeaseLimits Scheduler::TimeLimits() const {
  LeaseLimits limits;
  limits.now_ns = clock_.now();
  limits.quantum_ns = options_.step_quantum_ns;
  limits.deadline_ns = NextDeadline();
  limits.time_chaos = options_.time_chaos;
  limits.chaos_horizon_ns = kChaosHorizonNs;
  for (ThreadId id : table_.runnable()) {
    const Thread& r = At(id);
    limits.chaos_exhausted |= r.chaos_delays >= kChaosDelaysPerStretch;
    limits.chaos_max_lag_ns = std::max(limits.chaos_max_lag_ns, r.chaos_lag_ns);
  }
  return limits;
}

void Scheduler::GrantLease(Thread& t) {
  if (!options_.fast_path || options_.observer != nullptr || t.lease_addr == 0 || stopped_ || deadlocked_) return;
  // The decision just made at t's own point, and nothing since.
  if (decided_chosen_ != t.id || decided_.current != t.id || decided_steps_ != steps_ || running_ != t.id) return;
  // Only t runs meanwhile: every other thread is parked here, nothing is on its way.
  if (!exiting_.empty() || !awaiting_start_.empty() || vfork_starting_ != kNoThread || liveness_.ReplayPending() ||
      fd_probe_due_) {
    return;
  }
  if (!OthersParked(t)) return;
  LeaseLimits limits = TimeLimits();
  limits.strategy = strategy_.LeaseLength(decided_, decided_runnable_);
  limits.several_runnable = table_.runnable().size() > 1;  // as the spin detector counts, before fairness
  limits.streak = streak_;
  limits.spin_steps = options_.spin_steps;
  limits.capacity = RAVEL_LEASE_LOG;
  const uint64_t n = LeaseBound(limits);
  if (n == 0) return;
  const uint64_t state = n;  // n points granted, nothing logged
  if (uint64_t* in_page = LeaseStateInPage(t)) {
    __atomic_store_n(in_page, state, __ATOMIC_RELEASE);
  } else if (!GuestMemory(t.tid).Write(RemotePtr<uint64_t>(t.lease_state_addr), state).ok()) {
    t.lease_addr = 0;  // not where the shim said: no fast path for this thread
    return;
  }
  t.lease_out = true;
}

uint64_t* Scheduler::LeaseStateInPage(const Thread& t) {
  HandoffPages::Process* process = handoff_.Find(t.pid);
  if (process == nullptr || process->page == nullptr || process->guest_page == 0) return nullptr;
  const uint64_t first = process->guest_page + offsetof(RavelHandoffPage, lease_state);
  const uint64_t addr = t.lease_state_addr;
  if (addr < first || (addr - first) % sizeof(uint64_t) != 0 || (addr - first) / sizeof(uint64_t) >= RAVEL_HANDOFF_SLOTS) {
    return nullptr;
  }
  return &process->page->lease_state[(addr - first) / sizeof(uint64_t)];
}

void Scheduler::DrainLease(Guest& guest) {
  DrainPlan();  // another thread's yields may come first
  TakeWaitingCall();  // and a call through the page made before this stop
  auto found = by_tid_.find(guest.tid());
  if (found == by_tid_.end()) return;
  DrainLeaseOf(At(found->second), &guest);
}

Syscall Scheduler::LoggedMarker(const Thread& t, int64_t op, uint64_t object, uint64_t other) {
  return Syscall(RAVEL_SYNC_MARKER_NR,
                 {static_cast<uint64_t>(RAVEL_SYNC_MAGIC), static_cast<uint64_t>(op), object, other, t.lease_addr});
}

void Scheduler::DrainLeaseOf(Thread& t, Guest* guest) {
  if (!t.lease_out) return;
  t.lease_out = false;
  RavelLease lease;
  GuestMemory mem(t.tid);
  uint64_t* const in_page = LeaseStateInPage(t);
  // (t is at a stop, or waits for the answer to a call through the page: its shim does not
  // touch the lease meanwhile.)
  if (in_page != nullptr) {
    lease.state = __atomic_exchange_n(in_page, uint64_t{0}, __ATOMIC_ACQ_REL);
  } else if (!mem.Read(RemotePtr<uint64_t>(t.lease_state_addr), lease.state).ok()) {
    return;
  }
  const uint32_t count = std::min<uint32_t>(static_cast<uint32_t>(lease.state >> 32), RAVEL_LEASE_LOG);
  const uint64_t cleared = 0;
  if ((count > 0 && !mem.ReadArray(RemotePtr<RavelLeaseEntry>(t.lease_addr + offsetof(RavelLease, log)),
                                   lease.log, count).ok()) ||
      (in_page == nullptr && !mem.Write(RemotePtr<uint64_t>(t.lease_state_addr), cleared).ok())) {
    LOG(WARNING) << "T" << t.id << ": the sync points it made without a stop could not be read";
    return;
  }
  for (uint32_t i = 0; i < count; ++i) {
    const RavelLeaseEntry& e = lease.log[i];
    SyncOp(guest, t, LoggedMarker(t, e.op, e.object, e.other), MarkerVia::kLease);
  }
}

}  // namespace ravel
