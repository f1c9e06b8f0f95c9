/* ravel corpus: atomicity_sync_fixed (twin of atomicity_sync; must always pass)
 *
 * The increment is one critical section.
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

static void add_hit(void) {
  pthread_mutex_lock(&m);
  hits = hits + 1;
  pthread_mutex_unlock(&m);
}

static void *worker(void *arg) {
  (void)arg;
  ssize_t r = write(logfd, "hit\n", 4);
  (void)r;
  add_hit();
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pthread_t a, b;
  if (pthread_create(&a, NULL, worker, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, worker, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (get_hits() != 2) bug("lost a hit");
  return 0;
}
