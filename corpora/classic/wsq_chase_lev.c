/* ravel classic corpus: wsq_chase_lev (bug class: missing-cas, granularity: atomic)
 *
 * A Chase-Lev work-stealing deque (fixed capacity, seq_cst atomics). The owner pushes
 * and pops at the bottom; a thief steals at the top with a compare-and-exchange. When
 * the owner pops the last item it races with thieves and must claim it with a CAS on
 * top too; this one stores top = t + 1 with a plain atomic store instead, so a thief's
 * CAS that lands between the owner's load of top and that store also succeeds: the
 * item is taken twice. The window lies between atomic instructions only (no syscall,
 * no lock): atomic granularity.
 *
 * Triggering interleaving (atomic granularity): the thief loads top 0 and bottom 2,
 * reads item 1 and is preempted before its CAS; the owner pops item 2, then for the
 * last item stores bottom 0, loads top 0 and is preempted before its store to top;
 * the thief's CAS 0 -> 1 succeeds (item 1); the owner stores top = 1 and also returns
 * item 1: three takes of two items.
 * Fixed twin: wsq_chase_lev_fixed.c.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 8
#define NITEMS 2
#define EMPTY 0L
static atomic_long top, bottom;
static long buf[CAP];

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void push(long x) { /* owner only */
  long b = atomic_load(&bottom);
  buf[b % CAP] = x;
  atomic_store(&bottom, b + 1);
}

static long pop(void) { /* owner only */
  long b = atomic_load(&bottom) - 1;
  atomic_store(&bottom, b);
  long t = atomic_load(&top);
  if (t > b) {
    atomic_store(&bottom, b + 1);
    return EMPTY;
  }
  long x = buf[b % CAP];
  if (t < b) return x;
  atomic_store(&top, t + 1); /* last item: needs a CAS against thieves */
  atomic_store(&bottom, b + 1);
  return x;
}

static long steal(void) {
  long t = atomic_load(&top);
  long b = atomic_load(&bottom);
  if (t >= b) return EMPTY;
  long x = buf[t % CAP];
  if (!atomic_compare_exchange_strong(&top, &t, t + 1)) return EMPTY; /* lost the race */
  return x;
}

static long thief_sum, thief_count;

static void *thief(void *arg) {
  (void)arg;
  long x = steal();
  if (x != EMPTY) thief_sum += x, thief_count++;
  return NULL;
}

int main(void) {
  for (long i = 1; i <= NITEMS; i++) push(i);
  pthread_t th;
  if (pthread_create(&th, NULL, thief, NULL) != 0) return 2;
  long sum = 0, count = 0, x;
  while ((x = pop()) != EMPTY) sum += x, count++;
  pthread_join(th, NULL);
  if (count + thief_count != NITEMS) bug("an item was taken twice (or lost) by the owner and a thief");
  if (sum + thief_sum != NITEMS * (NITEMS + 1) / 2) bug("the items taken are not the items pushed");
  return 0;
}
