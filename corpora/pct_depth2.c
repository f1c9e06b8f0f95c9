/* ravel corpus: pct_depth2 (bug class: pct-depth-2, granularity: syscall)
 *
 * An updater moves a service endpoint to new ports: it stores `port`, logs, then stores
 * `tls_port`. A reader reads both fields (no syscall between the two reads) and expects
 * tls_port == port + 1. The reader sees a torn record only if it runs between the two
 * stores, which needs exactly one preemption of the updater in the middle of its work.
 * With strict priorities (PCT depth 1) the updater always runs either entirely before
 * or entirely after the reader's read, so depth 1 never triggers it.
 *
 * Triggering interleaving: the updater stores port = 8080 and is preempted at its
 * write(); the reader runs its read of both fields (8080, 81).
 * PCT depth 2: updater above reader, and the change point on that write.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct endpoint {
  volatile int port;
  volatile int tls_port; /* invariant: tls_port == port + 1 */
};

static struct endpoint ep = {80, 81};
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *updater(void *arg) {
  (void)arg;
  ep.port = 8080;
  ssize_t r = write(logfd, "endpoint: port moved\n", 21);
  (void)r;
  ep.tls_port = 8081;
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  ssize_t r = write(logfd, "reader: connecting\n", 19);
  (void)r;
  int port = ep.port, tls_port = ep.tls_port;
  if (tls_port != port + 1) bug("reader saw a half-updated endpoint");
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ssize_t started = write(logfd, "main: starting\n", 15); /* first write: not in a window */
  (void)started;
  pthread_t u, r;
  if (pthread_create(&u, NULL, updater, NULL) != 0) return 2;
  if (pthread_create(&r, NULL, reader, NULL) != 0) return 2;
  pthread_join(u, NULL);
  pthread_join(r, NULL);
  return 0;
}
