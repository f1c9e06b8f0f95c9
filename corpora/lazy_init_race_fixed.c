/* ravel corpus: lazy_init_race_fixed (twin of lazy_init_race; must always pass)
 *
 * pthread_once runs the initialiser exactly once; a second caller that arrives while
 * it runs (preempted at its open()) waits for it to finish.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct registry {
  int fd;
  int capacity;
};

static struct registry storage;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static volatile int init_runs;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void build_registry(void) {
  init_runs++;
  storage.fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  storage.capacity = 64;
}

static struct registry *get_registry(void) {
  pthread_once(&once, build_registry);
  return &storage;
}

static void *worker(void *arg) {
  (void)arg;
  struct registry *r = get_registry();
  if (r->capacity != 64) bug("got a half-built registry");
  return NULL;
}

int main(void) {
  pthread_t a, b;
  if (pthread_create(&a, NULL, worker, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, worker, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (init_runs != 1) bug("initialiser ran more than once");
  return 0;
}
