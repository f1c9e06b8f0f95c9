// The tiny two-thread guest of bench/stress_throughput.py: main starts one thread, both
// add to a counter under a mutex, main joins and exits 0. No output.
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int counter;

static void* worker(void* arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  ++counter;
  pthread_mutex_unlock(&lock);
  return 0;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, 0, worker, 0) != 0) return 2;
  pthread_mutex_lock(&lock);
  ++counter;
  pthread_mutex_unlock(&lock);
  pthread_join(t, 0);
  return counter == 2 ? 0 : 1;
}
