/* ravel classic corpus: token_ring (bug class: atomicity-violation, granularity: sync)
 *
 * Three nodes pass one token around a ring through shared per-node slots, each slot
 * under its own mutex. A node that holds the token clears its own slot and then sets
 * its successor's: two critical sections. A monitor reads the slots (each under its
 * lock) and asserts that exactly one node holds the token. The passes and the monitor
 * hold only mutex calls, no syscall: sync granularity.
 *
 * Triggering interleaving (sync granularity): node 0 clears its slot and is preempted
 * at the lock of slot 1; the monitor reads all three slots and counts 0 tokens. (Other
 * orders let the monitor read slot 0 before a pass and slot 1 after it: 2 tokens.)
 * Fixed twin: token_ring_fixed.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NODES 3
static pthread_mutex_t lock[NODES] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                      PTHREAD_MUTEX_INITIALIZER};
static int has_token[NODES] = {1, 0, 0};

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static int get_slot(int i) {
  pthread_mutex_lock(&lock[i]);
  int v = has_token[i];
  pthread_mutex_unlock(&lock[i]);
  return v;
}

static void set_slot(int i, int v) {
  pthread_mutex_lock(&lock[i]);
  has_token[i] = v;
  pthread_mutex_unlock(&lock[i]);
}

static void *node(void *arg) {
  int i = (int)(long)arg;
  for (int round = 0; round < 2; round++) {
    if (get_slot(i)) {
      set_slot(i, 0); /* the token leaves node i ... */
      set_slot((i + 1) % NODES, 1); /* ... and reaches node i+1 in another step */
    }
  }
  return NULL;
}

static void *monitor(void *arg) {
  (void)arg;
  int tokens = 0;
  for (int i = 0; i < NODES; i++) tokens += get_slot(i);
  if (tokens != 1) bug("the monitor did not see exactly one token in the ring");
  return NULL;
}

int main(void) {
  pthread_t t[NODES], mon;
  for (long i = 0; i < NODES; i++)
    if (pthread_create(&t[i], NULL, node, (void *)i) != 0) return 2;
  if (pthread_create(&mon, NULL, monitor, NULL) != 0) return 2;
  for (int i = 0; i < NODES; i++) pthread_join(t[i], NULL);
  pthread_join(mon, NULL);
  if (has_token[0] + has_token[1] + has_token[2] != 1) bug("token lost or duplicated");
  return 0;
}
