/* ravel corpus: sleep_ordering (bug class: sleep-ordering, granularity: time)
 *
 * main starts a worker that computes a result, then sleeps 1 ms "to give the worker
 * time" and reads the result without synchronising. Natively the worker needs tens of
 * microseconds, so the sleep always covers it unless the machine is badly overloaded.
 *
 * Why `time` and not `syscall`: under virtual time, main's nanosleep blocks main until
 * virtual time has advanced 1 ms. If time advances only when no thread can run, the
 * worker (runnable, and never blocking) always finishes first, whatever the order of
 * the syscall-level choices, so the bug is unreachable. It needs time chaos: the
 * scheduler letting main's sleep expire while the worker is still runnable (a worker
 * descheduled for longer than the sleep).
 *
 * Triggering interleaving (with time chaos): the worker is held at any of its syscalls
 * before `result_ready = 1` (e.g. its first write()); main's usleep(1000) returns
 * (virtual time advanced past the deadline); main reads result_ready == 0.
 * Fixed twin: sleep_ordering_fixed.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int result_ready;
static volatile int result;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void log_line(const char *s) {
  ssize_t r = write(logfd, s, strlen(s));
  (void)r;
}

static void *worker(void *arg) {
  (void)arg;
  log_line("worker: computing\n");
  result = 6 * 7;
  log_line("worker: done\n");
  result_ready = 1;
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 2;
  usleep(1000); /* "plenty of time for the worker" */
  if (!result_ready) bug("main read the result before the worker produced it (sleep used as a barrier)");
  if (result != 42) bug("wrong result");
  pthread_join(t, NULL);
  return 0;
}
