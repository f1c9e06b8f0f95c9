/* The sync marker: how the preloaded shim (preempt/sync_shim.c) tells the scheduler that a
 * thread is at a pthread synchronisation call. The shim makes the marker syscall; the
 * seccomp filter stops it like any subscribed call; the scheduler takes it as a scheduling
 * point (or, for the "acquired" reports, as bookkeeping) and answers 0 without running it.
 * Run natively, the kernel answers ENOSYS and nothing happens.
 *
 *   syscall(RAVEL_SYNC_MARKER_NR, RAVEL_SYNC_MAGIC, op, object, other, &lease)
 *
 * The lease (the fast path, #17): `lease` is the calling thread's RavelLease (thread-local
 * in the shim). At a marker where the strategy lets the thread go on, the scheduler may
 * grant it the next N points: it writes N into the lease, and the shim then makes those
 * markers without a syscall, logging each in the lease instead. At the thread's next stop
 * of any kind the scheduler takes the log and accounts for each logged marker, in order,
 * exactly as if it had stopped there (the same steps, picks, fingerprint and recording),
 * and clears the lease. It grants only where it knows every one of those picks would be
 * the same thread (scheduler/lease.h).
 *
 * Plain C: included by the shim and by the scheduler. */
#ifndef RAVEL_PREEMPT_SYNC_MARKER_H_
#define RAVEL_PREEMPT_SYNC_MARKER_H_

/* No x86-64 syscall has this number (they end in the 460s); below 512, so that the
 * scheduler's syscall set and filter cover it. */
#define RAVEL_SYNC_MARKER_NR 511
/* First argument: a program making syscall 511 for its own reasons is not taken for the
 * shim ("ravlsync"). */
#define RAVEL_SYNC_MAGIC 0x7261766c73796e63L

/* Operations. A point is a scheduling point before the call; "acquired" reports after a
 * successful acquisition are bookkeeping only (who holds what, for deadlock reports). */
#define RAVEL_SYNC_UNREPORTED 1

#include <stdint.h>

/* Entries a lease can log before the shim must stop again. */
#define RAVEL_LEASE_LOG 64

struct RavelLeaseEntry {
  int64_t op;
  uint64_t object;
  uint64_t other;
};

/* `state`: points still granted (low 32 bits) | entries logged (high 32 bits). The shim
 * changes it with one compare-and-swap after writing an entry, so a stop that lands in
 * the middle (a signal) and clears the lease makes the swap fail, and the shim then makes
 * the marker syscall after all. */
struct RavelLease {
  uint64_t state;
  struct RavelLeaseEntry log[RAVEL_LEASE_LOG];
};

enum RavelSyncOp {
  /* Points before an acquisition: object = the lock. A MUTEX_LOCK with other =
   * RAVEL_SYNC_UNREPORTED (pthread_mutex_lock, which can only fail on a broken program) has
   * no acquired report: the scheduler takes the mutex as held from the thread's next step
   * on, unless that step is a futex wait on it. */
  RAVEL_SYNC_MUTEX_LOCK = 1,
  RAVEL_SYNC_MUTEX_TRYLOCK = 2,
  RAVEL_SYNC_RWLOCK_RDLOCK = 3,
  RAVEL_SYNC_RWLOCK_WRLOCK = 4,
  RAVEL_SYNC_RWLOCK_TRYLOCK = 5,
  RAVEL_SYNC_SPIN_LOCK = 6,
  RAVEL_SYNC_SPIN_TRYLOCK = 7,
  /* Points before a release: object = the lock. */
  RAVEL_SYNC_MUTEX_UNLOCK = 10,
  RAVEL_SYNC_RWLOCK_UNLOCK = 11,
  RAVEL_SYNC_SPIN_UNLOCK = 12,
  /* Point before a condition wait: object = the condition, other = the mutex it releases
   * (re-acquired when the wait returns: a MUTEX acquired report follows). */
  RAVEL_SYNC_COND_WAIT = 20,
  RAVEL_SYNC_COND_SIGNAL = 21,
  RAVEL_SYNC_COND_BROADCAST = 22,
  RAVEL_SYNC_SEM_WAIT = 30,
  RAVEL_SYNC_SEM_TRYWAIT = 31,
  RAVEL_SYNC_SEM_POST = 32,
  RAVEL_SYNC_BARRIER_WAIT = 40,
  RAVEL_SYNC_ONCE = 41,
  RAVEL_SYNC_THREAD_CREATE = 50,
  RAVEL_SYNC_THREAD_JOIN = 51,
  RAVEL_SYNC_THREAD_DETACH = 52,
  /* Bookkeeping after a successful acquisition: object = the lock. */
  RAVEL_SYNC_MUTEX_ACQUIRED = 100,
  RAVEL_SYNC_RWLOCK_READ_ACQUIRED = 101,
  RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED = 102,
  RAVEL_SYNC_SPIN_ACQUIRED = 103,
};

#endif /* RAVEL_PREEMPT_SYNC_MARKER_H_ */
