/* ravel corpus: order_after_create (bug class: order-violation, granularity: syscall)
 *
 * main starts a worker and only afterwards fills in the configuration the worker
 * reads, with a log write in between. Natively it fails only when the OS runs the new
 * thread before main gets through that one write.
 *
 * Triggering interleaving: main is preempted at any syscall after the clone of
 * pthread_create and before `cfg = &the_config` (the rt_sigprocmask that ends
 * pthread_create, or main's write to /dev/null); the worker runs through its own
 * start-up write to its read of cfg and finds it NULL. The worker needs no preemption:
 * it only has to run first.
 * Fixed twin: order_after_create_fixed.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct config {
  int retries;
  const char *name;
};

static struct config the_config;
static struct config *volatile cfg; /* published by main, too late */
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
  log_line("worker: starting\n");
  struct config *c = cfg;
  if (c == NULL) bug("worker read the config before main initialised it");
  if (c->retries != 3) bug("worker saw a half-initialised config");
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  log_line("main: starting\n");
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 2;
  log_line("worker started\n"); /* the window: one syscall */
  the_config.retries = 3;
  the_config.name = "default";
  cfg = &the_config;
  pthread_join(t, NULL);
  return 0;
}
