/* ravel corpus: publication_race_fixed (bug class: none; twin of publication_race)
 *
 * The writer stores the payload first and publishes the flag after it, so a reader that
 * sees the flag always sees the payload: no interleaving fails.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int ready;
static int payload;

static void *writer(void *arg) {
  (void)arg;
  payload = 42;            /* the data first ... */
  atomic_store(&ready, 1); /* ... then the flag (seq_cst: a release too) */
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  while (!atomic_load(&ready)) sched_yield();
  if (payload != 42) {
    fprintf(stderr, "BUG: the flag was set but the payload is %d\n", payload);
    exit(1);
  }
  return NULL;
}

int main(void) {
  pthread_t w, r;
  if (pthread_create(&r, NULL, reader, NULL) != 0) return 2;
  if (pthread_create(&w, NULL, writer, NULL) != 0) return 2;
  pthread_join(w, NULL);
  pthread_join(r, NULL);
  return 0;
}
