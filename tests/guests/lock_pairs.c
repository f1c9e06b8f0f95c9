// Sync points for the fast path's tests (scheduler/lease.h).
//   lock_pairs pairs THREADS N   THREADS threads each make N lock/unlock pairs of one
//                                mutex, then signal a condition main waits on; prints the
//                                total ("total 4000").
//   lock_pairs prof N            two threads make lock/unlock pairs while ITIMER_PROF sends
//                                SIGPROF every 50 us of CPU time (the kernel's timer: the
//                                signals land anywhere, in the shim too), until 50 signals
//                                have come (at most N pairs each); prints "total ok" when
//                                every pair was counted, "signals yes" when 50 came, and
//                                the number of pairs ("pairs 81234").
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static long per_thread;
static long total;
static int done;
static volatile sig_atomic_t signals;
static int until_signals;  // prof: stop once this many signals came
static long pairs_made;

static void* Worker(void* arg) {
  (void)arg;
  long mine = 0;
  for (long i = 0; i < per_thread && (until_signals == 0 || signals < until_signals); ++i) {
    pthread_mutex_lock(&lock);
    ++total;
    pthread_mutex_unlock(&lock);
    ++mine;
  }
  pthread_mutex_lock(&lock);
  pairs_made += mine;
  pthread_mutex_unlock(&lock);
  pthread_mutex_lock(&lock);
  ++done;
  pthread_cond_signal(&done_cond);
  pthread_mutex_unlock(&lock);
  return 0;
}

static void OnProf(int sig) {
  (void)sig;
  signals = signals + 1;
}

static int Run(int threads) {
  pthread_t t[64];
  for (int i = 0; i < threads; ++i) {
    if (pthread_create(&t[i], 0, Worker, 0) != 0) return 2;
  }
  pthread_mutex_lock(&lock);
  while (done < threads) pthread_cond_wait(&done_cond, &lock);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < threads; ++i) pthread_join(t[i], 0);
  if (until_signals != 0) {
    printf("total %s\n", total == pairs_made ? "ok" : "lost");
    return total == pairs_made ? 0 : 1;
  }
  printf("total %ld\n", total);
  return total == per_thread * threads ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "pairs") == 0) {
    int threads = atoi(argv[2]);
    if (threads < 1 || threads > 64) return 2;
    per_thread = atol(argv[3]);
    return Run(threads);
  }
  if (argc == 3 && strcmp(argv[1], "prof") == 0) {
    per_thread = atol(argv[2]);
    until_signals = 50;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = OnProf;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPROF, &sa, 0);
    struct itimerval every = {{0, 50}, {0, 50}};
    setitimer(ITIMER_PROF, &every, 0);
    int rc = Run(2);
    struct itimerval off;
    memset(&off, 0, sizeof(off));
    setitimer(ITIMER_PROF, &off, 0);
    printf("signals %s\npairs %ld\n", signals >= until_signals ? "yes" : "no", pairs_made);
    return rc;
  }
  fprintf(stderr, "usage: lock_pairs pairs THREADS N | lock_pairs prof N\n");
  return 2;
}
