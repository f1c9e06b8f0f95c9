// getppid N times (default 1000) via syscall(2), plus one openat per 100: the workload of
// the inject-getpid handler test and of the benchmarks.
// Usage: syscall_loop [N [EVERY [q [thread]]]]; q: print nothing; thread: run the loop in a
// second thread while main waits for it (so that, under ravel run, every call is a
// scheduling step: before a guest's first clone the scheduler stops almost nothing).
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long n;
static int every;
static pid_t expected;
static long wrong;

static void* Loop(void* arg) {
  for (long i = 0; i < n; ++i) {
    if (syscall(SYS_getppid) != expected) ++wrong;
    if (every > 0 && i % every == 0) {
      int fd = open("/dev/null", O_RDONLY);
      if (fd >= 0) close(fd);
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  n = argc > 1 ? atol(argv[1]) : 1000;
  every = argc > 2 ? atoi(argv[2]) : 100;
  expected = getppid();
  if (argc > 4 && strcmp(argv[4], "thread") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, Loop, NULL);
    pthread_join(t, NULL);
  } else {
    Loop(NULL);
  }
  if (argc <= 3) printf("done %ld wrong %ld\n", n, wrong);
  return wrong == 0 ? 0 : 1;
}
