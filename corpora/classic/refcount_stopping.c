/* ravel classic corpus: refcount_stopping (bug class: check-then-act, granularity: atomic)
 *
 * A driver-style device (the classic "bluetooth driver" pattern): pending counts
 * in-flight I/O, starting at 1 for the device itself. The stop path sets `stopping`,
 * drops the device's reference and waits until pending reaches 0, then marks the
 * device stopped. The I/O path checks `stopping` and then increments pending: two
 * atomic operations that are not atomic together. The window between the check (a
 * plain mov) and the increment (a lock xadd) holds no syscall and no lock, so only a
 * point at the atomic increment can split it: atomic granularity.
 *
 * Triggering interleaving (atomic granularity): the I/O thread reads stopping == 0 and
 * is preempted before its atomic_fetch_add; the stop thread sets stopping, drops
 * pending 1 -> 0, finds it idle and sets stopped; the I/O thread increments pending
 * and does I/O on a stopped device.
 * Fixed twin: refcount_stopping_fixed.c.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int pending = 1; /* the device's own reference */
static atomic_int stopping;
static atomic_int stopped;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static int idle; /* the "stopping event", under m */

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void io_dec(void) {
  if (atomic_fetch_sub(&pending, 1) == 1) {
    pthread_mutex_lock(&m);
    idle = 1;
    pthread_cond_signal(&idle_cv);
    pthread_mutex_unlock(&m);
  }
}

static int io_inc(void) {
  if (atomic_load(&stopping)) return 0; /* check ... */
  atomic_fetch_add(&pending, 1);        /* ... then increment, separately */
  return 1;
}

static void *adder(void *arg) {
  (void)arg;
  if (!io_inc()) return NULL;
  if (atomic_load(&stopped)) bug("I/O started on a device that was already stopped");
  io_dec();
  return NULL;
}

static void *stopper(void *arg) {
  (void)arg;
  atomic_store(&stopping, 1);
  io_dec();
  pthread_mutex_lock(&m);
  while (!idle) pthread_cond_wait(&idle_cv, &m);
  pthread_mutex_unlock(&m);
  atomic_store(&stopped, 1);
  return NULL;
}

int main(void) {
  pthread_t a, s;
  if (pthread_create(&a, NULL, adder, NULL) != 0) return 2;
  if (pthread_create(&s, NULL, stopper, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(s, NULL);
  return 0;
}
