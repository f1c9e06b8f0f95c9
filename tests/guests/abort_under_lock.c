// A thread calls abort() (a failed assert) while others wait for the mutex it holds.
// The run's outcome is the abort, every time: the threads still waiting are not in a
// deadlock, since the whole process is dying.
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int items, flag;
static void* producer(void* a) {
  for (int i = 0; i < 5; i++) {
    pthread_mutex_lock(&m);
    items++;
    flag = 1;
    pthread_mutex_unlock(&m);
  }
  return 0;
}
static void* consumer(void* a) {
  for (int i = 0; i < 5; i++) {
    pthread_mutex_lock(&m);
    if (flag) {
      assert(items > 0);
      items--;
      if (!items) flag = 0;
    }
    pthread_mutex_unlock(&m);
  }
  return 0;
}
static void* consumer2(void* a) {
  for (int i = 0; i < 5; i++) {
    pthread_mutex_lock(&m);
    if (flag) {
      items--;
    }
    pthread_mutex_unlock(&m);
  }
  return 0;
}
int main(void) {
  pthread_t a, b, c;
  pthread_create(&a, 0, producer, 0);
  pthread_create(&b, 0, consumer, 0);
  pthread_create(&c, 0, consumer2, 0);
  pthread_join(a, 0);
  pthread_join(b, 0);
  pthread_join(c, 0);
  return 0;
}
