/* ravel corpus: lost_wakeup (bug class: lost-wakeup, granularity: syscall, expected: deadlock)
 *
 * The consumer tests the `ready` flag without holding the mutex, logs that it is going
 * to wait, and then waits on the condition variable without re-checking the flag. If
 * the producer sets the flag and signals inside that window, the signal reaches nobody
 * and the consumer waits forever (main waits forever in pthread_join).
 *
 * Triggering interleaving: main is preempted after the clone (at the rt_sigprocmask
 * that ends pthread_create) and the consumer runs: it reads ready == 0 and is preempted
 * at its write() ("waiting"); main locks, sets ready, signals (no waiter yet: no futex
 * wake), unlocks and blocks in pthread_join; the consumer resumes, locks and blocks in
 * pthread_cond_wait's futex wait. Every thread is blocked: a deadlock.
 * Natively the consumer almost always starts after the signal and skips the wait.
 * Fixed twin: lost_wakeup_fixed.c.
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
static volatile int ready;
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
  if (!ready) { /* flag checked outside the lock */
    log_line("consumer: waiting for data\n");
    pthread_mutex_lock(&m);
    pthread_cond_wait(&cv, &m); /* no predicate loop: an earlier signal is lost */
    pthread_mutex_unlock(&m);
  }
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
