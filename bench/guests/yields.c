// The guest of bench/step_scaling.py. Two modes:
//   yields THREADS TOTAL     THREADS threads call sched_yield TOTAL/THREADS times each; under
//                            `ravel run` each call is a scheduling step.
//   pingpong TOTAL           the floor: two threads pinned to one CPU hand a turn back and
//                            forth TOTAL times with a futex wake and wait each, as a
//                            scheduler that kept its hand-offs in the guest would.
//   ring THREADS TOTAL       the same floor with THREADS threads: each waits on its own
//                            futex word and hands the turn to the next one, TOTAL hand-offs
//                            in all; prints "us per hand-off" (what the kernel's own
//                            hand-off costs with that many threads). Unpinned itself:
//                            step_scaling.py binds it to one CPU.
//   locks THREADS LOCKS TOTAL  THREADS threads take TOTAL locks in all, each one of LOCKS
//                            futex locks as GLib's GMutex makes them (its futex calls through
//                            syscall()), picked by a per-thread sequence, and yield once
//                            while holding it: a lock's wait and wake are steps too.
// No output; exit 0.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long per_thread;

static void* Yielder(void* arg) {
  (void)arg;
  for (long i = 0; i < per_thread; ++i) sched_yield();
  return 0;
}

static _Atomic int turn;  // whose turn: 0 or 1
static long handoffs;

static void Wait(int me) {
  while (atomic_load(&turn) != me) syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, 1 - me, 0, 0, 0);
}

static void Pass(int to) {
  atomic_store(&turn, to);
  syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

static void PinToFirstCpu(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

static int ring_threads;
static long ring_total, ring_done;
static _Atomic unsigned ring_words[1024];

static void* Ringer(void* arg) {
  const long me = (long)arg;
  const int next = (int)((me + 1) % ring_threads);
  while (1) {
    while (atomic_load(&ring_words[me]) == 0) syscall(SYS_futex, &ring_words[me], FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
    atomic_store(&ring_words[me], 0);
    const int last = ring_done >= ring_total;
    if (!last) ++ring_done;
    atomic_store(&ring_words[next], 1);
    syscall(SYS_futex, &ring_words[next], FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
    if (last) return 0;
  }
}

static int lock_count;
static _Atomic unsigned lock_words[64];

static void Lock(_Atomic unsigned* w) {
  if (atomic_fetch_add(w, 1) == 0) return;
  while (atomic_exchange(w, 2) != 0) syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 2, 0, 0, 0);
}

static void Unlock(_Atomic unsigned* w) {
  if (atomic_exchange(w, 0) != 1) syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

static void* Locker(void* arg) {
  unsigned long x = (unsigned long)arg * 2654435761ul + 1;
  for (long i = 0; i < per_thread; ++i) {
    x = x * 6364136223846793005ul + 1442695040888963407ul;
    _Atomic unsigned* w = &lock_words[(x >> 33) % (unsigned long)lock_count];
    Lock(w);
    sched_yield();
    Unlock(w);
  }
  return 0;
}

static void* Ponger(void* arg) {
  (void)arg;
  PinToFirstCpu();
  for (long i = 0; i < handoffs / 2; ++i) {
    Wait(1);
    Pass(0);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "yields") == 0) {
    int threads = atoi(argv[2]);
    per_thread = atol(argv[3]) / (threads > 0 ? threads : 1);
    pthread_t* t = calloc((size_t)threads, sizeof(pthread_t));
    for (int i = 0; i < threads; ++i) {
      if (pthread_create(&t[i], 0, Yielder, 0) != 0) return 2;
    }
    for (int i = 0; i < threads; ++i) pthread_join(t[i], 0);
    free(t);
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "locks") == 0) {
    int threads = atoi(argv[2]);
    lock_count = atoi(argv[3]);
    if (threads < 1 || lock_count < 1 || lock_count > 64) return 2;
    per_thread = atol(argv[4]) / threads;
    pthread_t* t = calloc((size_t)threads, sizeof(pthread_t));
    for (long i = 0; i < threads; ++i) {
      if (pthread_create(&t[i], 0, Locker, (void*)i) != 0) return 2;
    }
    for (int i = 0; i < threads; ++i) pthread_join(t[i], 0);
    free(t);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "pingpong") == 0) {
    handoffs = atol(argv[2]);
    PinToFirstCpu();
    pthread_t t;
    if (pthread_create(&t, 0, Ponger, 0) != 0) return 2;
    for (long i = 0; i < handoffs / 2; ++i) {
      Pass(1);
      Wait(0);
    }
    pthread_join(t, 0);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "ring") == 0) {
    ring_threads = atoi(argv[2]);
    ring_total = atol(argv[3]);
    if (ring_threads < 2 || ring_threads > 1024) return 2;
    pthread_t* t = calloc((size_t)ring_threads, sizeof(pthread_t));
    for (long i = 0; i < ring_threads; ++i) {
      if (pthread_create(&t[i], 0, Ringer, (void*)i) != 0) return 2;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    atomic_store(&ring_words[0], 1);
    syscall(SYS_futex, &ring_words[0], FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
    for (int i = 0; i < ring_threads; ++i) pthread_join(t[i], 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.2f us per hand-off\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / (double)ring_total);
    free(t);
    return 0;
  }
  fprintf(stderr, "usage: yields yields THREADS TOTAL | yields pingpong TOTAL | yields ring THREADS TOTAL | yields locks THREADS LOCKS TOTAL\n");
  return 2;
}
