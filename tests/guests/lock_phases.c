// Sync points before and after a process's first thread (the shim's single-thread rule).
// The program forks first (so that the child's calls come after the run's first clone,
// from which on every point counts); the child, the only thread of its process:
//   1. makes 10 lock/unlock pairs of a private mutex, a condition signal and broadcast,
//      a pthread_once and a read-write lock pair: no sync point;
//   2. still alone: 3 lock/unlock pairs of a process-shared mutex: 6 points;
//   3. starts a worker and joins it (2 points), then 4 more pairs of the private mutex:
//      8 points. The worker makes no pthread call.
// So the child's first thread makes 16 sync points in all. The parent waits for it and
// prints "done".
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t private_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int counter;

static void Init(void) { ++counter; }

static void* Worker(void* arg) {
  (void)arg;
  return 0;
}

static void Pairs(pthread_mutex_t* m, int n) {
  for (int i = 0; i < n; ++i) {
    pthread_mutex_lock(m);
    ++counter;
    pthread_mutex_unlock(m);
  }
}

static int Child(void) {
  Pairs(&private_lock, 10);
  pthread_cond_signal(&cond);
  pthread_cond_broadcast(&cond);
  pthread_once(&once, Init);
  pthread_rwlock_rdlock(&rw);
  pthread_rwlock_unlock(&rw);

  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_t shared_lock;
  pthread_mutex_init(&shared_lock, &attr);
  Pairs(&shared_lock, 3);

  pthread_t t;
  if (pthread_create(&t, 0, Worker, 0) != 0) return 2;
  pthread_join(t, 0);
  Pairs(&private_lock, 4);
  return counter == 18 ? 0 : 1;
}

int main(void) {
  const pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) _exit(Child());
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  printf("done\n");
  return 0;
}
