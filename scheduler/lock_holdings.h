// LockHoldings: which locks each thread holds, and which it is acquiring, as the sync
// shim's markers tell (--preempt sync, preempt/sync_marker.h), for deadlock reports.
//
//  - A lock call's marker (RAVEL_SYNC_*_LOCK) makes its lock the one the thread is
//    acquiring; any other marker ends that.
//  - The report after a successful acquisition (RAVEL_SYNC_*_ACQUIRED) makes the lock held,
//    with the step of the acquiring call's point. It is no point itself.
//  - pthread_mutex_lock sends no report (the shim saves that stop): its mutex is held from
//    the thread's next step on, unless that step is a futex wait on the mutex (contended:
//    still acquiring).
//  - An unlock, or a condition wait (which releases its mutex and takes it back before it
//    returns, with a report), lets go of the latest holding of the lock.
//
// Owns: per thread, its holdings in acquisition order, the lock it is acquiring, the step
// of its latest sync point and an unreported mutex lock to settle at its next step.
// Invariants: an unreported mutex lock is pending only from its point until the thread's
// next step that is no futex wait on the mutex, or its next marker, whichever comes
// first; Settle, asked at every step, costs a lookup by id when nothing is pending.
#ifndef RAVEL_SCHEDULER_LOCK_HOLDINGS_H_
#define RAVEL_SCHEDULER_LOCK_HOLDINGS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "intercept/tool.h"
#include "scheduler/deadlock_report.h"
#include "strategies/strategy.h"

namespace ravel {

class LockHoldings {
 public:
  // `thread` makes a step: `call`, or null for a point that is no syscall. An unreported
  // mutex lock since its latest sync point has returned, unless `call` waits on the mutex.
  void Settle(ThreadId thread, const Syscall* call) {
    if (static_cast<size_t>(thread) < threads_.size() && threads_[thread].acquire_on_next_step) {
      SettlePending(threads_[thread], call);
    }
  }
  // A marker of `thread`: operation `op` (RAVEL_SYNC_*) on `object`, with `other` (a
  // condition wait's mutex, or RAVEL_SYNC_UNREPORTED). True if it is a point; false for an
  // acquisition's report, which only changes the holdings.
  bool OnMarker(ThreadId thread, int op, uint64_t object, uint64_t other);
  // The point of `thread`'s marker (`op`, `other`, as OnMarker had them) is step `step`.
  void OnPoint(ThreadId thread, int op, uint64_t other, uint64_t step);

  // What `thread` holds and is acquiring, into `w` (a deadlock report's line).
  void Describe(ThreadId thread, ThreadWait& w) const;

 private:
  struct Holding {
    uint64_t object = 0;  // its address in the thread's process
    int kind = 0;         // RAVEL_SYNC_*_ACQUIRED
    uint64_t step = 0;    // the step of the acquiring call's point
  };
  struct ThreadLocks {
    std::vector<Holding> held;  // in acquisition order
    uint64_t acquiring = 0;     // 0: none
    int acquiring_kind = 0;     // the RAVEL_SYNC_* lock operation
    uint64_t last_sync_step = 0;
    bool acquire_on_next_step = false;
  };
  ThreadLocks& At(ThreadId thread);
  static void SettlePending(ThreadLocks& t, const Syscall* call);

  std::vector<ThreadLocks> threads_;  // by logical id
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_LOCK_HOLDINGS_H_
