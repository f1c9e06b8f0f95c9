/* ravel classic corpus: wronglock_fixed (twin of wronglock; must always pass)
 *
 * Both paths guard the counter with the same mutex (lock_a); the stats mutex nests
 * inside it on both paths, in the same order.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
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
  update(&lock_a);
  return NULL;
}

int main(void) {
  pthread_t p, c;
  if (pthread_create(&p, NULL, producer, NULL) != 0) return 2;
  if (pthread_create(&c, NULL, consumer, NULL) != 0) return 2;
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  if (count != 2) bug("lost an update");
  return 0;
}
