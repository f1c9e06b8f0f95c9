/* ravel classic corpus: reorder_<N> (bug class: atomicity-violation, granularity: atomic)
 *
 * The classic reorder pattern, NUM_THREADS worker threads (default 2; the wrappers
 * reorder_10.c, reorder_50.c and reorder_100.c set 10, 50 and 100): half are setters,
 * half checkers, created alternately. A setter stores a = 1 and then b = -1 (two seq_cst
 * atomic stores, each an xchg); a checker loads a and b and asserts that it sees
 * either neither store or both: (a == 0 && b == 0) || (a == 1 && b == -1). The two
 * stores are atomic one by one, not together. Nothing but the atomic instructions
 * separates them (no syscall, no lock): atomic granularity. Every setter stores the
 * same values, so only the first setter's window counts.
 *
 * Triggering interleaving (atomic granularity): the first setter stores a = 1 and is
 * preempted just after that xchg (or before the xchg of b); a checker loads a == 1 and
 * b == 0.
 * Fixed twin: reorder_fixed.c (and its wrappers).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef NUM_THREADS
#define NUM_THREADS 2
#endif

static atomic_int a, b;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *setter(void *arg) {
  (void)arg;
  atomic_store(&a, 1);
  atomic_store(&b, -1); /* a separate step: a = 1 is visible alone */
  return NULL;
}

static void *checker(void *arg) {
  (void)arg;
  int va = atomic_load(&a);
  int vb = atomic_load(&b);
  if (!((va == 0 && vb == 0) || (va == 1 && vb == -1))) bug("checker saw a set without b");
  return NULL;
}

int main(void) {
  static pthread_t t[NUM_THREADS];
  for (int i = 0; i < NUM_THREADS; i++)
    if (pthread_create(&t[i], NULL, i % 2 == 0 ? setter : checker, NULL) != 0) return 2;
  for (int i = 0; i < NUM_THREADS; i++) pthread_join(t[i], NULL);
  return 0;
}
