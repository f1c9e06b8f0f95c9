/* ravel classic corpus: queue_flag_fixed (twin of queue_flag; must always pass)
 *
 * The flag stays a cheap hint, but try_dequeue re-tests emptiness under the mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 8
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int items[CAP];
static int head, tail;
static volatile int nonempty;
static int taken;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void enqueue(int v) {
  pthread_mutex_lock(&m);
  items[tail++ % CAP] = v;
  nonempty = 1;
  pthread_mutex_unlock(&m);
}

static int try_dequeue(int *v) {
  int ok = 0;
  pthread_mutex_lock(&m);
  if (head != tail) {
    *v = items[head++ % CAP];
    nonempty = head != tail;
    taken++;
    ok = 1;
  }
  pthread_mutex_unlock(&m);
  return ok;
}

static void *consumer(void *arg) {
  (void)arg;
  int v;
  if (nonempty && try_dequeue(&v) && v != 42) bug("dequeued a wrong item");
  return NULL;
}

int main(void) {
  enqueue(42);
  pthread_t a, b;
  if (pthread_create(&a, NULL, consumer, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, consumer, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (taken != 1) bug("the item was taken twice or never");
  return 0;
}
