/* ravel corpus: shutdown_race_fixed (twin of shutdown_race; must always pass)
 *
 * main sets `stop`, joins the worker, and only then closes the fd.
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
  pthread_join(t, NULL); /* fixed: wait for the worker before releasing its fd */
  close(out_fd);
  return 0;
}
