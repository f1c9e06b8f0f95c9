// Two threads take two mutexes in opposite orders, with a sleep in between: under ravel
// the sleeps are virtual and the run deadlocks; ravel must report it (exit 3).
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void* Other(void* arg) {
  pthread_mutex_lock(&a);
  usleep(1000);
  pthread_mutex_lock(&b);
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, Other, NULL);
  pthread_mutex_lock(&b);
  usleep(1000);
  pthread_mutex_lock(&a);
  pthread_join(t, NULL);
  return 0;
}
