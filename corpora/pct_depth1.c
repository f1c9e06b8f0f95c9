/* ravel corpus: pct_depth1 (bug class: pct-depth-1, granularity: syscall)
 *
 * main starts a loader thread that stores the default timeout, then an override thread
 * that reads the user's settings (open/read/close) and stores the user's timeout. The
 * code assumes the loader, started first, also finishes first. The bug needs only a
 * thread order, no preemption in the middle of a thread: if the override thread runs
 * entirely before the loader's store, the default clobbers the override.
 *
 * Triggering interleaving: the loader is created but not scheduled (it is held at its
 * thread start, or at the rt_sigprocmask glibc's start_thread makes before calling
 * load_defaults); the override thread runs to completion; then the loader stores 100.
 * Under PCT with depth 1 (strict priorities, no change point) this happens whenever the
 * loader has the lowest priority of the three threads: probability 1/3.
 * Natively it fails only when the OS starts the second thread before the first one.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int timeout_ms; /* 0 = unset */
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *load_defaults(void *arg) {
  (void)arg;
  timeout_ms = 100;
  ssize_t r = write(logfd, "defaults loaded\n", 16);
  (void)r;
  return NULL;
}

static void *apply_override(void *arg) {
  (void)arg;
  char buf[16];
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* stands in for the user's file */
  ssize_t r = read(fd, buf, sizeof buf);
  (void)r;
  close(fd);
  timeout_ms = 5;
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ssize_t started = write(logfd, "main: starting\n", 15); /* first write: not in a window */
  (void)started;
  pthread_t loader, override;
  if (pthread_create(&loader, NULL, load_defaults, NULL) != 0) return 2;
  if (pthread_create(&override, NULL, apply_override, NULL) != 0) return 2;
  pthread_join(loader, NULL);
  pthread_join(override, NULL);
  if (timeout_ms != 5) bug("the defaults loader ran last and clobbered the user's override");
  return 0;
}
