/* ravel classic corpus: two_stage_<N> (bug class: atomicity-violation, granularity: sync)
 *
 * The classic two-stage pattern, NUM_THREADS worker threads (default 2; the wrappers
 * two_stage_50.c and two_stage_100.c set 50 and 100): half are stage one, half stage
 * two, created alternately. Stage one writes data1 under lock1, then in a second
 * critical section data2 = data1 + 1 under lock2. Stage two reads data1 under lock1
 * and, in a second critical section, data2 under lock2, and asserts data2 == data1 + 1
 * once data1 is set. Each stage is atomic on its own; the pair of critical sections is
 * not. Only mutex calls separate them, no syscall: sync granularity. All stage-one
 * threads write the same values, so only the first stage-one thread's window counts:
 * the more threads, the smaller the chance that a schedule lands in it.
 *
 * Triggering interleaving (sync granularity): a stage-one thread sets data1 = 1 and is
 * preempted at the unlock of lock1 or the lock of lock2, before any data2 is written;
 * a stage-two thread reads data1 == 1 and data2 == 0.
 * Fixed twin: two_stage_fixed.c (and its wrappers).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef NUM_THREADS
#define NUM_THREADS 2
#endif

static pthread_mutex_t lock1 = PTHREAD_MUTEX_INITIALIZER, lock2 = PTHREAD_MUTEX_INITIALIZER;
static int data1, data2;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *stage_one(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock1);
  data1 = 1;
  pthread_mutex_unlock(&lock1);
  pthread_mutex_lock(&lock2); /* a second critical section: data1 is visible alone */
  data2 = data1 + 1;
  pthread_mutex_unlock(&lock2);
  return NULL;
}

static void *stage_two(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock1);
  int t1 = data1;
  pthread_mutex_unlock(&lock1);
  if (t1 == 0) return NULL; /* stage one has not run yet */
  pthread_mutex_lock(&lock2);
  int t2 = data2;
  pthread_mutex_unlock(&lock2);
  if (t2 != t1 + 1) bug("stage two saw data1 without data2: the stages were split");
  return NULL;
}

int main(void) {
  static pthread_t t[NUM_THREADS];
  for (int i = 0; i < NUM_THREADS; i++)
    if (pthread_create(&t[i], NULL, i % 2 == 0 ? stage_one : stage_two, NULL) != 0) return 2;
  for (int i = 0; i < NUM_THREADS; i++) pthread_join(t[i], NULL);
  return 0;
}
