#include "scheduler/lock_holdings.h"

#include <sys/syscall.h>

#include <algorithm>
#include <iterator>

#include "preempt/sync_marker.h"

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

LockHoldings::ThreadLocks& LockHoldings::At(ThreadId thread) {
  if (static_cast<size_t>(thread) >= threads_.size()) threads_.resize(static_cast<size_t>(thread) + 1);
  return threads_[thread];
}

void LockHoldings::SettlePending(ThreadLocks& t, const Syscall* call) {
  if (call != nullptr && call->nr == SYS_futex && call->args[0] == t.acquiring) return;  // still waiting
  t.held.push_back(Holding{t.acquiring, RAVEL_SYNC_MUTEX_ACQUIRED, t.last_sync_step});
  t.acquiring = 0;
  t.acquire_on_next_step = false;
}

bool LockHoldings::OnMarker(ThreadId thread, int op, uint64_t object, uint64_t other) {
  ThreadLocks& t = At(thread);
  if (t.acquire_on_next_step) SettlePending(t, nullptr);  // a lock since the last marker has returned
  switch (op) {
    case RAVEL_SYNC_MUTEX_ACQUIRED:
    case RAVEL_SYNC_RWLOCK_READ_ACQUIRED:
    case RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED:
    case RAVEL_SYNC_SPIN_ACQUIRED:
      t.acquiring = 0;
      t.held.push_back(Holding{object, op, t.last_sync_step});
      return false;
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
      const uint64_t released = op == RAVEL_SYNC_COND_WAIT ? other : object;
      auto it = std::find_if(t.held.rbegin(), t.held.rend(), [&](const Holding& h) { return h.object == released; });
      if (it != t.held.rend()) t.held.erase(std::next(it).base());
      break;
    }
    default:
      break;
  }
  return true;
}

void LockHoldings::OnPoint(ThreadId thread, int op, uint64_t other, uint64_t step) {
  ThreadLocks& t = At(thread);
  t.last_sync_step = step;
  t.acquire_on_next_step = op == RAVEL_SYNC_MUTEX_LOCK && other == RAVEL_SYNC_UNREPORTED;
}

void LockHoldings::Describe(ThreadId thread, ThreadWait& w) const {
  if (static_cast<size_t>(thread) >= threads_.size()) return;
  const ThreadLocks& t = threads_[thread];
  for (const Holding& h : t.held) w.held.push_back(ThreadWait::Lock{LockKind(h.kind), h.object, h.step});
  if (t.acquiring != 0) w.acquiring = ThreadWait::Lock{LockKind(t.acquiring_kind), t.acquiring, 0};
}

}  // namespace ravel
