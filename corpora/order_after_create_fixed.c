/* ravel corpus: order_after_create_fixed (twin of order_after_create; must always pass)
 *
 * The configuration is complete before pthread_create, which orders it before
 * everything the worker does, whatever the interleaving.
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
static struct config *volatile cfg;
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
  the_config.retries = 3;
  the_config.name = "default";
  cfg = &the_config; /* fixed: initialise first, then start the worker */
  log_line("main: starting\n");
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 2;
  log_line("worker started\n");
  pthread_join(t, NULL);
  return 0;
}
