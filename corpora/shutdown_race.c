/* ravel corpus: shutdown_race (bug class: shutdown-race, granularity: syscall)
 *
 * A worker writes a few records to an output fd, checking a `stop` flag before each.
 * main, shutting down, sets `stop` and closes the fd without joining the worker first.
 * A worker that passed the check just before `stop` was set writes to a closed fd.
 * Natively main usually closes before the worker even starts (it then sees `stop`).
 *
 * Triggering interleaving: the worker reads stop == 0 and is preempted at its write()
 * to out_fd; main sets stop = 1 and runs close(out_fd); the worker's write() then fails
 * with EBADF.
 * Fixed twin: shutdown_race_fixed.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int stop;
static int out_fd;
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
  for (int i = 0; i < 3; i++) {
    if (stop) break;
    if (write(out_fd, "record\n", 7) < 0 && errno == EBADF)
      bug("worker wrote to an fd that main had already closed");
  }
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 2;
  for (int i = 0; i < 5; i++) log_line("main: finishing up\n");
  stop = 1;
  close(out_fd); /* BUG: the worker may still be using it */
  pthread_join(t, NULL);
  return 0;
}
