// Sync points: the markers of the preloaded sync shim (preempt/sync_marker.h).
//
// A marker before a pthread call is a scheduling point of its own: the step is recorded as
// "sync" and the operation is mixed into the fingerprint, so a replay checks both. The
// marker itself is answered 0 and never runs. The reports after successful acquisitions
// are not points: they keep, per thread, the locks it holds, so that a deadlock report
// can say who holds what and who waits for it.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/logging.h"
#include "preempt/sync_marker.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

const char* LockKind(int op) {
  switch (op) {
    case RAVEL_SYNC_RWLOCK_RDLOCK: case RAVEL_SYNC_RWLOCK_WRLOCK: case RAVEL_SYNC_RWLOCK_TRYLOCK:
    case RAVEL_SYNC_RWLOCK_UNLOCK: case RAVEL_SYNC_RWLOCK_READ_ACQUIRED: case RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED:
      return "rwlock";
    case RAVEL_SYNC_SPIN_LOCK: case RAVEL_SYNC_SPIN_TRYLOCK: case RAVEL_SYNC_SPIN_UNLOCK:
    case RAVEL_SYNC_SPIN_ACQUIRED:
      return "spinlock";
    default:
      return "mutex";
  }
}

}  // namespace

SyscallResult Scheduler::SyncMarker(Guest& guest, Thread& t, const Syscall& call) {
  if (call.args[4] != 0) t.lease_addr = call.args[4];
  SyncOp(guest, t, call, /*leased=*/false);
  return 0;
}

void Scheduler::SyncOp(Guest& guest, Thread& t, const Syscall& call, bool leased) {
  const int op = static_cast<int>(call.args[1]);
  const uint64_t object = call.args[2], other = call.args[3];
  SettleAcquisition(t, nullptr);  // a lock since the last marker has returned
  switch (op) {
    case RAVEL_SYNC_MUTEX_ACQUIRED:
    case RAVEL_SYNC_RWLOCK_READ_ACQUIRED:
    case RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED:
    case RAVEL_SYNC_SPIN_ACQUIRED:
      t.acquiring = 0;
      t.held.push_back(HeldLock{object, op, t.last_sync_step});
      return;
    default:
      break;
  }
  t.acquiring = 0;
  switch (op) {
    case RAVEL_SYNC_MUTEX_LOCK:
    case RAVEL_SYNC_RWLOCK_RDLOCK:
    case RAVEL_SYNC_RWLOCK_WRLOCK:
    case RAVEL_SYNC_SPIN_LOCK:
      t.acquiring = object;
      t.acquiring_kind = op;
      break;
    case RAVEL_SYNC_MUTEX_UNLOCK:
    case RAVEL_SYNC_RWLOCK_UNLOCK:
    case RAVEL_SYNC_SPIN_UNLOCK:
    case RAVEL_SYNC_COND_WAIT: {
      // The wait releases its mutex (and takes it back before it returns: a report).
      const uint64_t released = op == RAVEL_SYNC_COND_WAIT ? other : object;
      auto it = std::find_if(t.held.rbegin(), t.held.rend(), [&](const HeldLock& h) { return h.object == released; });
      if (it != t.held.rend()) t.held.erase(std::next(it).base());
      break;
    }
    default:
      break;
  }
  if (options_.log_decisions) {
    LOG(INFO) << "T" << t.id << " sync " << op << absl::StrFormat(" 0x%x", object) << (leased ? " (leased)" : "");
  }
  Step(guest, t, kWhatSync, PointKind::kSync, &call);
  Mix(0x73796e6300000000ull | static_cast<uint64_t>(op & 0xffff));
  t.last_sync_step = steps_ - 1;
  // pthread_mutex_lock reports no acquisition (the shim saves that stop): it holds the
  // mutex from its next step on (SettleAcquisition).
  t.acquire_on_next_step = op == RAVEL_SYNC_MUTEX_LOCK && other == RAVEL_SYNC_UNREPORTED;
  const SchedulingPoint point = StepPoint(t, PointKind::kSync, -1, /*yield_hint=*/false, object);
  if (leased) {
    ++leased_points_;
    if (const ThreadId chosen = Decide(t, point); chosen != t.id) {
      // Not reached while LeaseBound holds: the thread has already gone on.
      LOG(ERROR) << "a lease of T" << t.id << " ran past a decision for T" << chosen << " at step " << steps_ - 1
                 << "; the run goes on as it went";
      external_.push_back(ExternalNote{steps_, t.id, "lease-broken", ""});
    }
    return;
  }
  if (Reschedule(guest, t, point) && running_ == t.id) GrantLease(guest, t);
}

void Scheduler::DescribeLocks(const Thread& t, ThreadWait& w) const {
  for (const HeldLock& h : t.held) w.held.push_back(ThreadWait::Lock{LockKind(h.kind), h.object, h.step});
  if (t.acquiring != 0) w.acquiring = ThreadWait::Lock{LockKind(t.acquiring_kind), t.acquiring, 0};
}

}  // namespace ravel
