/* ravel classic corpus: wsq_chase_lev_fixed (twin of wsq_chase_lev; must always pass)
 *
 * The owner claims the last item with a compare-and-exchange on top, like the thieves.
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
  if (!atomic_compare_exchange_strong(&top, &t, t + 1)) x = EMPTY; /* a thief won it */
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
