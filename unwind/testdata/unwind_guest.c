// The guest of unwind_test: known call chains that end in recognisable syscalls, for the
// test to stop the thread in and unwind.
//
//   unwind_guest main N      main -> outer -> inner, which calls write(-1, ...) N times;
//                            exits with status 40 + N.
//   unwind_guest thread N    a second thread runs worker -> worker_inner, which calls
//                            getppid() N times; main joins it and exits with status 50.
//
// Before anything else it prints "inner=<addr> outer=<addr>\n" on stdout.
// The test finds the lines it expects by the MARK comments: keep each on its line.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) int inner(int n) {  // MARK:inner-def
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    if (write(-1, "x", 1) < 0) ++failures;  // MARK:inner-call
  }
  sink = failures;
  return failures;
}

__attribute__((noinline)) int outer(int n) {
  int r = inner(n);  // MARK:outer-call
  sink = r;
  return r + 40;
}

__attribute__((noinline)) void worker_inner(int n) {
  for (int i = 0; i < n; ++i) {
    sink = getppid();  // MARK:worker-inner-call
  }
}

__attribute__((noinline)) void* worker(void* arg) {
  worker_inner((int)(long)arg);  // MARK:worker-call
  sink = 0;
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const int n = atoi(argv[2]);
  printf("inner=%p outer=%p\n", (void*)&inner, (void*)&outer);
  fflush(stdout);
  if (strcmp(argv[1], "main") == 0) {
    int status = outer(n);  // MARK:main-call
    sink = status;
    return status;
  }
  if (strcmp(argv[1], "thread") == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, (void*)(long)n) != 0) return 3;
    if (pthread_join(t, NULL) != 0) return 4;
    return 50;
  }
  return 2;
}
