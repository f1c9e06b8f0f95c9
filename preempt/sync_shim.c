/* libravel-sync.so: preloaded into the guest by `ravel ... --preempt sync`. Each pthread
 * synchronisation call (and so each C++ std::mutex, std::condition_variable, std::thread
 * operation, which reach these) first makes the sync marker syscall (sync_marker.h), which
 * the scheduler takes as a scheduling point; successful acquisitions are reported after
 * the call, for deadlock reports. Then the real function runs, found with
 * dlsym(RTLD_NEXT). errno is the real call's: the marker leaves it alone. sched_yield is a
 * marker too, and hands the CPU on in the guest where the scheduler lets it (the in-guest
 * hand-off, sync_marker.h); run natively it is the real sched_yield.
 *
 * A program that calls glibc's internal locks (stdio, malloc) is not affected: those do
 * not go through these symbols.
 *
 * A process that has never started a thread (glibc's __libc_single_threaded) makes no
 * marker for its mutexes, read-write locks, condition signals and once calls: no other
 * thread can contend for them, and a point there would cost a stop and decide nothing
 * (a single-threaded daemon such as dbus-daemon locks thousands of times a second). Locks
 * shared between processes (PTHREAD_PROCESS_SHARED) keep their markers, and so do
 * semaphores, barriers, spinlocks, condition waits and thread calls. A thread made with
 * a raw clone() instead of pthread_create does not clear the flag: its process's locks
 * are then no points until it calls pthread_create. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <signal.h>
#include <stdarg.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "preempt/sync_marker.h"

#define EXPORT __attribute__((visibility("default")))

/* The kernel's answer as it is (-errno on failure), errno untouched. The shim exports
 * syscall() itself (below), so its own calls must not go through it.
 *
 * r8 and r9 are cleared in the same asm as the call. The seccomp filter lets some of the
 * shim's calls through to the kernel by a magic in one of them (its futex calls on its
 * page's words, and the signal mask around a futex wait), and the kernel leaves both as
 * they were. glibc's own lock code makes its futex calls with four arguments, so r8 and r9
 * reach the kernel as the shim left them: a futex wake right after a yield (GRecMutex's
 * unlock) carried the magic to the kernel past ravel, and its waiter, parked by ravel,
 * waited for ever. */
static long RawSyscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  long ret;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall\n\txor %%r8d, %%r8d\n\txor %%r9d, %%r9d"
                   : "=a"(ret), "+r"(r8), "+r"(r9)
                   : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

/* This thread's lease (sync_marker.h): initial-exec TLS, so that no access allocates. */
static __thread struct RavelLease lease __attribute__((tls_model("initial-exec")));

/* The in-guest hand-off's process state, and this thread's slot in the page, given by the
 * scheduler at its first yield; -1: none (see "yields" below). */
static struct RavelHandoff handoff;
static __thread int32_t handoff_slot __attribute__((tls_model("initial-exec"))) = -1;

/* Where this thread keeps its lease's state: in its slot of the page once it has one
 * (sync_marker.h, RavelHandoffPage::lease_state), else in its TLS lease. */
static uint64_t* LeaseState(void) {
  struct RavelHandoffPage* page = handoff.page;
  const int32_t slot = handoff_slot;
  return page != NULL && slot >= 0 && slot < RAVEL_HANDOFF_SLOTS ? &page->lease_state[slot] : &lease.state;
}

/* Logs the marker under the lease; 0 when there is none (or no room). An "acquired"
 * report is no point: it takes an entry but none of the granted points. */
static int MarkLeased(long op, const void* object, const void* other) {
  uint64_t* const lease_state = LeaseState();
  uint64_t state = __atomic_load_n(lease_state, __ATOMIC_RELAXED);
  const uint32_t remaining = (uint32_t)state, count = (uint32_t)(state >> 32);
  const int is_point = op < RAVEL_SYNC_MUTEX_ACQUIRED;
  if (count >= RAVEL_LEASE_LOG || (is_point && remaining == 0) || (!is_point && state == 0)) return 0;
  lease.log[count].op = op;
  lease.log[count].object = (uint64_t)object;
  lease.log[count].other = (uint64_t)other;
  const uint64_t next = ((uint64_t)(count + 1) << 32) | (remaining - (is_point ? 1 : 0));
  return __atomic_compare_exchange_n(lease_state, &state, next, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* The points this thread has logged in its current turn under a plan: the turn is the
 * plan's generation (high 32 bits) and its yields made (low 32). */
static __thread uint64_t turn_key __attribute__((tls_model("initial-exec")));
static __thread uint32_t turn_points __attribute__((tls_model("initial-exec")));

/* The turn, if any, that a futex wake which woke a thread has ended (sync_marker.h, "Futex
 * calls under a plan"): a key as turn_key's. */
static __thread uint64_t turn_over __attribute__((tls_model("initial-exec")));

/* This thread's turn under the plan out, as it read it. */
struct Turn {
  struct RavelHandoffPage* page;
  int32_t slot;
  uint64_t state; /* plan_state */
  uint32_t made, covered, entry, generation;
  uint64_t key; /* generation << 32 | made */
};

/* Whether this thread has its turn under the plan out, and a point left in it (`is_point`);
 * fills *turn. */
static int OwnTurn(struct Turn* turn, int is_point) {
  struct RavelHandoffPage* const page = handoff.page;
  const int32_t slot = handoff_slot;
  if (page == NULL || slot < 0 || slot >= RAVEL_HANDOFF_SLOTS) return 0;
  const uint64_t state = __atomic_load_n(&page->plan_state, __ATOMIC_ACQUIRE);
  const uint32_t covered = (uint32_t)state, made = (uint32_t)(state >> 32) & 0x7fffffffu;
  if ((state >> 63) != 0 || made > covered) return 0;
  const uint32_t entry = page->order[made & RAVEL_HANDOFF_PLAN];
  if ((entry & RAVEL_HANDOFF_ORDER_SLOT) != (uint32_t)slot) return 0;
  const uint32_t generation = (uint32_t)__atomic_load_n(&page->plan_generation, __ATOMIC_ACQUIRE);
  const uint64_t key = ((uint64_t)generation << 32) | made;
  if (turn_over == key) return 0;
  if (turn_key != key) {
    turn_key = key;
    turn_points = 0;
  }
  if (is_point && turn_points >= ((entry >> 16) & 0x7fffu)) return 0;
  turn->page = page;
  turn->slot = slot;
  turn->state = state;
  turn->made = made;
  turn->covered = covered;
  turn->entry = entry;
  turn->generation = generation;
  turn->key = key;
  return 1;
}

/* Whether the turn's log has room for one more entry. */
static int TurnLogRoom(const struct Turn* turn) {
  const uint64_t log_state = __atomic_load_n(&turn->page->turn_log[turn->slot].state, __ATOMIC_ACQUIRE);
  return (uint32_t)(log_state >> 16) != turn->generation || (log_state & 0xffff) < RAVEL_HANDOFF_TURN_LOG;
}

/* Logs an entry in the turn (sync_marker.h, "Markers under a plan"): 0 when its log is full
 * or sealed (the scheduler took the plan back). */
static int LogInTurn(const struct Turn* turn, int32_t op, uint64_t object, uint64_t other, int is_point) {
  struct RavelTurnLog* const log = &turn->page->turn_log[turn->slot];
  uint64_t log_state = __atomic_load_n(&log->state, __ATOMIC_ACQUIRE);
  const int this_plan = (uint32_t)(log_state >> 16) == turn->generation;
  if (this_plan && (log_state & RAVEL_TURN_LOG_SEALED) != 0) return 0;
  const uint32_t count = this_plan ? (uint32_t)(log_state & 0xffff) : 0;
  if (count >= RAVEL_HANDOFF_TURN_LOG) return 0;
  log->entry[count].turn = turn->made;
  log->entry[count].op = op;
  log->entry[count].object = object;
  log->entry[count].other = other;
  const uint64_t next = ((uint64_t)turn->generation << 16) | (count + 1);
  if (!__atomic_compare_exchange_n(&log->state, &log_state, next, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
    return 0; /* sealed meanwhile */
  }
  if (is_point) ++turn_points;
  return 1;
}

/* A marker in this thread's turn under the plan out (sync_marker.h, "Markers under a plan"):
 * 0 when the plan does not allow it (not this thread's turn, no points left in it, the log
 * full or sealed, the turn ended by a wake). */
static int MarkUnderPlan(long op, const void* object, const void* other) {
  const int is_point = op < RAVEL_SYNC_MUTEX_ACQUIRED;
  struct Turn turn;
  return OwnTurn(&turn, is_point) && LogInTurn(&turn, (int32_t)op, (uint64_t)object, (uint64_t)other, is_point);
}

/* The threads waiting on the private futex word at `addr` under the plan out (sync_marker.h,
 * "Futex calls under a plan"); -1 when the page cannot say. */
static int64_t WaitersOn(const struct RavelHandoffPage* page, uint64_t addr) {
  const uint64_t count = __atomic_load_n(&page->waited_count, __ATOMIC_RELAXED);
  if (count > RAVEL_HANDOFF_WAITED) return -1;
  for (uint64_t i = 0; i < count; ++i) {
    if (page->waited[i].word == addr) return (int64_t)page->waited[i].waiters;
  }
  return 0;
}

/* One more thread waits on `addr` (this one, about to block in its turn). */
static void AddWaiter(struct RavelHandoffPage* page, uint64_t addr) {
  const uint64_t count = __atomic_load_n(&page->waited_count, __ATOMIC_RELAXED);
  if (count > RAVEL_HANDOFF_WAITED) return;
  for (uint64_t i = 0; i < count; ++i) {
    if (page->waited[i].word == addr) {
      ++page->waited[i].waiters;
      return;
    }
  }
  if (count < RAVEL_HANDOFF_WAITED) {
    page->waited[count].word = addr;
    page->waited[count].waiters = 1;
  }
  __atomic_store_n(&page->waited_count, count + 1, __ATOMIC_RELAXED);  /* (past the end: unknown from now on) */
}

/* A private FUTEX_WAKE in this thread's turn under the plan out: logged, with its answer in
 * *woken. 0: make it the ordinary way. */
static int WakeUnderPlan(uint64_t addr, int count, long* woken) {
  struct Turn turn;
  if (!OwnTurn(&turn, 1)) return 0;
  const int64_t waiters = WaitersOn(turn.page, addr);
  if (waiters < 0) return 0;
  const long n = count <= 0 ? 0 : (count < waiters ? count : waiters);
  if (!LogInTurn(&turn, RAVEL_HANDOFF_TURN_FUTEX, addr, (uint64_t)(uint32_t)count | ((uint64_t)n << 32), 1)) {
    return 0;
  }
  /* A woken thread can run from now on: the plan's picks are no longer this turn's. */
  if (n > 0) turn_over = turn.key;
  *woken = n;
  return 1;
}

static void SetSignalMask(const uint64_t* mask, uint64_t* old);
static int HandOn(uint64_t* claim, uint64_t* expected_in, uint64_t desired, uint32_t* next_word);
static void WaitTurn(struct RavelHandoffPage* page, int32_t slot, int spins);

/* Set while this thread has a call through the page out: a signal handler's calls go the
 * ordinary way (the slot's call area is in use). */
static __thread int in_page_call __attribute__((tls_model("initial-exec")));

/* The slot of the thread the plan hands the CPU to if this thread blocks in its turn
 * (sync_marker.h, "Futex calls under a plan"); RAVEL_HANDOFF_SLOTS: it may not block. */
static uint32_t BlockTarget(const struct Turn* turn) {
  if ((turn->entry & RAVEL_HANDOFF_ORDER_MAY_BLOCK) == 0 || turn->made >= turn->covered) return RAVEL_HANDOFF_SLOTS;
  const uint32_t next = turn->page->order[(turn->made + 1) & RAVEL_HANDOFF_PLAN] & RAVEL_HANDOFF_ORDER_SLOT;
  if (next >= RAVEL_HANDOFF_SLOTS || next == (uint32_t)turn->slot ||
      __atomic_load_n(&turn->page->blocked[next], __ATOMIC_RELAXED) == turn->generation || !TurnLogRoom(turn)) {
    return RAVEL_HANDOFF_SLOTS;
  }
  return next;
}

/* Blocks this thread in its turn on the futex wait `a` (signals blocked, `old_mask` the
 * mask it had): logs the wait (`logged`: its entry's other), hands the CPU to slot `next`
 * as a planned yield does and waits for the answer on its word, as a wait through the
 * page does. 1 with the answer in *result; 0: the log was sealed (make it another way). */
static int BlockInTurn(const struct Turn* turn, uint32_t next, const long a[6], uint64_t logged, int is_point,
                       uint64_t old_mask, long* result) {
  struct RavelHandoffPage* const page = turn->page;
  const int32_t slot = turn->slot;
  struct RavelHandoffCall* const call = &page->call[slot];
  call->nr = SYS_futex;
  for (int i = 0; i < 6; ++i) call->args[i] = (uint64_t)a[i];
  call->sigmask = old_mask;
  __atomic_store_n(&page->word[slot], 0, __ATOMIC_RELAXED);
  __atomic_store_n(&page->blocked[slot], turn->generation, __ATOMIC_RELAXED);
  /* The plan's wakes count this thread from now on (the log has room: only a seal can fail
   * the entry, and the plan is over then). */
  AddWaiter(page, (uint64_t)a[0]);
  if (!LogInTurn(turn, RAVEL_HANDOFF_TURN_WAIT, (uint64_t)a[0], logged, is_point)) {
    __atomic_store_n(&page->blocked[slot], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&page->word[slot], 1, __ATOMIC_RELAXED);
    return 0;
  }
  /* The hand-on of a planned yield. A swap that fails for a plan extended meanwhile is made
   * again; for a plan taken back, the scheduler lets the next thread go itself. */
  uint64_t state = turn->state;
  while (!HandOn(&page->plan_state, &state, state + (1ull << 32), &page->word[next])) {
    if ((state >> 63) != 0 || ((uint32_t)(state >> 32) & 0x7fffffffu) != turn->made) break;
  }
  WaitTurn(page, slot, 0);
  *result = call->result;
  return 1;
}

/* A private FUTEX_WAIT without a timeout in this thread's turn under the plan out: EAGAIN if
 * the word holds another value; if not, a wait that blocks where the turn's entry allows it
 * (the CPU goes to the next turn's thread, and the answer comes as for a wait through the
 * page). 1 with the answer in *result; 0: make it the ordinary way. */
static int WaitUnderPlan(const long a[6], long* result) {
  const uint64_t addr = (uint64_t)a[0];
  const uint32_t val = (uint32_t)a[2];
  struct Turn turn;
  if (in_page_call || addr % 4 != 0 || !OwnTurn(&turn, 1)) return 0;
  const uint32_t next = BlockTarget(&turn);
  const int may_block = next < RAVEL_HANDOFF_SLOTS;
  /* A wait that blocks waits with every signal blocked, as through the page; the word is
   * read once they are. */
  uint64_t old_mask = 0;
  if (may_block) {
    in_page_call = 1;
    const uint64_t all = ~0ull;
    SetSignalMask(&all, &old_mask);
  }
  int done = 0;
  if (__atomic_load_n((const uint32_t*)addr, __ATOMIC_RELAXED) != val) {
    done = LogInTurn(&turn, RAVEL_HANDOFF_TURN_WAIT, addr, val, 1);
    *result = -EAGAIN;
  } else if (may_block) {
    done = BlockInTurn(&turn, next, a, (uint64_t)val | RAVEL_TURN_WAIT_BLOCKED, 1, old_mask, result);
  }
  if (may_block) {
    SetSignalMask(&old_mask, NULL);
    in_page_call = 0;
  }
  return done;
}

static int CallThroughPage(long nr, const long args[6], int wait, long* result);

/* Who makes a resumed wait (below): 0 the plan where it can, 1 the scheduler through the page
 * where it listens, 2 the scheduler at the marker's stop. RAVEL_SYNC_RESUME_BY=page or stop
 * in the guest's environment has the later ones made always (the tests compare them). */
static int ResumeBy(void) {
  static int by = -1;
  if (by < 0) {
    const char* value = getenv("RAVEL_SYNC_RESUME_BY");
    by = value == NULL ? 0 : strcmp(value, "page") == 0 ? 1 : strcmp(value, "stop") == 0 ? 2 : 0;
  }
  return by;
}

/* The rest of the futex wait `a` taken through the page, which a plan let this thread run
 * (sync_marker.h, "Waits resumed under a plan"): in its turn if the plan can take it, or by
 * the scheduler. Every signal is blocked (`old_mask`: the mask before), and the slot's call
 * is the wait. Its answer. */
static long ResumeWait(struct RavelHandoffPage* page, int32_t slot, const long a[6], uint64_t old_mask) {
  const uint64_t addr = (uint64_t)a[0];
  const uint32_t val = (uint32_t)a[2];
  const int by = ResumeBy();
  struct Turn turn;
  if (by == 0 && addr % 4 == 0 && OwnTurn(&turn, 0)) {
    long result;
    if (__atomic_load_n((const uint32_t*)addr, __ATOMIC_RELAXED) != val) {
      if (LogInTurn(&turn, RAVEL_HANDOFF_TURN_WAIT, addr, (uint64_t)val | RAVEL_TURN_WAIT_RESUMED, 0)) return -EAGAIN;
    } else {
      const uint32_t next = BlockTarget(&turn);
      const uint64_t logged = (uint64_t)val | RAVEL_TURN_WAIT_BLOCKED | RAVEL_TURN_WAIT_RESUMED;
      if (next < RAVEL_HANDOFF_SLOTS && BlockInTurn(&turn, next, a, logged, 0, old_mask, &result)) return result;
    }
  }
  /* The scheduler makes it: through the page if it listens, else at the marker's stop. */
  const long resume[6] = {RAVEL_SYNC_MAGIC, RAVEL_SYNC_RESUME, 0, 0, 0, 0};
  long result;
  in_page_call = 0;
  const int taken = by < 2 && CallThroughPage(RAVEL_SYNC_MARKER_NR, resume, 0, &result);
  in_page_call = 1;
  if (taken) return result;
  __atomic_store_n(&page->word[slot], 0, __ATOMIC_RELAXED);
  if (RawSyscall(RAVEL_SYNC_MARKER_NR, RAVEL_SYNC_MAGIC, RAVEL_SYNC_RESUME, 0, 0, 0, 0) == RAVEL_HANDOFF_PARK) {
    WaitTurn(page, slot, 0);
    return page->call[slot].result;
  }
  /* (Not reached: the scheduler has the call's thread make it so only where it can.) */
  __atomic_store_n(&page->word[slot], 1, __ATOMIC_RELAXED);
  return RawSyscall(SYS_futex, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int MarkThroughPage(long op, const void* object, const void* other);

static void Mark(long op, const void* object, const void* other) {
  if (MarkLeased(op, object, other)) return;
  if (MarkUnderPlan(op, object, other)) return;
  if (MarkThroughPage(op, object, other)) return;
  RawSyscall(RAVEL_SYNC_MARKER_NR, RAVEL_SYNC_MAGIC, op, (long)object, (long)other, (long)&lease, (long)LeaseState());
}

/* Whether a lock of this process can be contended at all: another thread of it exists
 * (or existed), or the lock is shared between processes. */
static int MutexContendable(const pthread_mutex_t* m) {
  return !__libc_single_threaded || (m->__data.__kind & 128) != 0; /* PTHREAD_MUTEX_PSHARED_BIT */
}

static int RwlockContendable(const pthread_rwlock_t* l) {
  return !__libc_single_threaded || l->__data.__shared != 0;
}

static int CondContendable(const pthread_cond_t* c) {
  return !__libc_single_threaded || (c->__data.__wrefs & 1) != 0; /* bit 0: process-shared */
}

static void* Next(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == NULL) {
    /* Nothing sensible can run in its place. */
    fprintf(stderr, "libravel-sync: %s not found: %s\n", name, dlerror());
    abort();
  }
  return f;
}

/* REAL(name): real_name, the next definition of `name` (glibc's), looked up once. */
#define REAL(name)                                     \
  static __typeof__(name)* real_##name;                \
  if (real_##name == NULL) real_##name = (__typeof__(name)*)Next(#name)

/* ---- mutexes ---- */

/* Below ("glibc's lock word"): the shim's own code for glibc's plain mutexes. */
static int OwnKind(const pthread_mutex_t* m);
static int OwnLock(pthread_mutex_t* m, int kind);
static int OwnUnlock(pthread_mutex_t* m, int kind);

EXPORT int pthread_mutex_lock(pthread_mutex_t* m) {
  REAL(pthread_mutex_lock);
  /* No acquired report: the scheduler infers it (sync_marker.h), one stop fewer a lock. */
  if (MutexContendable(m)) Mark(RAVEL_SYNC_MUTEX_LOCK, m, (const void*)RAVEL_SYNC_UNREPORTED);
  const int kind = OwnKind(m);
  if (kind >= 0) return OwnLock(m, kind);
  return real_pthread_mutex_lock(m);
}

EXPORT int pthread_mutex_trylock(pthread_mutex_t* m) {
  REAL(pthread_mutex_trylock);
  const int marked = MutexContendable(m);
  if (marked) Mark(RAVEL_SYNC_MUTEX_TRYLOCK, m, NULL);
  int r = real_pthread_mutex_trylock(m);
  if (r == 0 && marked) Mark(RAVEL_SYNC_MUTEX_ACQUIRED, m, NULL);
  return r;
}

EXPORT int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* at) {
  REAL(pthread_mutex_timedlock);
  const int marked = MutexContendable(m);
  if (marked) Mark(RAVEL_SYNC_MUTEX_LOCK, m, NULL);
  int r = real_pthread_mutex_timedlock(m, at);
  if (r == 0 && marked) Mark(RAVEL_SYNC_MUTEX_ACQUIRED, m, NULL);
  return r;
}

EXPORT int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const struct timespec* at) {
  REAL(pthread_mutex_clocklock);
  const int marked = MutexContendable(m);
  if (marked) Mark(RAVEL_SYNC_MUTEX_LOCK, m, NULL);
  int r = real_pthread_mutex_clocklock(m, clock, at);
  if (r == 0 && marked) Mark(RAVEL_SYNC_MUTEX_ACQUIRED, m, NULL);
  return r;
}

EXPORT int pthread_mutex_unlock(pthread_mutex_t* m) {
  REAL(pthread_mutex_unlock);
  if (MutexContendable(m)) Mark(RAVEL_SYNC_MUTEX_UNLOCK, m, NULL);
  const int kind = OwnKind(m);
  if (kind >= 0) return OwnUnlock(m, kind);
  return real_pthread_mutex_unlock(m);
}

/* ---- read-write locks ---- */

/* Below ("glibc's read-write lock"): the shim's own code for glibc's default rwlocks. */
static int OwnRwlock(const pthread_rwlock_t* l);
static int OwnRdlock(pthread_rwlock_t* l);
static int OwnWrlock(pthread_rwlock_t* l);
static int OwnRwUnlock(pthread_rwlock_t* l);

/* `locked`: the call that locks (glibc's, real_NAME, or the shim's own). */
#define RWLOCK_ACQUIRE(name, op, acquired, params, locked) \
  EXPORT int name params {                                 \
    REAL(name);                                            \
    const int marked = RwlockContendable(l);               \
    if (marked) Mark(op, l, NULL);                         \
    int r = locked;                                        \
    if (r == 0 && marked) Mark(acquired, l, NULL);         \
    return r;                                              \
  }

RWLOCK_ACQUIRE(pthread_rwlock_rdlock, RAVEL_SYNC_RWLOCK_RDLOCK, RAVEL_SYNC_RWLOCK_READ_ACQUIRED,
               (pthread_rwlock_t* l), OwnRwlock(l) ? OwnRdlock(l) : real_pthread_rwlock_rdlock(l))
RWLOCK_ACQUIRE(pthread_rwlock_wrlock, RAVEL_SYNC_RWLOCK_WRLOCK, RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED,
               (pthread_rwlock_t* l), OwnRwlock(l) ? OwnWrlock(l) : real_pthread_rwlock_wrlock(l))
RWLOCK_ACQUIRE(pthread_rwlock_tryrdlock, RAVEL_SYNC_RWLOCK_TRYLOCK, RAVEL_SYNC_RWLOCK_READ_ACQUIRED,
               (pthread_rwlock_t* l), real_pthread_rwlock_tryrdlock(l))
RWLOCK_ACQUIRE(pthread_rwlock_trywrlock, RAVEL_SYNC_RWLOCK_TRYLOCK, RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED,
               (pthread_rwlock_t* l), real_pthread_rwlock_trywrlock(l))
RWLOCK_ACQUIRE(pthread_rwlock_timedrdlock, RAVEL_SYNC_RWLOCK_RDLOCK, RAVEL_SYNC_RWLOCK_READ_ACQUIRED,
               (pthread_rwlock_t* l, const struct timespec* at), real_pthread_rwlock_timedrdlock(l, at))
RWLOCK_ACQUIRE(pthread_rwlock_timedwrlock, RAVEL_SYNC_RWLOCK_WRLOCK, RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED,
               (pthread_rwlock_t* l, const struct timespec* at), real_pthread_rwlock_timedwrlock(l, at))
RWLOCK_ACQUIRE(pthread_rwlock_clockrdlock, RAVEL_SYNC_RWLOCK_RDLOCK, RAVEL_SYNC_RWLOCK_READ_ACQUIRED,
               (pthread_rwlock_t* l, clockid_t c, const struct timespec* at), real_pthread_rwlock_clockrdlock(l, c, at))
RWLOCK_ACQUIRE(pthread_rwlock_clockwrlock, RAVEL_SYNC_RWLOCK_WRLOCK, RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED,
               (pthread_rwlock_t* l, clockid_t c, const struct timespec* at), real_pthread_rwlock_clockwrlock(l, c, at))

EXPORT int pthread_rwlock_unlock(pthread_rwlock_t* l) {
  REAL(pthread_rwlock_unlock);
  if (RwlockContendable(l)) Mark(RAVEL_SYNC_RWLOCK_UNLOCK, l, NULL);
  if (OwnRwlock(l)) return OwnRwUnlock(l);
  return real_pthread_rwlock_unlock(l);
}

/* ---- spinlocks ---- */

EXPORT int pthread_spin_lock(pthread_spinlock_t* l) {
  REAL(pthread_spin_lock);
  Mark(RAVEL_SYNC_SPIN_LOCK, (const void*)l, NULL);
  int r = real_pthread_spin_lock(l);
  if (r == 0) Mark(RAVEL_SYNC_SPIN_ACQUIRED, (const void*)l, NULL);
  return r;
}

EXPORT int pthread_spin_trylock(pthread_spinlock_t* l) {
  REAL(pthread_spin_trylock);
  Mark(RAVEL_SYNC_SPIN_TRYLOCK, (const void*)l, NULL);
  int r = real_pthread_spin_trylock(l);
  if (r == 0) Mark(RAVEL_SYNC_SPIN_ACQUIRED, (const void*)l, NULL);
  return r;
}

EXPORT int pthread_spin_unlock(pthread_spinlock_t* l) {
  REAL(pthread_spin_unlock);
  Mark(RAVEL_SYNC_SPIN_UNLOCK, (const void*)l, NULL);
  return real_pthread_spin_unlock(l);
}

/* ---- condition variables ---- */

EXPORT int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  REAL(pthread_cond_wait);
  Mark(RAVEL_SYNC_COND_WAIT, c, m);
  int r = real_pthread_cond_wait(c, m);
  Mark(RAVEL_SYNC_MUTEX_ACQUIRED, m, NULL);  /* held again on every return */
  return r;
}

EXPORT int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* at) {
  REAL(pthread_cond_timedwait);
  Mark(RAVEL_SYNC_COND_WAIT, c, m);
  int r = real_pthread_cond_timedwait(c, m, at);
  Mark(RAVEL_SYNC_MUTEX_ACQUIRED, m, NULL);
  return r;
}

EXPORT int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock,
                                  const struct timespec* at) {
  REAL(pthread_cond_clockwait);
  Mark(RAVEL_SYNC_COND_WAIT, c, m);
  int r = real_pthread_cond_clockwait(c, m, clock, at);
  Mark(RAVEL_SYNC_MUTEX_ACQUIRED, m, NULL);
  return r;
}

EXPORT int pthread_cond_signal(pthread_cond_t* c) {
  REAL(pthread_cond_signal);
  if (CondContendable(c)) Mark(RAVEL_SYNC_COND_SIGNAL, c, NULL);
  return real_pthread_cond_signal(c);
}

EXPORT int pthread_cond_broadcast(pthread_cond_t* c) {
  REAL(pthread_cond_broadcast);
  if (CondContendable(c)) Mark(RAVEL_SYNC_COND_BROADCAST, c, NULL);
  return real_pthread_cond_broadcast(c);
}

/* ---- semaphores, barriers, once ---- */

EXPORT int sem_wait(sem_t* s) {
  REAL(sem_wait);
  Mark(RAVEL_SYNC_SEM_WAIT, s, NULL);
  return real_sem_wait(s);
}

EXPORT int sem_trywait(sem_t* s) {
  REAL(sem_trywait);
  Mark(RAVEL_SYNC_SEM_TRYWAIT, s, NULL);
  return real_sem_trywait(s);
}

EXPORT int sem_timedwait(sem_t* s, const struct timespec* at) {
  REAL(sem_timedwait);
  Mark(RAVEL_SYNC_SEM_WAIT, s, NULL);
  return real_sem_timedwait(s, at);
}

EXPORT int sem_clockwait(sem_t* s, clockid_t clock, const struct timespec* at) {
  REAL(sem_clockwait);
  Mark(RAVEL_SYNC_SEM_WAIT, s, NULL);
  return real_sem_clockwait(s, clock, at);
}

EXPORT int sem_post(sem_t* s) {
  REAL(sem_post);
  Mark(RAVEL_SYNC_SEM_POST, s, NULL);
  return real_sem_post(s);
}

EXPORT int pthread_barrier_wait(pthread_barrier_t* b) {
  REAL(pthread_barrier_wait);
  Mark(RAVEL_SYNC_BARRIER_WAIT, b, NULL);
  return real_pthread_barrier_wait(b);
}

EXPORT int pthread_once(pthread_once_t* once, void (*init)(void)) {
  REAL(pthread_once);
  if (!__libc_single_threaded) Mark(RAVEL_SYNC_ONCE, once, NULL);
  return real_pthread_once(once, init);
}

/* ---- yields: the in-guest hand-off (sync_marker.h) ---- */

static long HandoffFutex(uint32_t* word, int op, uint32_t value) {
  return RawSyscall(SYS_futex, (long)word, op, value, 0, 0, RAVEL_HANDOFF_FUTEX_MAGIC);
}

/* The labels of HandOn's instructions (sync_marker.h, `yield_window`). */
extern const char ravel_yield_swapped[] __attribute__((visibility("hidden")));
extern const char ravel_yield_store[] __attribute__((visibility("hidden")));
extern const char ravel_yield_wake[] __attribute__((visibility("hidden")));
extern const char ravel_yield_done[] __attribute__((visibility("hidden")));

static int HandOn(uint64_t* claim, uint64_t* expected_in, uint64_t desired, uint32_t* next_word);

/* Waits until the scheduler, or the thread before it in a plan, lets this slot run: awake
 * for `spins` rounds first, then asleep on its word. Awake, it makes the hand-ons the
 * scheduler asks of it (sync_marker.h, "Hand-ons by the caller"). */
static void WaitTurn(struct RavelHandoffPage* page, int32_t slot, int spins) {
  uint64_t* const handon = &page->call[slot].handon;
  while (__atomic_load_n(&page->word[slot], __ATOMIC_ACQUIRE) == 0) {
    uint64_t ticket = __atomic_load_n(handon, __ATOMIC_ACQUIRE);
    if (ticket == RAVEL_HANDOFF_SLEEP_NOW) spins = 0; /* the CPU is another thread's */
    if (ticket != 0 && ticket <= RAVEL_HANDOFF_SLOTS) {
      /* (A failed swap: the scheduler took it back and lets that thread go itself.) */
      if (HandOn(handon, &ticket, 0, &page->word[ticket - 1])) spins = 0; /* the CPU is the next thread's now */
      continue;
    }
    if (spins > 0) {
      --spins;
      __builtin_ia32_pause();
      continue;
    }
    if ((ticket == 0 || ticket == RAVEL_HANDOFF_SLEEP_NOW) &&
        !__atomic_compare_exchange_n(handon, &ticket, RAVEL_HANDOFF_ASLEEP, 0, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE)) {
      continue;  /* a hand-on came meanwhile */
    }
    HandoffFutex(&page->word[slot], FUTEX_WAIT, 0);
  }
  const uint64_t left = __atomic_load_n(handon, __ATOMIC_RELAXED);
  if (left == RAVEL_HANDOFF_ASLEEP || left == RAVEL_HANDOFF_SLEEP_NOW) {
    /* (A SLEEP_NOW swapped in after this load stays for the next wait, which only sleeps sooner.) */
    __atomic_compare_exchange_n(handon, (uint64_t*)&left, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  }
}

/* Once per process: a page shared with the scheduler. Under ravel without the fast path,
 * or natively, it is refused (the marker answers otherwise, or ENOSYS). */
static void RegisterHandoff(void) {
  handoff.state = 2;
  const int saved = errno;
  const int fd = (int)RawSyscall(SYS_memfd_create, (long)"ravel-handoff", 1 /* MFD_CLOEXEC */, 0, 0, 0, 0);
  if (fd >= 0) {
    void* page = MAP_FAILED;
    if (ftruncate(fd, sizeof(struct RavelHandoffPage)) == 0) {
      page = mmap(NULL, sizeof(struct RavelHandoffPage), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    }
    if (page != MAP_FAILED) {
      struct RavelHandoffPage* p = (struct RavelHandoffPage*)page;
      p->yield_window[0] = (uint64_t)ravel_yield_swapped;
      p->yield_window[1] = (uint64_t)ravel_yield_store;
      p->yield_window[2] = (uint64_t)ravel_yield_wake;
      p->yield_window[3] = (uint64_t)ravel_yield_done;
      /* A refused page stays mapped: the same calls either way, so that a run makes the
       * same steps with the fast path on and off. */
      if (RawSyscall(RAVEL_SYNC_MARKER_NR, RAVEL_SYNC_MAGIC, RAVEL_SYNC_HANDOFF_REGISTER, (long)page, fd,
                     (long)&handoff, 0) == 0) {
        handoff.page = (struct RavelHandoffPage*)page;
        handoff.state = 1;
      }
    }
    close(fd);
  }
  errno = saved;
}

/* Sets this thread's signal mask (the filter lets the call through by its magic); *old:
 * the mask it had. */
static void SetSignalMask(const uint64_t* mask, uint64_t* old) {
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)mask, (long)old, sizeof(*mask), RAVEL_HANDOFF_FUTEX_MAGIC, 0);
}

/* Makes a planned yield, or a hand-on the scheduler asked for: swaps `*expected_in` for
 * `desired` into `*claim` (the plan's state; the caller's `handon`) and, if that succeeds,
 * sets the next thread's word and wakes it, all in one piece of code whose addresses the
 * scheduler knows: at a signal's stop between the swap and the wake it does the rest itself
 * (sync_marker.h, `yield_window`). 0: the swap failed, *expected_in reloaded. Not inlined: its
 * labels exist once. */
__attribute__((noinline)) static int HandOn(uint64_t* claim, uint64_t* expected_in, uint64_t desired,
                                            uint32_t* next_word) {
  uint64_t expected = *expected_in;
  int handed;
  register long r10 __asm__("r10") = 0;
  register long r8 __asm__("r8") = 0;
  register long r9 __asm__("r9") = RAVEL_HANDOFF_FUTEX_MAGIC;
  __asm__ volatile(
      "lock cmpxchgq %[desired], %[claim]\n"
      "ravel_yield_swapped:\n\t"
      "jnz 1f\n"
      "ravel_yield_store:\n\t"
      "movl $1, (%%rdi)\n\t"
      "movl %[nr], %%eax\n"
      "ravel_yield_wake:\n\t"
      "syscall\n"
      "ravel_yield_done:\n\t"
      "movl $1, %[handed]\n\t"
      "jmp 2f\n"
      "1:\n\t"
      "movl $0, %[handed]\n"
      "2:\n\t"
      "xorl %%r8d, %%r8d\n\t"
      "xorl %%r9d, %%r9d"
      : "+a"(expected), [claim] "+m"(*claim), [handed] "=&r"(handed), "+r"(r8), "+r"(r9)
      : [desired] "r"(desired), [nr] "i"(SYS_futex), "D"(next_word), "S"((long)FUTEX_WAKE), "d"(1L), "r"(r10)
      : "rcx", "r11", "memory", "cc");
  if (!handed) *expected_in = expected;
  return handed;
}

/* The plan's next yield, if it is this thread's: hands the CPU to the thread the plan
 * names and waits for the turn to come back. 0: no plan covers it (make the marker). */
static int YieldUnderPlan(struct RavelHandoffPage* page, int32_t slot) {
  uint64_t state = __atomic_load_n(&page->plan_state, __ATOMIC_ACQUIRE);
  while (1) {
    const uint32_t length = (uint32_t)state, made = (uint32_t)(state >> 32) & 0x7fffffffu;
    if ((state >> 63) != 0 || made >= length) return 0;
    if ((page->order[made & RAVEL_HANDOFF_PLAN] & RAVEL_HANDOFF_ORDER_SLOT) != (uint32_t)slot) return 0;
    const uint32_t generation = (uint32_t)__atomic_load_n(&page->plan_generation, __ATOMIC_ACQUIRE);
    if (turn_over == (((uint64_t)generation << 32) | made)) return 0; /* a wake ended the turn */
    const uint32_t next = page->order[(made + 1) & RAVEL_HANDOFF_PLAN] & RAVEL_HANDOFF_ORDER_SLOT;
    if (next >= RAVEL_HANDOFF_SLOTS) return 0;
    /* A thread that blocked in its turn under this plan: the scheduler picks again. */
    if (next != (uint32_t)slot && __atomic_load_n(&page->blocked[next], __ATOMIC_RELAXED) == generation) return 0;
    if (next == (uint32_t)slot) {
      if (__atomic_compare_exchange_n(&page->plan_state, &state, state + (1ull << 32), 0, __ATOMIC_ACQ_REL,
                                      __ATOMIC_ACQUIRE)) {
        return 1;
      }
    } else {
      /* Waiting from now on, before the yield is made: a turn given back at once is not lost. */
      __atomic_store_n(&page->word[slot], 0, __ATOMIC_RELAXED);
      if (HandOn(&page->plan_state, &state, state + (1ull << 32), &page->word[next])) {
        WaitTurn(page, slot, 0);
        return 1;
      }
    }
    /* The scheduler extended the plan, or closed it, meanwhile (the swap reloaded `state`):
     * look again. */
  }
}

/* How long a caller waits awake for the scheduler's answer, in PAUSEs (about 19 ns each on
 * the AMD EPYC VMs, 40 on Intel): the answer, or the hand-on asked of it, takes about 6 us
 * to come. A caller asleep by then is woken by the scheduler, which costs several times a
 * hand-on made here (rec_locks, 100 threads: 200 PAUSEs saw 77% of the hand-ons asked
 * refused, 1000 saw 3%). */
enum { kAnswerSpins = 1000 };

/* Makes `nr(args)` through the page (sync_marker.h, "Calls through the page") if the
 * scheduler listens: 1, with the answer in *result; 0: make the call yourself. A futex
 * wait (`wait`) waits with every signal blocked. */
static int CallThroughPage(long nr, const long args[6], int wait, long* result) {
  struct RavelHandoffPage* page = handoff.page;
  const int32_t slot = handoff_slot;
  if (page == NULL || slot < 0 || slot >= RAVEL_HANDOFF_SLOTS || in_page_call) return 0;
  uint64_t door = __atomic_load_n(&page->door, __ATOMIC_ACQUIRE);
  if (door != RAVEL_HANDOFF_DOOR_OPEN) return 0;
  in_page_call = 1;
  struct RavelHandoffCall* call = &page->call[slot];
  call->nr = nr;
  for (int i = 0; i < 6; ++i) call->args[i] = (uint64_t)args[i];
  uint64_t old_mask = 0;
  if (wait) {
    const uint64_t all = ~0ull;
    SetSignalMask(&all, &old_mask);
  }
  call->sigmask = old_mask;
  __atomic_store_n(&page->word[slot], 0, __ATOMIC_RELAXED);
  int taken = __atomic_compare_exchange_n(&page->door, &door, RAVEL_HANDOFF_DOOR_OPEN | (uint64_t)(slot + 1), 0,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  long r = RAVEL_HANDOFF_RETRY;
  if (taken) {
    /* The scheduler answers within microseconds, letting this thread go on or asking it
     * to let the next one go: wait for that awake (kAnswerSpins). */
    WaitTurn(page, slot, kAnswerSpins);
    r = call->result;
    if (r == RAVEL_HANDOFF_RUN && wait) r = ResumeWait(page, slot, args, old_mask);
  } else {
    __atomic_store_n(&page->word[slot], 1, __ATOMIC_RELAXED);
  }
  if (wait) {
    SetSignalMask(&old_mask, NULL);
  }
  in_page_call = 0;
  if (r == RAVEL_HANDOFF_RETRY) return 0;
  *result = r;
  return 1;
}

/* A marker through the page (the scheduler answers 0). */
static int MarkThroughPage(long op, const void* object, const void* other) {
  const long args[6] = {RAVEL_SYNC_MAGIC, op, (long)object, (long)other, (long)&lease, (long)LeaseState()};
  long answer;
  return CallThroughPage(RAVEL_SYNC_MARKER_NR, args, 0, &answer);
}

EXPORT int sched_yield(void) {
  REAL(sched_yield);
  if (handoff.state == 0) RegisterHandoff();
  struct RavelHandoffPage* page = handoff.page;
  if (page != NULL && handoff_slot >= 0 && handoff_slot < RAVEL_HANDOFF_SLOTS && YieldUnderPlan(page, handoff_slot)) {
    return 0;
  }
  const long none[6] = {0, 0, 0, 0, 0, 0};
  long answer;
  if (CallThroughPage(SYS_sched_yield, none, 0, &answer)) return 0;
  const long r = RawSyscall(RAVEL_SYNC_MARKER_NR, RAVEL_SYNC_MAGIC, RAVEL_SYNC_YIELD, (long)&handoff_slot, 0,
                            (long)&lease, 0);
  if (r < 0) return real_sched_yield(); /* not under ravel */
  page = handoff.page;
  if (r == RAVEL_HANDOFF_PARK && page != NULL && handoff_slot >= 0 && handoff_slot < RAVEL_HANDOFF_SLOTS) {
    WaitTurn(page, handoff_slot, 0);
  }
  return 0;
}

/* A call as syscall() makes it (below): the kernel's answer as it is (-errno on failure),
 * errno untouched. With `may_register` a futex call registers the process's page if it
 * has none yet (syscall()'s calls); the shim's mutex code never does: its calls must be
 * the steps glibc's code would make, and a registration makes steps of its own. */
static long ShimSyscall(long nr, const long a[6], int may_register) {
  if (nr == SYS_futex && handoff.state != 2) {
    /* Private only (the scheduler keys them by process and address), a wait without a
     * timeout. */
    const int kind = RavelPageFutexKind((uint32_t)a[1], (uint64_t)a[3], (uint32_t)a[5]);
    if (kind != 0) {
      if (may_register && handoff.state == 0 && !__libc_single_threaded) RegisterHandoff();
      long r;
      /* In this thread's turn under a plan: logged, and answered here. Not with a lease
       * out: the lease's points come first, at the call's stop. */
      if (__atomic_load_n(LeaseState(), __ATOMIC_RELAXED) == 0 &&
          (kind == 1 ? WakeUnderPlan((uint64_t)a[0], (int)a[2], &r) : WaitUnderPlan(a, &r))) {
        return r;
      }
      if (CallThroughPage(nr, a, kind == 2, &r)) return r;
    }
  }
  return RawSyscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* syscall(): a program's own futex calls (GLib's GMutex, GCond and GRWLock make theirs
 * through it) go through the page where they can; everything else, and everything
 * natively, is the kernel's, with errno set as glibc's syscall() sets it. */
EXPORT long syscall(long nr, ...) {
  long a[6];
  va_list ap;
  va_start(ap, nr);
  for (int i = 0; i < 6; ++i) a[i] = va_arg(ap, long);
  va_end(ap);
  const long r = ShimSyscall(nr, a, 1);
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

/* ---- glibc's lock word ----
 *
 * glibc's plain mutexes (normal, recursive and error-checking; private, not robust, no
 * priority protocol, no elision) are a lock word: 0 free, 1 held, 2 held and perhaps
 * waited for. A locker that finds it held swaps in 2 and waits while it is 2 (FUTEX_WAIT);
 * an unlocker that swaps out a 2 wakes one waiter (FUTEX_WAKE). Beside it: the owner's
 * tid, the recursion count, the count of users. glibc makes those futex calls with its own
 * syscall instruction, a stop under ravel. The shim locks and unlocks these mutexes itself,
 * with the same word, the same bookkeeping and the same futex calls, made through
 * ShimSyscall and so through the page where the scheduler listens: the same steps as
 * glibc's code, with fewer stops. glibc's own code (a condition wait's unlock and relock,
 * trylock, timedlock) shares the word with it. Only for the glibc versions whose protocol
 * it knows, and once the scheduler has told the thread its tid (RavelLease::tid);
 * otherwise glibc's functions run. RAVEL_SYNC_GLIBC_LOCKS=1 in the guest's environment
 * has glibc's functions run always (the tests compare the two). */

static int KnownGlibc(void) {
  static int known = -1;
  if (known < 0) {
    int major = 0, minor = 0;
    const char* glibc_locks = getenv("RAVEL_SYNC_GLIBC_LOCKS");
    known = sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) == 2 && major == 2 && minor >= 28 &&
            minor <= 41 && (glibc_locks == NULL || strcmp(glibc_locks, "1") != 0);
  }
  return known;
}

/* The kind of `m` if the shim locks it itself (PTHREAD_MUTEX_NORMAL, _RECURSIVE or
 * _ERRORCHECK), else -1. */
static int OwnKind(const pthread_mutex_t* m) {
  if (__libc_single_threaded || lease.tid == 0 || !KnownGlibc()) return -1;
  const int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
  return kind == PTHREAD_MUTEX_NORMAL || kind == PTHREAD_MUTEX_RECURSIVE || kind == PTHREAD_MUTEX_ERRORCHECK ? kind
                                                                                                            : -1;
}

static void FutexOnWord(int* word, int op, int value) {
  const long args[6] = {(long)word, op, value, 0, 0, 0};
  ShimSyscall(SYS_futex, args, 0);
}

/* glibc's lll_lock. */
static void LockWord(int* word) {
  int free = 0;
  if (__atomic_compare_exchange_n(word, &free, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  if (__atomic_load_n(word, __ATOMIC_RELAXED) == 2) FutexOnWord(word, FUTEX_WAIT_PRIVATE, 2);
  while (__atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE) != 0) FutexOnWord(word, FUTEX_WAIT_PRIVATE, 2);
}

/* glibc's lll_unlock. */
static void UnlockWord(int* word) {
  if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) > 1) FutexOnWord(word, FUTEX_WAKE_PRIVATE, 1);
}

/* glibc's pthread_mutex_lock for the kinds OwnKind takes. */
static int OwnLock(pthread_mutex_t* m, int kind) {
  const int tid = (int)lease.tid;
  if (kind == PTHREAD_MUTEX_RECURSIVE && m->__data.__owner == tid) {
    if (m->__data.__count + 1 == 0) return EAGAIN;
    ++m->__data.__count;
    return 0;
  }
  if (kind == PTHREAD_MUTEX_ERRORCHECK && m->__data.__owner == tid) return EDEADLK;
  LockWord(&m->__data.__lock);
  if (kind == PTHREAD_MUTEX_RECURSIVE) m->__data.__count = 1;
  m->__data.__owner = tid;
  ++m->__data.__nusers;
  return 0;
}

/* glibc's pthread_mutex_unlock for the kinds OwnKind takes. */
static int OwnUnlock(pthread_mutex_t* m, int kind) {
  const int tid = (int)lease.tid;
  if (kind == PTHREAD_MUTEX_RECURSIVE) {
    if (m->__data.__owner != tid) return EPERM;
    if (--m->__data.__count != 0) return 0;
  } else if (kind == PTHREAD_MUTEX_ERRORCHECK) {
    if (m->__data.__owner != tid || __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0) return EPERM;
  }
  m->__data.__owner = 0;
  --m->__data.__nusers;
  UnlockWord(&m->__data.__lock);
  return 0;
}

/* ---- glibc's read-write lock ----
 *
 * glibc's rwlock (nptl's pthread_rwlock_common.c, the same protocol from 2.26 on) keeps its
 * state in four words: __readers (the readers' count << 3, WRPHASE 1, WRLOCKED 2, RWAITING
 * 4), __writers, __wrphase_futex and __writers_futex (1 and 0 as their values, FUTEX_USED 2
 * set by a waiter), beside __cur_writer (the write-locking thread's tid). Its waits and
 * wakes are its own syscall instructions, stops under ravel. As for plain mutexes above,
 * the shim locks and unlocks the default kind (PTHREAD_RWLOCK_PREFER_READER_NP, private)
 * itself: the same atomic operations on the same words, the same futex calls with the
 * same arguments (a wait is FUTEX_WAIT_BITSET on CLOCK_REALTIME for any bit, as glibc
 * makes it), through ShimSyscall, so the same steps with fewer stops. glibc's own code
 * (trylocks, timed locks, other kinds) shares the words with it. No timeouts here: the
 * untimed functions only. */

enum {
  kRwWrPhase = 1,
  kRwWrLocked = 2,
  kRwReadersWaiting = 4,
  kRwReaderShift = 3,
  kRwFutexUsed = 2,
};
#define kRwReaderOverflow (1u << 31)

static int OwnRwlock(const pthread_rwlock_t* l) {
  return !__libc_single_threaded && lease.tid != 0 && KnownGlibc() &&
         l->__data.__flags == PTHREAD_RWLOCK_PREFER_READER_NP && l->__data.__shared == 0;
}

static void RwWake(unsigned int* word, int count) { FutexOnWord((int*)word, FUTEX_WAKE_PRIVATE, count); }

/* glibc's futex wait of an rwlock, without a timeout; its answer does not matter (the
 * callers look at the words again). */
static void RwWait(unsigned int* word, unsigned int expected) {
  const long args[6] = {(long)word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | FUTEX_PRIVATE_FLAG,
                        (long)expected, 0, 0, (long)FUTEX_BITSET_MATCH_ANY};
  ShimSyscall(SYS_futex, args, 0);
}

static int RwCas(unsigned int* word, unsigned int* expected, unsigned int desired, int order) {
  return __atomic_compare_exchange_n(word, expected, desired, 0, order, __ATOMIC_RELAXED);
}

/* Waits until the phase a writer or reader hands over through __wrphase_futex comes: while
 * the word is `phase` (with or without FUTEX_USED), marked used, then until __readers
 * shows the phase (`want`: WRPHASE set or not) and the word is looked at once more. */
static void RwAwaitHandOver(pthread_rwlock_t* l, unsigned int phase, unsigned int want) {
  unsigned int* const wpf_word = &l->__data.__wrphase_futex;
  int ready = 0;
  for (;;) {
    unsigned int wpf;
    while (((wpf = __atomic_load_n(wpf_word, __ATOMIC_RELAXED)) | kRwFutexUsed) == (phase | kRwFutexUsed)) {
      if ((wpf & kRwFutexUsed) == 0 && !RwCas(wpf_word, &wpf, wpf | kRwFutexUsed, __ATOMIC_RELAXED)) continue;
      RwWait(wpf_word, phase | kRwFutexUsed);
    }
    if (ready) return;
    if ((__atomic_load_n(&l->__data.__readers, __ATOMIC_ACQUIRE) & kRwWrPhase) == want) ready = 1;
  }
}

/* glibc's rdlock for a PREFER_READER lock, no timeout. */
static int OwnRdlock(pthread_rwlock_t* l) {
  if (__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED) == (int)lease.tid) return EDEADLK;
  unsigned int* const readers = &l->__data.__readers;
  unsigned int r = __atomic_add_fetch(readers, 1u << kRwReaderShift, __ATOMIC_ACQUIRE);
  while (r >= kRwReaderOverflow) {
    if (RwCas(readers, &r, r - (1u << kRwReaderShift), __ATOMIC_RELAXED)) return EAGAIN;
  }
  if ((r & kRwWrPhase) == 0) return 0;
  /* A write phase without a writer: start the read phase, and hand it over as a writer would. */
  while ((r & kRwWrPhase) != 0 && (r & kRwWrLocked) == 0) {
    if (RwCas(readers, &r, r ^ kRwWrPhase, __ATOMIC_ACQUIRE)) {
      if ((__atomic_exchange_n(&l->__data.__wrphase_futex, 0, __ATOMIC_RELAXED) & kRwFutexUsed) != 0) {
        RwWake(&l->__data.__wrphase_futex, 0x7fffffff);
      }
      return 0;
    }
  }
  RwAwaitHandOver(l, 1, 0);
  return 0;
}

/* glibc's wrlock for a PREFER_READER lock, no timeout. */
static int OwnWrlock(pthread_rwlock_t* l) {
  if (__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED) == (int)lease.tid) return EDEADLK;
  unsigned int* const readers = &l->__data.__readers;
  unsigned int* const writers_futex = &l->__data.__writers_futex;
  int may_share_futex_used = 0;
  unsigned int r = __atomic_fetch_or(readers, kRwWrLocked, __ATOMIC_ACQUIRE);
  if ((r & kRwWrLocked) != 0) {
    /* Another primary writer: become it when it goes, else wait on __writers_futex. */
    for (;;) {
      if ((r & kRwWrLocked) == 0) {
        if (RwCas(readers, &r, r | kRwWrLocked, __ATOMIC_ACQUIRE)) break;
        continue;
      }
      unsigned int wf = __atomic_load_n(writers_futex, __ATOMIC_RELAXED);
      if ((wf & ~(unsigned int)kRwFutexUsed) != 1 ||
          (wf != (1 | kRwFutexUsed) && !RwCas(writers_futex, &wf, 1 | kRwFutexUsed, __ATOMIC_RELAXED))) {
        r = __atomic_load_n(readers, __ATOMIC_RELAXED);
        continue;
      }
      may_share_futex_used = 1;
      RwWait(writers_futex, 1 | kRwFutexUsed);
      r = __atomic_load_n(readers, __ATOMIC_RELAXED);
    }
    r |= kRwWrLocked;
  }
  __atomic_store_n(writers_futex, 1 | (may_share_futex_used ? kRwFutexUsed : 0), __ATOMIC_RELAXED);
  if ((r & kRwWrPhase) == 0) {
    /* A read phase: start the write phase if no reader is in, else wait for the last one's
     * hand-over. */
    int started = 0;
    while ((r & kRwWrPhase) == 0 && (r >> kRwReaderShift) == 0) {
      if (RwCas(readers, &r, r | kRwWrPhase, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&l->__data.__wrphase_futex, 1, __ATOMIC_RELAXED);
        started = 1;
        break;
      }
    }
    if (!started) RwAwaitHandOver(l, 0, kRwWrPhase);
  }
  __atomic_store_n(&l->__data.__cur_writer, (int)lease.tid, __ATOMIC_RELAXED);
  return 0;
}

/* glibc's unlock: a writer's (its tid in __cur_writer) or a reader's. */
static int OwnRwUnlock(pthread_rwlock_t* l) {
  unsigned int* const readers = &l->__data.__readers;
  unsigned int* const wpf_word = &l->__data.__wrphase_futex;
  if (__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED) == (int)lease.tid) {
    __atomic_store_n(&l->__data.__cur_writer, 0, __ATOMIC_RELAXED);
    const int wake_writers = (__atomic_exchange_n(&l->__data.__writers_futex, 0, __ATOMIC_RELAXED) & kRwFutexUsed) != 0;
    /* Readers waiting: hand them the read phase; none: stay in the write phase. */
    unsigned int r = __atomic_load_n(readers, __ATOMIC_RELAXED);
    while (!RwCas(readers, &r, (r ^ kRwWrLocked) ^ ((r >> kRwReaderShift) == 0 ? 0 : kRwWrPhase), __ATOMIC_RELEASE)) {
    }
    if ((r >> kRwReaderShift) != 0 && (__atomic_exchange_n(wpf_word, 0, __ATOMIC_RELAXED) & kRwFutexUsed) != 0) {
      RwWake(wpf_word, 0x7fffffff);
    }
    if (wake_writers) RwWake(&l->__data.__writers_futex, 1);
    return 0;
  }
  unsigned int r = __atomic_load_n(readers, __ATOMIC_RELAXED);
  unsigned int rnew;
  for (;;) {
    rnew = r - (1u << kRwReaderShift);
    /* The last reader hands a waiting primary writer the write phase. */
    if ((rnew >> kRwReaderShift) == 0) {
      if ((rnew & kRwWrLocked) != 0) rnew |= kRwWrPhase;
      rnew &= ~(unsigned int)kRwReadersWaiting;
    }
    if (RwCas(readers, &r, rnew, __ATOMIC_RELEASE)) break;
  }
  if ((rnew & kRwWrPhase) != 0) {
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if ((__atomic_exchange_n(wpf_word, 1, __ATOMIC_RELAXED) & kRwFutexUsed) != 0) RwWake(wpf_word, 0x7fffffff);
  }
  if ((r & kRwReadersWaiting) != (rnew & kRwReadersWaiting)) RwWake(readers, 0x7fffffff);
  return 0;
}

/* ---- threads ---- */

EXPORT int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  REAL(pthread_create);
  Mark(RAVEL_SYNC_THREAD_CREATE, NULL, NULL);
  return real_pthread_create(t, attr, start, arg);
}

EXPORT int pthread_join(pthread_t t, void** ret) {
  REAL(pthread_join);
  Mark(RAVEL_SYNC_THREAD_JOIN, (const void*)t, NULL);
  return real_pthread_join(t, ret);
}

EXPORT int pthread_detach(pthread_t t) {
  REAL(pthread_detach);
  Mark(RAVEL_SYNC_THREAD_DETACH, (const void*)t, NULL);
  return real_pthread_detach(t);
}
