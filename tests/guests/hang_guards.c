// Correct programs with hang guards: a timeout that must never fire while the threads it
// guards could still run. Time chaos must model plausible delays only, so none of these
// fails under ravel, whatever the seed.
//   join     main joins a worker with a 30 s timeout (pthread_timedjoin_np)
//   watchdog a watchdog thread fails the run if main is not done in 2 minutes
//   barrier  three threads meet at a barrier whose waits time out after 2 s
// Each also has a ticker thread sleeping in short steps, so that deadlines near and far
// coexist with runnable threads, as in a real test suite.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int devnull;
static volatile int stop;

static void work(int n) {
  for (int i = 0; i < n; ++i) {
    ssize_t r = write(devnull, "x", 1);
    (void)r;
  }
}

static void* ticker(void* arg) {
  (void)arg;
  while (!stop) usleep(2000);
  return NULL;
}

static void* worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 20; ++i) {
    work(5);
    if (i % 5 == 0) usleep(100);
  }
  return NULL;
}

static int join_guard(void) {
  pthread_t w;
  pthread_create(&w, NULL, worker, NULL);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 30;
  int r = pthread_timedjoin_np(w, NULL, &deadline);
  if (r != 0) {
    printf("join: failed to join the worker in 30 seconds (%s)\n", strerror(r));
    return 1;
  }
  printf("join: joined\n");
  return 0;
}

static void* watchdog(void* arg) {
  (void)arg;
  struct timespec two_minutes = {120, 0};
  nanosleep(&two_minutes, NULL);
  printf("watchdog: fired after 2 minutes\n");
  fflush(stdout);
  _exit(1);
}

static int watchdog_guard(void) {
  pthread_t d, w;
  pthread_create(&d, NULL, watchdog, NULL);
  pthread_detach(d);
  pthread_create(&w, NULL, worker, NULL);
  work(50);
  pthread_join(w, NULL);
  printf("watchdog: done in time\n");
  return 0;
}

static pthread_mutex_t barrier_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t barrier_cond;
static int arrived;
static volatile int broken;

static void* party(void* arg) {
  work(10 + (int)(long)arg * 10);
  usleep(200);
  work(10);
  pthread_mutex_lock(&barrier_lock);
  if (++arrived == 3) {
    pthread_cond_broadcast(&barrier_cond);
  } else {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 2;
    while (arrived < 3) {
      if (pthread_cond_timedwait(&barrier_cond, &barrier_lock, &deadline) == ETIMEDOUT) {
        broken = 1;
        break;
      }
    }
  }
  pthread_mutex_unlock(&barrier_lock);
  return NULL;
}

static int barrier_guard(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&barrier_cond, &attr);
  pthread_t p[3];
  for (long i = 0; i < 3; ++i) pthread_create(&p[i], NULL, party, (void*)i);
  for (int i = 0; i < 3; ++i) pthread_join(p[i], NULL);
  printf(broken ? "barrier: broken (a wait timed out after 2 s)\n" : "barrier: all three met\n");
  return broken;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: hang_guards join|watchdog|barrier\n");
    return 2;
  }
  devnull = open("/dev/null", O_WRONLY);
  pthread_t t;
  pthread_create(&t, NULL, ticker, NULL);
  int r = 2;
  if (strcmp(argv[1], "join") == 0) r = join_guard();
  else if (strcmp(argv[1], "watchdog") == 0) r = watchdog_guard();
  else if (strcmp(argv[1], "barrier") == 0) r = barrier_guard();
  stop = 1;
  pthread_join(t, NULL);
  return r;
}
