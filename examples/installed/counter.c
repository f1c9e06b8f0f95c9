// Two threads add to a counter, each reading it, writing a log line (a syscall: a
// scheduling point), then storing the sum. Without LOCKED an update can be lost.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void* add(void* arg) {
#ifdef LOCKED
  pthread_mutex_lock(&lock);
#endif
  int seen = counter;
  if (write(1, "adding\n", 7) != 7) return NULL;
  counter = seen + 1;
#ifdef LOCKED
  pthread_mutex_unlock(&lock);
#endif
  return NULL;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, add, NULL);
  pthread_create(&b, NULL, add, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("counter %d\n", counter);
  return counter == 2 ? 0 : 1;
}
