// The shape of GLib's rec-mutex4 test without GLib: THREADS threads each take ITER turns;
// a turn takes a random one of 48 recursive pthread mutexes (trylock, else lock), yields
// five times while holding it (checking that nobody else took it), and unlocks it.
// Contended locks wait and wake in glibc's lock code. Usage: rec_locks [THREADS [ITER]]
// (default 100 1000); prints "ok".
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static int threads = 100, locks_n = 48, iters = 1000, yields = 5;
static pthread_mutex_t* locks;
static pthread_t* owners;

static void* Run(void* arg) {
  unsigned seed = (unsigned)(long)arg;
  for (int i = 0; i < iters; ++i) {
    const int k = rand_r(&seed) % locks_n;
    if (pthread_mutex_trylock(&locks[k]) != 0) pthread_mutex_lock(&locks[k]);
    if (owners[k] != 0) abort();
    owners[k] = pthread_self();
    for (int y = 0; y < yields; ++y) {
      sched_yield();
      if (y == 2 && owners[k] != pthread_self()) abort();
      if (y == 2) owners[k] = 0;
    }
    pthread_mutex_unlock(&locks[k]);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) threads = atoi(argv[1]);
  if (argc > 2) iters = atoi(argv[2]);
  locks = calloc(locks_n, sizeof(*locks));
  owners = calloc(locks_n, sizeof(*owners));
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  for (int i = 0; i < locks_n; ++i) pthread_mutex_init(&locks[i], &a);
  pthread_t* t = calloc(threads, sizeof(*t));
  for (long i = 0; i < threads; ++i) pthread_create(&t[i], NULL, Run, (void*)(i + 1));
  for (int i = 0; i < threads; ++i) pthread_join(t[i], NULL);
  puts("ok");
  return 0;
}
