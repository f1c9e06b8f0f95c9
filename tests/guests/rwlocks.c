// glibc's default read-write locks as a program sees them. Under ravel the sync shim locks
// them itself (sync_shim.c, "glibc's read-write lock"); the output must be the same as
// natively.
//   rwlocks THREADS N   THREADS threads each make N acquisitions of one of three locks in
//                       turn: every third a write lock (no one else inside; the lock's
//                       count goes up), the others read locks (no writer inside), now and
//                       then a trylock; each yields inside to let others contend. Then the
//                       error codes of a write lock held twice and a read lock under it.
//                       Prints "rwlocks ok COUNT" (COUNT: the write locks made) or what
//                       broke, then the error codes.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

enum { kLocks = 3 };

static pthread_rwlock_t locks[kLocks] = {PTHREAD_RWLOCK_INITIALIZER, PTHREAD_RWLOCK_INITIALIZER,
                                         PTHREAD_RWLOCK_INITIALIZER};
static int readers_in[kLocks], writers_in[kLocks];
static long writes[kLocks];
static int broken;
static int per_thread;

static void* Worker(void* arg) {
  const long id = (long)arg;
  for (int i = 0; i < per_thread; ++i) {
    const int which = (int)((id + i) % kLocks);
    pthread_rwlock_t* const l = &locks[which];
    if ((id + i) % 3 == 0) {
      if (i % 7 == 0 ? pthread_rwlock_trywrlock(l) != 0 && pthread_rwlock_wrlock(l) != 0 : pthread_rwlock_wrlock(l) != 0) {
        __atomic_store_n(&broken, 1, __ATOMIC_RELAXED);
        continue;
      }
      if (__atomic_add_fetch(&writers_in[which], 1, __ATOMIC_RELAXED) != 1 ||
          __atomic_load_n(&readers_in[which], __ATOMIC_RELAXED) != 0) {
        __atomic_store_n(&broken, 1, __ATOMIC_RELAXED);
      }
      sched_yield();
      ++writes[which];
      __atomic_sub_fetch(&writers_in[which], 1, __ATOMIC_RELAXED);
    } else {
      if (i % 5 == 0 ? pthread_rwlock_tryrdlock(l) != 0 && pthread_rwlock_rdlock(l) != 0 : pthread_rwlock_rdlock(l) != 0) {
        __atomic_store_n(&broken, 1, __ATOMIC_RELAXED);
        continue;
      }
      __atomic_add_fetch(&readers_in[which], 1, __ATOMIC_RELAXED);
      if (__atomic_load_n(&writers_in[which], __ATOMIC_RELAXED) != 0) __atomic_store_n(&broken, 1, __ATOMIC_RELAXED);
      sched_yield();
      __atomic_sub_fetch(&readers_in[which], 1, __ATOMIC_RELAXED);
    }
    if (pthread_rwlock_unlock(l) != 0) __atomic_store_n(&broken, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 4;
  per_thread = argc > 2 ? atoi(argv[2]) : 300;
  if (threads < 1 || threads > 64 || per_thread < 1) {
    fprintf(stderr, "usage: rwlocks THREADS(1-64) N\n");
    return 2;
  }
  pthread_t t[64];
  for (long i = 0; i < threads; ++i) pthread_create(&t[i], NULL, Worker, (void*)i);
  for (int i = 0; i < threads; ++i) pthread_join(t[i], NULL);
  long total = 0;
  for (int i = 0; i < kLocks; ++i) total += writes[i];
  if (broken) {
    printf("rwlocks BROKEN\n");
  } else {
    printf("rwlocks ok %ld\n", total);
  }
  pthread_rwlock_wrlock(&locks[0]);
  printf("write lock held twice: %s\n", pthread_rwlock_wrlock(&locks[0]) == EDEADLK ? "EDEADLK" : "?");
  printf("read lock under it: %s\n", pthread_rwlock_rdlock(&locks[0]) == EDEADLK ? "EDEADLK" : "?");
  pthread_rwlock_unlock(&locks[0]);
  printf("read lock then: %d\n", pthread_rwlock_rdlock(&locks[0]));
  pthread_rwlock_unlock(&locks[0]);
  return broken ? 1 : 0;
}
