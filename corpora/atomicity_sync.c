/* ravel corpus: atomicity_sync (bug class: atomicity-sync, granularity: sync)
 *
 * A hit counter whose getter and setter each take the mutex, used as
 * `set_hits(get_hits() + 1)`. Every access is locked, but the increment is not atomic:
 * between get's unlock and set's lock another thread can increment, and that update is
 * lost. The window contains only pthread_mutex_unlock/pthread_mutex_lock and no
 * syscall: an uncontended glibc mutex makes none, and the mutex can only be contended
 * if its holder was preempted inside a critical section, which contains no syscall
 * either. So at syscall granularity the bug is unreachable; it needs sync granularity.
 *
 * Triggering interleaving (sync granularity): thread 1 runs get_hits() (reads 0) and is
 * preempted at the pthread_mutex_lock in set_hits(); thread 2 runs its whole increment
 * (hits = 1); thread 1 resumes and stores 0 + 1. Final count 1 instead of 2.
 * Fixed twin: atomicity_sync_fixed.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long hits;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static long get_hits(void) {
  pthread_mutex_lock(&m);
  long v = hits;
  pthread_mutex_unlock(&m);
  return v;
}

static void set_hits(long v) {
  pthread_mutex_lock(&m);
  hits = v;
  pthread_mutex_unlock(&m);
}

static void *worker(void *arg) {
  (void)arg;
  ssize_t r = write(logfd, "hit\n", 4);
  (void)r;
  set_hits(get_hits() + 1); /* two critical sections: not atomic */
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pthread_t a, b;
  if (pthread_create(&a, NULL, worker, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, worker, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (get_hits() != 2) bug("lost a hit: get and set were separate critical sections");
  return 0;
}
