/* ravel corpus: if_not_while_fixed (twin of if_not_while; must always pass)
 *
 * The consumers re-test the queue in a while loop. main broadcasts instead of
 * signalling: with the while loop a broadcast is always correct, and it does not rely
 * on which waiter a signal reaches. Two items for two consumers: each consumer takes
 * exactly one, and every consumer that waits is woken by a later production.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER;
static int items;
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
  log_line("consumer ready\n");
  pthread_mutex_lock(&m);
  while (items == 0) pthread_cond_wait(&nonempty, &m);
  if (items == 0) bug("consumer woke up to an empty queue");
  items--;
  pthread_mutex_unlock(&m);
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  log_line("main: starting\n"); /* first write of the process: not in a window */
  pthread_t c1, c2;
  if (pthread_create(&c1, NULL, consumer, NULL) != 0) return 2;
  if (pthread_create(&c2, NULL, consumer, NULL) != 0) return 2;
  for (int k = 0; k < 2; k++) {
    pthread_mutex_lock(&m);
    items++;
    pthread_cond_broadcast(&nonempty);
    pthread_mutex_unlock(&m);
    log_line("produced\n");
  }
  pthread_join(c1, NULL);
  pthread_join(c2, NULL);
  if (items != 0) bug("items left over");
  return 0;
}
