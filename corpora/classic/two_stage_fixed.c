/* ravel classic corpus: two_stage_<N>_fixed (twin of two_stage_<N>; must always pass)
 *
 * Stage one writes data1 and data2 in one critical section (lock1, then lock2 nested,
 * the same order everywhere), and stage two reads both in one. NUM_THREADS as in
 * two_stage.c (default 2).
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
  pthread_mutex_lock(&lock2);
  data1 = 1;
  data2 = data1 + 1;
  pthread_mutex_unlock(&lock2);
  pthread_mutex_unlock(&lock1);
  return NULL;
}

static void *stage_two(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock1);
  pthread_mutex_lock(&lock2);
  int t1 = data1, t2 = data2;
  pthread_mutex_unlock(&lock2);
  pthread_mutex_unlock(&lock1);
  if (t1 != 0 && t2 != t1 + 1) bug("stage two saw data1 without data2");
  return NULL;
}

int main(void) {
  static pthread_t t[NUM_THREADS];
  for (int i = 0; i < NUM_THREADS; i++)
    if (pthread_create(&t[i], NULL, i % 2 == 0 ? stage_one : stage_two, NULL) != 0) return 2;
  for (int i = 0; i < NUM_THREADS; i++) pthread_join(t[i], NULL);
  return 0;
}
