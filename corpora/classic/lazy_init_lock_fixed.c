/* ravel classic corpus: lazy_init_lock_fixed (twin of lazy_init_lock; must always pass)
 *
 * get_cache() tests for NULL under the mutex (the plain lock-based lazy init).
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
static struct cache *cache;
static int builds;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static struct cache *get_cache(void) {
  pthread_mutex_lock(&init_lock);
  if (cache == NULL) {
    struct cache *c = &storage[builds < 2 ? builds : 1];
    builds++;
    c->entries = 0;
    cache = c;
  }
  struct cache *c = cache;
  pthread_mutex_unlock(&init_lock);
  return c;
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
  if (builds != 1) bug("the lazily initialised cache was built twice");
  if (cache->entries != 2) bug("an entry was lost");
  return 0;
}
