// The sync-point benchmark's guest: a second thread locks and unlocks a mutex N times
// (uncontended: no syscall natively) while main waits for it. Under ravel the loop runs
// after the first clone, where every syscall is a point; with --preempt sync each lock and
// unlock is one too. Usage: lock_loop N
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long n;
static long counter;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void* Loop(void* arg) {
  for (long i = 0; i < n; ++i) {
    pthread_mutex_lock(&m);
    ++counter;
    pthread_mutex_unlock(&m);
  }
  return NULL;
}

int main(int argc, char** argv) {
  n = argc > 1 ? atol(argv[1]) : 1000;
  pthread_t t;
  pthread_create(&t, NULL, Loop, NULL);
  pthread_join(t, NULL);
  return counter == n ? 0 : 1;
}
