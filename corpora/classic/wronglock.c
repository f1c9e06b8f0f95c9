/* ravel classic corpus: wronglock (bug class: wrong-lock, granularity: sync)
 *
 * One shared counter, two code paths that each "protect" it, but with different
 * mutexes: the producer path holds lock_a, the consumer path lock_b. Each update reads
 * the counter, records the operation in a statistics block under its own stats mutex,
 * and writes the counter back. Neither lock excludes the other path, so an update can
 * be lost. The only scheduling points inside the read-modify-write are the stats
 * mutex's lock and unlock, no syscall: sync granularity.
 *
 * Triggering interleaving (sync granularity): the producer (holding lock_a) reads
 * count 0 and is preempted at the stats lock; the consumer (holding lock_b, which is
 * free) reads 0, writes 1; the producer writes 0 + 1. Final count 1 instead of 2.
 * Fixed twin: wronglock_fixed.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER; /* the wrong lock */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long count;
static long ops;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void update(pthread_mutex_t *guard) {
  pthread_mutex_lock(guard);
  long v = count;
  pthread_mutex_lock(&stats_lock);
  ops++;
  pthread_mutex_unlock(&stats_lock);
  count = v + 1;
  pthread_mutex_unlock(guard);
}

static void *producer(void *arg) {
  (void)arg;
  update(&lock_a);
  return NULL;
}

static void *consumer(void *arg) {
  (void)arg;
  update(&lock_b);
  return NULL;
}

int main(void) {
  pthread_t p, c;
  if (pthread_create(&p, NULL, producer, NULL) != 0) return 2;
  if (pthread_create(&c, NULL, consumer, NULL) != 0) return 2;
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  if (count != 2) bug("lost an update: the two paths guarded the counter with different locks");
  return 0;
}
