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
 * the marker syscall after all. A thread that has a slot in its process's hand-off page
 * keeps its state there instead (RavelHandoffPage::lease_state); each marker's sixth
 * argument says where the state is. */
struct RavelLease {
  uint64_t state;
  struct RavelLeaseEntry log[RAVEL_LEASE_LOG];
  /* The thread's id, written by the scheduler the first time it sees this lease (at the
   * thread's first marker, with or without the fast path); 0 until then. The shim's own
   * mutex code (sync_shim.c, "glibc's lock word") records owners by it. */
  int64_t tid;
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
  /* The in-guest hand-off (below). A point: sched_yield, made as a marker so that the
   * answer can be RAVEL_HANDOFF_PARK; object = the calling thread's slot variable (TLS). It
   * is the same step as a sched_yield syscall. */
  RAVEL_SYNC_YIELD = 60,
  /* Not a point: the process's hand-off page. object = the page (a MAP_SHARED mapping of
   * a memfd), other = the memfd, args[4] = the shim's struct RavelHandoff. Answer 0: taken
   * (the shim keeps it); anything else: not (the shim unmaps it and makes plain markers). */
  RAVEL_SYNC_HANDOFF_REGISTER = 61,
  /* Not a point: the rest of a futex wait taken through the page, which a plan let its
   * thread run and the plan could not take (below, "Waits resumed under a plan"). Answer
   * RAVEL_HANDOFF_PARK: wait on your word, then read the call's answer in your slot. */
  RAVEL_SYNC_RESUME = 62,
};

/* ---- The in-guest hand-off (#17) ----
 *
 * A yield that hands the CPU to another thread costs two ptrace stops when the scheduler
 * decides it at a stop. Here the threads of a process that wait for their turn at a yield
 * wait in the guest instead, each on its own futex word in a page shared with the
 * scheduler (it maps the same memfd), and the scheduler can plan the hand-offs of the
 * process's next yields in advance: the yielding thread reads the plan, wakes the next
 * thread's word and waits on its own, with no stop at all. The scheduler accounts for the
 * yields made under a plan at its next stop of any kind, exactly as if each had stopped
 * there (scheduler/handoff.h). A yield the plan does not cover is a marker syscall: the
 * scheduler decides at the stop and answers 0 (go on) or RAVEL_HANDOFF_PARK (wait on your
 * word until it is 1).
 *
 * The shim's own futex calls carry RAVEL_HANDOFF_FUTEX_MAGIC as their sixth argument
 * (val3, which FUTEX_WAIT and FUTEX_WAKE ignore): the seccomp filter lets those through
 * without a stop. They are FUTEX_WAIT and FUTEX_WAKE without FUTEX_PRIVATE_FLAG: the
 * scheduler wakes a word through its own mapping. */
#define RAVEL_HANDOFF_PARK 1
#define RAVEL_HANDOFF_FUTEX_MAGIC 0x7261766cL /* "ravl" */
/* Threads of one process that can wait in the guest; later ones wait at ptrace stops. */
#define RAVEL_HANDOFF_SLOTS 1024
/* How far a plan may run ahead of the yields made: order[] is a ring of
 * RAVEL_HANDOFF_PLAN + 1 entries (a power of two), and the scheduler extends a plan while the
 * guest runs it. */
#define RAVEL_HANDOFF_PLAN 255

/* ---- Calls through the page ----
 *
 * A stop costs far more than the decision made at it. The baton holder's futex calls
 * (FUTEX_WAIT and FUTEX_WAKE, private, no timeout, as GLib's GMutex makes them through
 * syscall()), its yields that no plan covers and its pthread markers (those no lease
 * covers) go to the scheduler through the page when it listens: the thread writes the
 * call into its slot's RavelHandoffCall, swaps its slot into `door`, and waits on its word.
 * The scheduler, polling the door between its waits for ptrace stops, takes the call as
 * exactly the step the syscall (or marker) would have been (the same decisions either
 * way), writes the result and sets the thread's word once the thread has the baton again. `door`: RAVEL_HANDOFF_DOOR_OPEN while the scheduler listens,
 * | the caller's slot + 1 while a call waits to be taken; 0 (closed): make the call itself.
 * The scheduler closes the door before it waits for a ptrace stop in the kernel, and
 * answers RAVEL_HANDOFF_RETRY (make the call yourself, nothing happened) when it cannot
 * take the call here (the caller does not hold the baton, a process end is due, ...).
 * A caller with a lease out has its leased points accounted for first, as at its stop.
 * A futex wait blocks every signal while it waits (rt_sigprocmask with
 * RAVEL_HANDOFF_FUTEX_MAGIC as its fifth argument, which the seccomp filter lets through): a signal stays pending, and
 * the scheduler finds it there as it finds one for a waiter at a ptrace stop, by the mask
 * the caller had (`sigmask`). The magic never stays in a register after the call (glibc's
 * own futex calls, made with four arguments, would carry it past the filter). */
#define RAVEL_HANDOFF_DOOR_OPEN (1ull << 63)

/* The futex calls the page takes (and a plan's turn logs), by their op, timeout and val3:
 * private ones; FUTEX_WAKE (1); FUTEX_WAIT without a timeout, and FUTEX_WAIT_BITSET without
 * one for any bit on either clock, as glibc's own waits make it (2). 0: not taken. */
static inline int RavelPageFutexKind(uint32_t op, uint64_t timeout, uint32_t val3) {
  const uint32_t cmd = op & 127u /* FUTEX_CMD_MASK */;
  if ((op & 128u /* FUTEX_PRIVATE_FLAG */) == 0) return 0;
  const int realtime = (op & 256u /* FUTEX_CLOCK_REALTIME */) != 0;
  if (cmd == 1u /* FUTEX_WAKE */) return realtime ? 0 : 1;
  if (timeout != 0) return 0;
  if (cmd == 0u /* FUTEX_WAIT */) return realtime ? 0 : 2;
  return cmd == 9u /* FUTEX_WAIT_BITSET */ && val3 == 0xffffffffu ? 2 : 0;
}
#define RAVEL_HANDOFF_RETRY (-0x7fffffffffffffffLL - 1)

/* ---- Hand-ons by the caller ----
 *
 * Waking a thread that sleeps on its word costs a syscall that makes the woken thread
 * runnable; made by the scheduler, on its own CPU, it costs several times what it costs
 * the thread that is about to wait on the guest's CPU (there the wake and the wait are one
 * switch, as between two threads of a program). So when a call through the page leaves its
 * caller waiting and gives the CPU to another thread of the same process, and the caller is
 * still awake waiting for its answer, the scheduler asks the caller to let that thread go:
 * it writes the thread's slot + 1 into the caller's `handon` (a compare-and-swap from 0).
 * The caller takes it back with a compare-and-swap to 0 and makes the hand-on of a planned
 * yield (the same code, so a signal's stop in the middle is finished by the scheduler the
 * same way, `yield_window`). The scheduler takes an unclaimed one back itself, with the same
 * swap, first thing at its next event. A waiter about to sleep on its word swaps `handon`
 * from 0 to RAVEL_HANDOFF_ASLEEP first (and back after): the scheduler then wakes the next
 * thread itself, and it wakes a thread whose word it sets only when that thread sleeps.
 * When the scheduler gives the CPU to a thread at a stop instead, it swaps `handon` from 0
 * to RAVEL_HANDOFF_SLEEP_NOW: the caller, on the guest's CPU (ravel binds the guest to one),
 * stops waiting awake and sleeps at once, leaving that CPU to the thread. The caller
 * swaps a SLEEP_NOW it finds for ASLEEP before it sleeps, and for 0 when its wait ends. */
#define RAVEL_HANDOFF_ASLEEP (~0ull)
#define RAVEL_HANDOFF_SLEEP_NOW (~0ull - 1)

/* ---- Markers under a plan ----
 *
 * A thread that holds the CPU under a plan (its turn: from the yield that handed it the
 * CPU to its own next yield) would end the plan at its first pthread marker, a call through
 * the page. Where the strategy is sure to let it go on at its markers (PCT with no change
 * point within the plan's reach, the thread not due to be flagged as spinning), the plan
 * says how many points it may make in that turn: order[] entries are a slot (the low 16
 * bits, RAVEL_HANDOFF_ORDER_SLOT) and that count (bits 16-30; bit 31 below, "Futex calls
 * under a plan"). The thread then logs each
 * marker in its slot's `turn_log`, tagged with the turn (the plan's yields made), with one
 * compare-and-swap of the log's state after writing the entry; the scheduler accounts for
 * each one before the yield that ends the turn, through the same SyncOp as a stopped
 * marker. A log belongs to one plan (`plan_generation`); the scheduler seals the log of the
 * thread whose turn it is when it takes the plan back, so a marker logged after that fails
 * its swap and is made the ordinary way. */
#define RAVEL_HANDOFF_ORDER_SLOT 0xffffu
#define RAVEL_HANDOFF_TURN_LOG 32

struct RavelTurnMarker {
  uint32_t turn; /* the plan's yields made when it was logged */
  int32_t op;
  uint64_t object;
  uint64_t other;
};

struct RavelTurnLog {
  /* bits 0-15: entries logged; bits 16-47: the plan's generation (low 32 bits); bit 63:
   * sealed (the scheduler took that plan back while this thread had its turn). */
  uint64_t state;
  struct RavelTurnMarker entry[RAVEL_HANDOFF_TURN_LOG];
};
#define RAVEL_TURN_LOG_SEALED (1ull << 63)

/* ---- Futex calls under a plan ----
 *
 * A private futex call in a turn that may log points is logged like a marker (one of the
 * turn's points) instead of going through the page, which would take the plan back:
 *  - FUTEX_WAKE: the shim answers it from `waited`, the private futex words of the process
 *    that threads wait on and how many wait on each (written by the scheduler when it makes
 *    the plan, and kept by the shim while the plan is out: a wait that blocks in a turn adds
 *    itself). A wake that wakes a thread ends the thread's turn: the woken thread can run
 *    from then on, which the plan's picks do not count with, so the thread's next point
 *    goes through the page (or stops). Entry: op RAVEL_HANDOFF_TURN_FUTEX, object the word,
 *    other the wake's count (low 32 bits) and the threads it woke (high 32).
 *  - FUTEX_WAIT without a timeout on a word that holds another value: answered EAGAIN. (The
 *    shim reads the word itself, as the kernel would, only on a 4-byte aligned address; a
 *    word the process cannot read faults there, where the kernel would answer EFAULT.)
 *  - FUTEX_WAIT that blocks, in a turn whose order[] entry has RAVEL_HANDOFF_ORDER_MAY_BLOCK:
 *    the scheduler has checked that the plan's next pick is the same whether the thread
 *    yields or blocks there, and that the plan's later picks stand without it. The thread
 *    blocks every signal, writes the call into its slot's RavelHandoffCall (with the mask
 *    it had) as for a call through the page, logs the wait, marks its slot in `blocked`
 *    (a yield of the plan must not hand the CPU to it: it goes through the page instead),
 *    makes the hand-on of a planned yield and waits for its answer on its word, as a
 *    wait through the page does. If the scheduler took the plan back between the log and
 *    the hand-on, the scheduler lets the next thread go itself.
 *    Entry: op RAVEL_HANDOFF_TURN_WAIT, object the word, other the value (low 32 bits),
 *    RAVEL_TURN_WAIT_BLOCKED if it blocked (if not: EAGAIN), RAVEL_TURN_WAIT_RESUMED below.
 * `waited_count` above RAVEL_HANDOFF_WAITED: more words than fit; then no wake is logged.
 * The scheduler writes `waited` before the plan's plan_state, and accounts for each entry
 * as the futex call's step, point and effect, as at a stop. */
#define RAVEL_HANDOFF_TURN_FUTEX 200
#define RAVEL_HANDOFF_TURN_WAIT 201
#define RAVEL_TURN_WAIT_BLOCKED (1ull << 32)
#define RAVEL_TURN_WAIT_RESUMED (1ull << 33)

/* ---- Waits resumed under a plan ----
 *
 * A futex wait through the page whose point picked another thread waits in the guest with
 * the call not yet made: it runs once its thread has the CPU again (the scheduler reads the
 * word then, answers EAGAIN or blocks the thread). A plan may give such a thread a turn:
 * its answer is then RAVEL_HANDOFF_RUN, and the thread makes the rest of the call itself,
 * first thing in its turn, as a wait in a turn does but with no point of its own (its point
 * was made): EAGAIN if the word holds another value, or it blocks where the turn's entry
 * allows it. The entry logged has RAVEL_TURN_WAIT_RESUMED. Where the plan cannot take it
 * (closed meanwhile, the log full, a turn that may not block), the thread has the
 * scheduler make it: marker RAVEL_SYNC_RESUME, through the page or at its stop. */
#define RAVEL_HANDOFF_RUN (-0x7fffffffffffffffLL)
#define RAVEL_HANDOFF_WAITED 256
#define RAVEL_HANDOFF_ORDER_MAY_BLOCK (1u << 31)

struct RavelWaited {
  uint64_t word;    /* its address in the guest */
  uint64_t waiters; /* threads waiting on it */
};

struct RavelHandoffCall {
  int64_t nr;          /* SYS_futex, SYS_sched_yield or RAVEL_SYNC_MARKER_NR */
  uint64_t args[6];
  uint64_t sigmask;    /* a futex wait's signal mask before the shim blocked every signal */
  int64_t result;      /* the scheduler's answer (a syscall's: -errno on failure) */
  /* 0; a slot + 1: let that thread go, then wait; RAVEL_HANDOFF_ASLEEP or _SLEEP_NOW
   * (above). Used by every thread that waits on its word, with or without a call out. */
  uint64_t handon;
};

struct RavelHandoffPage {
  /* bit 63: closed (the scheduler took the plan back); bits 32-62: the plan's yields made;
   * bits 0-31: the yields it covers. A yield is made with one compare-and-swap, which fails
   * once the scheduler has closed the plan: the shim then makes the marker syscall. The
   * scheduler raises the count covered (with a compare-and-swap too) after writing the
   * entries, never more than RAVEL_HANDOFF_PLAN ahead of the yields made. */
  uint64_t plan_state;
  /* order[i % (RAVEL_HANDOFF_PLAN + 1)]: the slot of the thread that holds the CPU after the
   * plan's i-th yield (i = 0: the holder when the plan was made), in the low 16 bits; the
   * points it may log in that turn in bits 16-30 ("Markers under a plan"); bit 31,
   * RAVEL_HANDOFF_ORDER_MAY_BLOCK ("Futex calls under a plan"). */
  uint32_t order[RAVEL_HANDOFF_PLAN + 1];
  /* Per slot: 1 when its thread may run, 0 while it waits. */
  uint32_t word[RAVEL_HANDOFF_SLOTS];
  /* Calls through the page (above). */
  uint64_t door;
  struct RavelHandoffCall call[RAVEL_HANDOFF_SLOTS];
  /* Where, in the guest, the shim hands the CPU on at a planned yield, written before it
   * registers the page: [0] just after the compare-and-swap that makes the yield (the swap
   * failed if ZF is clear there), [1] the store of 1 to the next thread's word, [2] the
   * `syscall` of its futex wake, [3] just after it. Once the swap is made the scheduler
   * counts the next thread as running, but only this thread can let it go: a signal's stop
   * in between would leave both waiting. At a signal's stop there the scheduler does the
   * rest itself (the store if it is not made, the wake) and moves the thread on to [3]. */
  uint64_t yield_window[4];
  /* Per slot: the `state` of the lease of the thread in it (RavelLease, whose log and tid
   * stay in the thread's TLS). Once a thread has a slot the shim keeps its lease state
   * here, and each marker names where it keeps it (its sixth argument): the scheduler then
   * grants and takes back leases through its own mapping, without a syscall. */
  uint64_t lease_state[RAVEL_HANDOFF_SLOTS];
  /* Markers under a plan (above): the generation of the plan out (or of the last one),
   * written before its plan_state; per slot, the log of the markers its thread made under
   * that plan. */
  uint64_t plan_generation;
  struct RavelTurnLog turn_log[RAVEL_HANDOFF_SLOTS];
  /* Futex calls under a plan (above): the words waited on when the plan out was made. */
  uint64_t waited_count;
  struct RavelWaited waited[RAVEL_HANDOFF_WAITED];
  /* Per slot: the generation of the plan under which its thread blocked in a turn (above),
   * or anything else. */
  uint32_t blocked[RAVEL_HANDOFF_SLOTS];
};

/* The shim's per-process state (a fork's child gets it zeroed by the scheduler). */
struct RavelHandoff {
  struct RavelHandoffPage* page;
  int64_t state; /* 0: not registered yet; 1: registered; 2: not available */
};

#endif /* RAVEL_PREEMPT_SYNC_MARKER_H_ */
