/* ravel corpus: lost_wakeup_fixed (twin of lost_wakeup; must always pass)
 *
 * The flag is tested under the mutex, in a while loop around pthread_cond_wait, so a
 * signal sent before the consumer waits is never needed: the consumer sees the flag.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static int data;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void log_line(const char *s) {
  ssize_t r = write(logfd, s, strlen(s));
  (void)r;
}

static void *consumer(void *arg) {
  (void)arg;
  log_line("consumer: waiting for data\n");
  pthread_mutex_lock(&m);
  while (!ready) pthread_cond_wait(&cv, &m);
  pthread_mutex_unlock(&m);
  if (data != 42) bug("consumer woke up without the data");
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  log_line("main: starting\n"); /* first write of the process: not in a window */
  pthread_t t;
  if (pthread_create(&t, NULL, consumer, NULL) != 0) return 2;
  data = 42;
  pthread_mutex_lock(&m);
  ready = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&m);
  pthread_join(t, NULL);
  return 0;
}
