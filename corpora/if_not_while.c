/* ravel corpus: if_not_while (bug class: if-not-while, granularity: syscall)
 *
 * Two consumers take items from a counter-queue filled by main. A consumer that finds
 * the queue empty waits on a condition variable, but re-tests the condition with `if`
 * instead of `while`. When a second consumer takes the item between the signal and
 * the woken consumer getting the mutex back, the woken one consumes from an empty
 * queue.
 *
 * Triggering interleaving: consumer 1 runs first, finds items == 0 and blocks in
 * pthread_cond_wait (futex wait). Consumer 2 is started and preempted at its write()
 * ("consumer ready"), before taking the mutex. main produces item 1: lock, items = 1,
 * pthread_cond_signal (futex wake: consumer 1 becomes runnable), unlock, and is
 * preempted at its write() ("produced"). Consumer 2 is scheduled before consumer 1:
 * it takes the item (items = 0). Consumer 1 then returns from pthread_cond_wait and
 * finds items == 0.
 * Fixed twin: if_not_while_fixed.c.
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
  if (items == 0) /* should be: while (items == 0) */
    pthread_cond_wait(&nonempty, &m);
  if (items == 0) bug("consumer woke up to an empty queue: the other consumer took its item");
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
    pthread_cond_signal(&nonempty);
    pthread_mutex_unlock(&m);
    log_line("produced\n");
  }
  pthread_join(c1, NULL);
  pthread_join(c2, NULL);
  return 0;
}
