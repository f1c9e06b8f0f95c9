// Guest: a second thread makes N atomic increments (lock xadd) of a counter while main
// waits for it, then main prints the count. Usage: atomic_count N
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static long n;
static atomic_long counter;

static void* Loop(void* arg) {
  (void)arg;
  for (long i = 0; i < n; ++i) atomic_fetch_add(&counter, 1);
  return NULL;
}

int main(int argc, char** argv) {
  n = argc > 1 ? atol(argv[1]) : 1000;
  pthread_t t;
  pthread_create(&t, NULL, Loop, NULL);
  pthread_join(t, NULL);
  printf("%ld\n", atomic_load(&counter));
  return 0;
}
