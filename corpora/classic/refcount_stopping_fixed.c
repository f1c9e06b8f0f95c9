/* ravel classic corpus: refcount_stopping_fixed (twin of refcount_stopping; must always pass)
 *
 * The stopping flag and the count share one atomic word (bit 30 is the flag), and the
 * I/O path checks and increments with one compare-and-exchange: it can no longer
 * increment after the stop path saw the count reach 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define STOPPING (1 << 30)
static atomic_int state = 1; /* pending count | STOPPING; 1: the device's own reference */
static atomic_int stopped;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static int idle;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void io_dec(void) {
  if (atomic_fetch_sub(&state, 1) == (STOPPING | 1)) {
    pthread_mutex_lock(&m);
    idle = 1;
    pthread_cond_signal(&idle_cv);
    pthread_mutex_unlock(&m);
  }
}

static int io_inc(void) {
  int v = atomic_load(&state);
  do {
    if (v & STOPPING) return 0;
  } while (!atomic_compare_exchange_weak(&state, &v, v + 1));
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
  atomic_fetch_or(&state, STOPPING);
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
