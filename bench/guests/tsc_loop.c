// N reads of RDTSC (or N CPUID leaf 0 answers) in the main thread, or in a second thread
// while main waits for it: bench/tsc_cost.py. Usage: tsc_loop N rdtsc|cpuid main|thread
#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

static long n;
static int cpuid;
static volatile unsigned long long sink;

static void* loop(void* arg) {
  (void)arg;
  for (long i = 0; i < n; ++i) {
    if (cpuid) {
      unsigned a, b, c, d;
      __cpuid(0, a, b, c, d);
      sink += a;
    } else {
      sink += __rdtsc();
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: tsc_loop N rdtsc|cpuid main|thread\n");
    return 2;
  }
  n = atol(argv[1]);
  cpuid = strcmp(argv[2], "cpuid") == 0;
  if (strcmp(argv[3], "thread") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, loop, NULL);
    pthread_join(t, NULL);
  } else {
    loop(NULL);
  }
  return 0;
}
