// glibc's plain mutexes (normal, recursive, error-checking) as a program sees them: owner,
// recursion count and user count, the error codes, a condition wait's unlock and relock,
// and contended counters. Under ravel the sync shim locks these itself (sync_shim.c,
// "glibc's lock word"); the output must be the same as natively.
//   mutex_kinds    prints one line per check, "counters N N", and the checks of a forked
//                  child (its recursive mutex's owner is the child's thread)
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t normal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t recursive;
static pthread_mutex_t checked;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready, woken_owner_ok;
static long plain_count, recursive_count;

static int Owner(const pthread_mutex_t* m) { return m->__data.__owner; }

static void* Other(void* arg) {
  (void)arg;
  // Held by main: not ours to unlock, not free to take.
  printf("recursive unlock by another thread: %s\n", pthread_mutex_unlock(&recursive) == EPERM ? "EPERM" : "?");
  printf("recursive trylock by another thread: %s\n", pthread_mutex_trylock(&recursive) == EBUSY ? "EBUSY" : "?");
  return NULL;
}

static void* Waiter(void* arg) {
  (void)arg;
  pthread_mutex_lock(&normal);
  while (!ready) pthread_cond_wait(&cond, &normal);
  woken_owner_ok = Owner(&normal) == gettid();
  pthread_mutex_unlock(&normal);
  return NULL;
}

static void* Nothing(void* arg) { return arg; }

static void* Count(void* arg) {
  (void)arg;
  for (int i = 0; i < 300; ++i) {
    pthread_mutex_lock(&normal);
    long seen = plain_count;
    sched_yield();
    plain_count = seen + 1;
    pthread_mutex_unlock(&normal);
    pthread_mutex_lock(&recursive);
    pthread_mutex_lock(&recursive);
    seen = recursive_count;
    sched_yield();
    recursive_count = seen + 1;
    pthread_mutex_unlock(&recursive);
    pthread_mutex_unlock(&recursive);
  }
  return NULL;
}

int main(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&recursive, &attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&checked, &attr);

  // A condition wait: the waiter's mutex is unlocked inside glibc and taken again there.
  pthread_t waiter;
  pthread_create(&waiter, NULL, Waiter, NULL);
  for (int i = 0; i < 5; ++i) sched_yield();
  pthread_mutex_lock(&normal);
  ready = 1;
  pthread_cond_signal(&cond);
  pthread_mutex_unlock(&normal);
  pthread_join(waiter, NULL);
  printf("woken waiter owns the mutex: %s\n", woken_owner_ok ? "yes" : "no");

  pthread_mutex_lock(&normal);
  printf("normal: owner is me %s, users %u\n", Owner(&normal) == gettid() ? "yes" : "no", normal.__data.__nusers);
  printf("normal: destroy while held: %s\n", pthread_mutex_destroy(&normal) == EBUSY ? "EBUSY" : "?");
  pthread_mutex_unlock(&normal);
  printf("normal: owner after unlock %d, users %u\n", Owner(&normal), normal.__data.__nusers);

  for (int i = 0; i < 3; ++i) pthread_mutex_lock(&recursive);
  printf("recursive: count %u, owner is me %s\n", recursive.__data.__count,
         Owner(&recursive) == gettid() ? "yes" : "no");
  pthread_t other;
  pthread_create(&other, NULL, Other, NULL);
  pthread_join(other, NULL);
  for (int i = 0; i < 3; ++i) pthread_mutex_unlock(&recursive);
  printf("recursive: unlocked thrice: count %u, owner %d, one more unlock: %s\n", recursive.__data.__count,
         Owner(&recursive), pthread_mutex_unlock(&recursive) == EPERM ? "EPERM" : "?");

  pthread_mutex_lock(&checked);
  printf("errorcheck: relock: %s\n", pthread_mutex_lock(&checked) == EDEADLK ? "EDEADLK" : "?");
  pthread_mutex_unlock(&checked);
  printf("errorcheck: unlock of a free mutex: %s\n", pthread_mutex_unlock(&checked) == EPERM ? "EPERM" : "?");

  pthread_t counters[3];
  for (int i = 0; i < 3; ++i) pthread_create(&counters[i], NULL, Count, NULL);
  for (int i = 0; i < 3; ++i) pthread_join(counters[i], NULL);
  printf("counters %ld %ld\n", plain_count, recursive_count);
  fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    pthread_t t;
    pthread_create(&t, NULL, Nothing, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&recursive);
    pthread_mutex_lock(&recursive);
    printf("child: recursive count %u, owner is me %s\n", recursive.__data.__count,
           Owner(&recursive) == gettid() ? "yes" : "no");
    pthread_mutex_unlock(&recursive);
    pthread_mutex_unlock(&recursive);
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  printf("destroy: %d %d %d\n", pthread_mutex_destroy(&normal), pthread_mutex_destroy(&recursive),
         pthread_mutex_destroy(&checked));
  return 0;
}
