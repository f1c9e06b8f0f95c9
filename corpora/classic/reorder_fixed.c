/* ravel classic corpus: reorder_<N>_fixed (twin of reorder_<N>; must always pass)
 *
 * a and b live in one 64-bit atomic word: a setter stores both with one xchg and a
 * checker loads both with one load. NUM_THREADS as in reorder.c (default 2).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef NUM_THREADS
#define NUM_THREADS 2
#endif

static _Atomic uint64_t ab; /* a in the high 32 bits, b in the low 32 bits */

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *setter(void *arg) {
  (void)arg;
  atomic_store(&ab, ((uint64_t)1 << 32) | (uint32_t)-1);
  return NULL;
}

static void *checker(void *arg) {
  (void)arg;
  uint64_t v = atomic_load(&ab);
  int va = (int)(v >> 32), vb = (int)(uint32_t)v;
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
