// Sync points: the markers of the preloaded sync shim (preempt/sync_marker.h).
//
// A marker before a pthread call is a scheduling point of its own: the step is recorded as
// "sync" and the operation is mixed into the fingerprint, so a replay checks both. The
// marker itself is answered 0 and never runs. The reports after successful acquisitions
// are not points: they keep, per thread, the locks it holds (scheduler/lock_holdings.h), so
// that a deadlock report can say who holds what and who waits for it.
#include <cstddef>

#include "absl/strings/str_format.h"
#include "base/logging.h"
#include "base/proc.h"
#include "scheduler/scheduler.h"

namespace ravel {

void Scheduler::NoteLease(Thread& t, uint64_t addr, uint64_t state_addr) {
  if (addr == 0) return;
  if (addr != t.lease_addr) t.lease_tid_written = false;
  t.lease_addr = addr;
  t.lease_state_addr = state_addr != 0 ? state_addr : addr;
  if (t.lease_tid_written) return;
  // Not a step, and the same with the fast path or without it: the shim's own mutex code
  // records owners by it (sync_marker.h, RavelLease::tid).
  t.lease_tid_written = true;
  // A vfork child runs on its parent's stack and TLS: the lease is the parent's.
  if (t.vfork_parent != kNoThread) return;
  // Its tid as it sees it (a guest may have made its own pid namespace); 0 if unknown:
  // glibc's own mutex code then runs.
  const int64_t tid = ReadInnermostTid(t.pid, t.tid).value_or(0);
  if (!GuestMemory(t.tid).Write(RemotePtr<int64_t>(addr + offsetof(RavelLease, tid)), tid).ok()) {
    LOG(WARNING) << "T" << t.id << ": its lease is not where the shim said (0x" << std::hex << addr << ")";
  }
}

SyscallResult Scheduler::SyncMarker(Guest& guest, Thread& t, const Syscall& call) {
  NoteLease(t, call.args[4], call.args[5]);
  SyncOp(&guest, t, call, MarkerVia::kStop);
  return 0;
}

bool Scheduler::SyncOp(Guest* guest, Thread& t, const Syscall& call, MarkerVia via) {
  const bool leased = via != MarkerVia::kStop;
  const int op = static_cast<int>(call.args[1]);
  const uint64_t object = call.args[2], other = call.args[3];
  if (!locks_.OnMarker(t.id, op, object, other)) return false;  // an acquisition's report: no point
  if (options_.log_decisions) {
    LOG(INFO) << "T" << t.id << " sync " << op << absl::StrFormat(" 0x%x", object) << (leased ? " (leased)" : "");
  }
  StepAt(guest, t, kWhatSync, PointKind::kSync, &call);
  Mix(0x73796e6300000000ull | static_cast<uint64_t>(op & 0xffff));
  locks_.OnPoint(t.id, op, other, steps_ - 1);
  const SchedulingPoint point = StepPoint(t, PointKind::kSync, -1, /*yield_hint=*/false, object);
  if (leased) {
    ++(via == MarkerVia::kPlan ? planned_markers_ : leased_points_);
    if (const ThreadId chosen = Decide(t, point); chosen != t.id) {
      // Not reached while LeaseBound holds: the thread has already gone on.
      LOG(ERROR) << "a lease of T" << t.id << " ran past a decision for T" << chosen << " at step " << steps_ - 1
                 << "; the run goes on as it went";
      external_.push_back(ExternalNote{steps_, t.id, "lease-broken", ""});
    }
    return true;
  }
  if (guest == nullptr) {
    // Made through the page (page_calls.cc): its decision, and the rest once it has the baton.
    const ThreadId chosen = Decide(t, point);
    if (chosen == t.id) {
      GrantLease(t);
      AnswerPageCall(t, 0);
      return true;
    }
    SetState(t, State::kRunnable);
    t.page_call = Thread::PageCall::kEntry;
    t.page_syscall = call;
    t.waits_in_guest = true;
    GiveBaton(chosen, decided_.yield_hint ? "yield" : "preempt");
    return true;
  }
  if (Reschedule(*guest, t, point) && running_ == t.id) GrantLease(t);
  return true;
}

}  // namespace ravel
