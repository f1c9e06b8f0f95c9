/* ravel classic corpus: wsq_chase_lev_state_fixed (twin of wsq_chase_lev_state; must always pass)
 *
 * The owner claims the last item with a compare-and-exchange on top, like the thieves.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 16
#define NITEMS 4
#define EMPTY 0L
static atomic_long top, bottom;
static long buf[CAP];
static atomic_int state[NITEMS + 1]; /* 0 new, 1 queued, 2 taken */

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void push(long x) { /* owner only */
  atomic_store(&state[x], 1);
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

static void take(long x) {
  if (x == EMPTY) return;
  if (x < 1 || x > NITEMS) bug("took a slot that holds no item");
  int was = atomic_exchange(&state[x], 2);
  if (was == 2) bug("an item was taken twice: by the owner and by a thief");
  if (was != 1) bug("took an item that was never pushed");
}

static void *thief(void *arg) {
  (void)arg;
  for (int i = 0; i < 3; i++) take(steal());
  return NULL;
}

int main(void) {
  pthread_t th;
  if (pthread_create(&th, NULL, thief, NULL) != 0) return 2;
  push(1);
  push(2);
  take(pop());
  push(3);
  push(4);
  for (int i = 0; i < NITEMS; i++) take(pop());
  pthread_join(th, NULL);
  for (int x = 1; x <= NITEMS; x++)
    if (atomic_load(&state[x]) != 2) bug("an item was lost: pushed but never taken");
  return 0;
}
