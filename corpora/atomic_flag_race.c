/* ravel corpus: atomic_flag_race (bug class: atomic-flag-race, granularity: atomic)
 *
 * Two workers try to claim a one-time job through a seq_cst atomic flag, but test and
 * set it as two separate operations: atomic_load, then atomic_store. Each operation is
 * atomic; the pair is not. The window between the load (a plain mov on x86-64) and
 * the store (an xchg) holds no syscall and no lock, so neither syscall nor sync
 * granularity can split it: it needs a scheduling point at the atomic store.
 *
 * Triggering interleaving (atomic granularity): worker 1 loads claimed == 0 and is
 * preempted at its atomic_store (the xchg); worker 2 loads 0, stores 1 and counts
 * itself as owner; worker 1 resumes, stores 1, and also counts itself: two owners.
 * Fixed twin: atomic_flag_race_fixed.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_int claimed;
static atomic_int owners;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *worker(void *arg) {
  (void)arg;
  ssize_t r = write(logfd, "worker: trying to claim\n", 24);
  (void)r;
  if (atomic_load(&claimed) == 0) { /* test ... */
    atomic_store(&claimed, 1);      /* ... and set, separately */
    atomic_fetch_add(&owners, 1);
  }
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pthread_t a, b;
  if (pthread_create(&a, NULL, worker, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, worker, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (atomic_load(&owners) != 1) bug("both workers claimed the one-time job");
  return 0;
}
