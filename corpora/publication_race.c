/* ravel corpus: publication_race (bug class: publication-order, granularity: atomic)
 *
 * A writer publishes a result through a seq_cst flag, but sets the flag before the data:
 * atomic_store(&ready, 1) (an xchg), then payload = 42 (a plain store). A reader spins
 * with sched_yield until it sees the flag, then uses the payload. Between the xchg and
 * the plain store there is no syscall and no lock, so neither syscall nor sync
 * granularity can split them, and a point before the xchg is not enough either: it needs
 * a scheduling point just after the atomic instruction.
 *
 * Triggering interleaving (atomic granularity): the writer runs its xchg and is
 * preempted right after it; the reader sees ready == 1 and reads payload == 0.
 * Fixed twin: publication_race_fixed.c.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int ready;
static int payload;

static void *writer(void *arg) {
  (void)arg;
  atomic_store(&ready, 1); /* published ... */
  payload = 42;            /* ... before the data it guards */
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  while (!atomic_load(&ready)) sched_yield();
  if (payload != 42) {
    fprintf(stderr, "BUG: the flag was set but the payload is %d\n", payload);
    exit(1);
  }
  return NULL;
}

int main(void) {
  pthread_t w, r;
  if (pthread_create(&r, NULL, reader, NULL) != 0) return 2;
  if (pthread_create(&w, NULL, writer, NULL) != 0) return 2;
  pthread_join(w, NULL);
  pthread_join(r, NULL);
  return 0;
}
