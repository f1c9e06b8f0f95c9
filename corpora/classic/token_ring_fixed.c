/* ravel classic corpus: token_ring_fixed (twin of token_ring; must always pass)
 *
 * One ring mutex: a pass clears and sets in one critical section, and the monitor
 * reads all slots in one critical section.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NODES 3
static pthread_mutex_t ring = PTHREAD_MUTEX_INITIALIZER;
static int has_token[NODES] = {1, 0, 0};

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *node(void *arg) {
  int i = (int)(long)arg;
  for (int round = 0; round < 2; round++) {
    pthread_mutex_lock(&ring);
    if (has_token[i]) {
      has_token[i] = 0;
      has_token[(i + 1) % NODES] = 1;
    }
    pthread_mutex_unlock(&ring);
  }
  return NULL;
}

static void *monitor(void *arg) {
  (void)arg;
  int tokens = 0;
  pthread_mutex_lock(&ring);
  for (int i = 0; i < NODES; i++) tokens += has_token[i];
  pthread_mutex_unlock(&ring);
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
