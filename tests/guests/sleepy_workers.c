// Sleep-heavy and threaded: four workers sleep and update a counter under a mutex, and
// signal a condition variable; main waits for all with a timed wait. Deterministic output.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;

static void* Worker(void* arg) {
  long i = (long)arg;
  for (int k = 0; k < 5; ++k) usleep(1000 * (i + 1));
  pthread_mutex_lock(&mu);
  ++done;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(void) {
  pthread_t t[4];
  for (long i = 0; i < 4; ++i) pthread_create(&t[i], NULL, Worker, (void*)i);
  pthread_mutex_lock(&mu);
  while (done < 4) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 1;
    pthread_cond_timedwait(&cv, &mu, &deadline);
  }
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
  printf("done %d\n", done);
  return 0;
}
