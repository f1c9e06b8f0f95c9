/* ravel classic corpus: circular_buffer_fixed (twin of circular_buffer; must always pass)
 *
 * buf_try_put checks for room and puts in one critical section.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 2
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int buf[CAP];
static int head, tail, count;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static int buf_try_put(int v) {
  int ok = 0;
  pthread_mutex_lock(&m);
  if (count < CAP) {
    buf[tail] = v;
    tail = (tail + 1) % CAP;
    count++;
    ok = 1;
  }
  pthread_mutex_unlock(&m);
  return ok;
}

static int buf_get(void) {
  pthread_mutex_lock(&m);
  int v = -1;
  if (count > 0) {
    v = buf[head];
    head = (head + 1) % CAP;
    count--;
  }
  pthread_mutex_unlock(&m);
  return v;
}

static void *producer(void *arg) {
  buf_try_put((int)(long)arg);
  return NULL;
}

int main(void) {
  buf_try_put(100);
  pthread_t a, b;
  if (pthread_create(&a, NULL, producer, (void *)1L) != 0) return 2;
  if (pthread_create(&b, NULL, producer, (void *)2L) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (buf_get() != 100) bug("the oldest item was overwritten");
  int second = buf_get();
  if (second != 1 && second != 2) bug("the second item is neither producer's");
  if (buf_get() != -1) bug("more items than capacity");
  return 0;
}
