/* ravel classic corpus: lazy_init_lock (bug class: lazy-init, granularity: sync)
 *
 * Classic lock-based lazy initialisation with the check outside the lock: get_cache()
 * tests `cache == NULL` without the mutex and then builds the cache under it, without
 * testing again. Two threads that both see NULL build it twice; the second build
 * replaces the first, and an entry a thread put in the first one is lost. The window
 * between the unlocked test (a plain load) and the lock holds only the
 * pthread_mutex_lock, no syscall: sync granularity. (The corpus's lazy_init_race is
 * the other classic variant: double-checked, flag published too early.)
 *
 * Triggering interleaving (sync granularity): thread 1 sees cache == NULL and is
 * preempted at pthread_mutex_lock; thread 2 sees NULL, builds cache #1 and adds its
 * entry; thread 1 builds cache #2 over it: two builds, thread 2's entry gone.
 * Fixed twin: lazy_init_lock_fixed.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct cache {
  int entries;
};

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache storage[2];
static struct cache *volatile cache;
static int builds;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static struct cache *get_cache(void) {
  if (cache == NULL) { /* unlocked test, not repeated under the lock */
    pthread_mutex_lock(&init_lock);
    struct cache *c = &storage[builds < 2 ? builds : 1];
    builds++;
    c->entries = 0;
    cache = c;
    pthread_mutex_unlock(&init_lock);
  }
  return cache;
}

static void *worker(void *arg) {
  (void)arg;
  struct cache *c = get_cache();
  pthread_mutex_lock(&cache_lock);
  c->entries++;
  pthread_mutex_unlock(&cache_lock);
  return NULL;
}

int main(void) {
  pthread_t a, b;
  if (pthread_create(&a, NULL, worker, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, worker, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (builds != 1) bug("the lazily initialised cache was built twice: the NULL test was outside the lock");
  if (cache->entries != 2) bug("an entry was lost");
  return 0;
}
