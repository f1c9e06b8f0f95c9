/* ravel corpus: lazy_init_race (bug class: lazy-init, granularity: syscall)
 *
 * Double-checked lazy initialisation of a registry. The initialiser sets the
 * `initialised` flag first (to make the fast path cheap) and builds the registry after,
 * opening its file on the way. A thread that reads the flag in that window takes the
 * unlocked fast path and gets a registry that does not exist yet.
 *
 * Triggering interleaving: worker 1 takes the slow path, sets initialised = 1 and is
 * preempted at the open() inside the initialiser (holding init_lock); worker 2 reads
 * initialised == 1 on the unlocked fast path and gets registry == NULL.
 * Fixed twin: lazy_init_race_fixed.c.
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
static struct registry *volatile registry;
static volatile int initialised;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static struct registry *get_registry(void) {
  if (!initialised) { /* unlocked fast path */
    pthread_mutex_lock(&init_lock);
    if (!initialised) {
      initialised = 1; /* published before the registry is built */
      storage.fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
      storage.capacity = 64;
      registry = &storage;
    }
    pthread_mutex_unlock(&init_lock);
  }
  return registry;
}

static void *worker(void *arg) {
  (void)arg;
  struct registry *r = get_registry();
  if (r == NULL) bug("fast path returned the registry before it was built");
  if (r->capacity != 64) bug("fast path returned a half-built registry");
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ssize_t n = write(logfd, "main: starting workers\n", 23);
  (void)n;
  pthread_t a, b;
  if (pthread_create(&a, NULL, worker, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, worker, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  return 0;
}
