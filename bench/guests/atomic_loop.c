// The atomic-point benchmark's guest: a second thread makes N atomic increments (lock
// xadd) of a counter while main waits for it. Usage: atomic_loop N
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

static long n;
static atomic_long counter;

static void* Loop(void* arg) {
  for (long i = 0; i < n; ++i) atomic_fetch_add(&counter, 1);
  return NULL;
}

int main(int argc, char** argv) {
  n = argc > 1 ? atol(argv[1]) : 1000;
  pthread_t t;
  pthread_create(&t, NULL, Loop, NULL);
  pthread_join(t, NULL);
  return atomic_load(&counter) == n ? 0 : 1;
}
