/* ravel corpus: atomic_flag_race_fixed (twin of atomic_flag_race; must always pass)
 *
 * The claim is one compare-and-exchange: exactly one worker turns 0 into 1.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_int claimed;
static atomic_int owners;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *worker(void *arg) {
  (void)arg;
  ssize_t r = write(logfd, "worker: trying to claim\n", 24);
  (void)r;
  int expected = 0;
  if (atomic_compare_exchange_strong(&claimed, &expected, 1)) atomic_fetch_add(&owners, 1);
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pthread_t a, b;
  if (pthread_create(&a, NULL, worker, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, worker, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (atomic_load(&owners) != 1) bug("the one-time job was claimed twice or never");
  return 0;
}
