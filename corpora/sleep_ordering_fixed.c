/* ravel corpus: sleep_ordering_fixed (twin of sleep_ordering; must always pass)
 *
 * main joins the worker before reading its result; the sleep stays but no longer
 * carries any ordering.
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
  usleep(1000);
  pthread_join(t, NULL); /* fixed: the join, not the sleep, orders the read */
  if (!result_ready) bug("main read the result before the worker produced it");
  if (result != 42) bug("wrong result");
  return 0;
}
