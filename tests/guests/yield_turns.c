// Yields for the in-guest hand-off's tests (scheduler/handoff.h). THREADS threads each take
// N turns: a turn adds the thread's number to a sum, mixes it into a hash of the order of
// turns, and calls sched_yield. The hash depends on the schedule, so two runs print the
// same line only if their threads took their turns in the same order.
//   yield_turns turns THREADS N    prints "sum S order H turns T"
//   yield_turns prof THREADS N     the same while ITIMER_PROF sends SIGPROF every 50 us of
//                                  CPU time (the signals land on any thread, one waiting
//                                  for its turn too), until 20 have come; prints
//                                  "sum ok signals yes turns T" (T: the yields made)
//   yield_turns fork THREADS N     thread 1 forks halfway; the child (no exec) takes turns
//                                  with two threads of its own and prints "child sum ...",
//                                  then the parent waits for it and prints its own line
//   yield_turns exec THREADS N     thread 1 execs "yield_turns turns 2 N" halfway
//   yield_turns spawn THREADS N    thread 1 runs /bin/true with posix_spawn (a vfork) halfway
//   yield_turns abort THREADS N    thread 1 calls abort() halfway
//   yield_turns sigsys THREADS N   with a SIGSYS handler installed and every signal blocked
//   yield_turns locks THREADS N    each turn holds one of three futex locks made as GLib's
//                                  GMutex makes them (its futex calls through syscall()),
//                                  across the yield: the scheduler's calls through the page
//   yield_turns errno THREADS N    thread 0 checks syscall()'s answers halfway (the shim's own
//                                  syscall(), with futex calls through the page): a bad fd,
//                                  a futex wake of nobody, a wait on a changed word, a wait
//                                  that times out; prints them with errno, as natively
//   yield_turns rawlocks THREADS N as "locks", with each futex call made by a bare syscall
//                                  instruction that sets only the registers of its arguments
//                                  (as glibc's own lock code makes them): a value the shim
//                                  left in another register reaches the kernel with it
//   yield_turns mutexes THREADS N  each turn holds one of three recursive pthread mutexes,
//                                  taken twice (as GLib's GRecMutex), across the yield:
//                                  the pthread markers through the page, and glibc's own
//                                  futex calls right after them
//   yield_turns lockprof THREADS N the same under ITIMER_PROF's SIGPROF, as "prof" (the
//                                  signals land on threads waiting for a lock, a wake or a
//                                  turn); prints "sum ok signals yes turns T"
//   yield_turns mutexprof THREADS N the same with "mutexes" (the signals land on threads
//                                  waiting for a marker's turn too)
//   yield_turns own THREADS N      each turn takes and releases a pthread mutex of its own
//                                  twice (nobody contends for it) before its yield: pthread
//                                  markers in every turn of a plan
//   yield_turns ownprof THREADS N  the same under ITIMER_PROF's SIGPROF, as "prof" (the
//                                  signals land on threads in the middle of their markers)
//   yield_turns wakes THREADS N    as "locks", but only every fourth turn holds its lock
//                                  across the yield; the others take and release it before
//                                  their yield: futex waits and wakes (of a waiter or of
//                                  nobody) in a plan's turns
//   yield_turns wakeprof THREADS N the same under ITIMER_PROF's SIGPROF, as "prof" (the
//                                  signals land on threads that wait on a lock in a turn)
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static const char* mode;
static const char* self;
static long per_thread;
static long sum, turns;
static unsigned long long order = 1469598103934665603ull;
static volatile sig_atomic_t signals;
static pid_t child;
static long taken[64];  // turns per thread (each written by its own thread only)

static void OnProf(int sig) {
  (void)sig;
  ++signals;
}

static void OnSys(int sig) { (void)sig; }

static int profiled;            // "prof", "lockprof" and "mutexprof"

static void* Turns(void* arg);

static int locked;              // "locks", "rawlocks" and "lockprof"
static int raw;                 // "rawlocks"
static unsigned lock_words[3];
static int recursive;           // "mutexes"
static pthread_mutex_t mutexes[3];
static int own;                 // "own" and "ownprof"
static int brief;               // "wakes"
static pthread_mutex_t own_mutexes[64];

// futex(w, op, val, NULL) as glibc's lll_futex_wait and lll_futex_wake make it: r8 and r9
// keep whatever they held.
static long BareFutex(unsigned* w, int op, unsigned val) {
  long ret;
  register long r10 __asm__("r10") = 0;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"((long)SYS_futex), "D"(w), "S"((long)op), "d"((long)val), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

static void FutexCall(unsigned* w, int op, unsigned val) {
  if (raw) {
    BareFutex(w, op, val);
  } else if (op == FUTEX_WAIT_PRIVATE) {
    syscall(SYS_futex, w, op, val, NULL);
  } else {
    syscall(SYS_futex, w, op, val);
  }
}

static void Lock(unsigned* w) {
  if (__atomic_fetch_add(w, 1, __ATOMIC_ACQUIRE) == 0) return;
  while (__atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE) != 0) FutexCall(w, FUTEX_WAIT_PRIVATE, 2);
}

static void Unlock(unsigned* w) {
  if (__atomic_exchange_n(w, 0, __ATOMIC_RELEASE) != 1) FutexCall(w, FUTEX_WAKE_PRIVATE, 1);
}

static void Halfway(long id) {
  if (id != 1) return;
  if (strcmp(mode, "fork") == 0) {
    fflush(stdout);
    child = fork();
    if (child == 0) {
      // The forking thread alone, with its process's copy of everything: two new threads.
      mode = "turns";
      sum = turns = 0;
      order = 1469598103934665603ull;
      pthread_t t[2];
      for (long i = 0; i < 2; ++i) pthread_create(&t[i], NULL, Turns, (void*)i);
      for (long i = 0; i < 2; ++i) pthread_join(t[i], NULL);
      printf("child sum %ld order %llx turns %ld\n", sum, order, turns);
      fflush(stdout);
      _exit(0);
    }
  } else if (strcmp(mode, "exec") == 0) {
    char n[32];
    snprintf(n, sizeof(n), "%ld", per_thread);
    execl(self, self, "turns", "2", n, (char*)NULL);
    _exit(127);
  } else if (strcmp(mode, "spawn") == 0) {
    char* argv[] = {"/bin/true", NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) == 0) waitpid(pid, NULL, 0);
  } else if (strcmp(mode, "abort") == 0) {
    abort();
  }
}

static void CheckSyscall(void) {
  unsigned word = 1;
  errno = 0;
  long r = syscall(SYS_close, -1);
  printf("close(-1) %ld errno %d\n", r, errno);
  errno = 0;
  r = syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1);
  printf("wake %ld errno %d\n", r, errno);
  errno = 0;
  r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL);
  printf("wait changed %ld errno %d\n", r, errno);
  struct timespec tiny = {0, 1000};
  errno = 0;
  r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &tiny);
  printf("wait timed %ld errno %d\n", r, errno);
  printf("getpid %s\n", syscall(SYS_getpid) == getpid() ? "same" : "differs");
  fflush(stdout);
}

static void* Turns(void* arg) {
  const long id = (long)arg;
  for (long i = 0; i < per_thread; ++i) {
    if (profiled && signals >= 20) break;
    unsigned* lock = &lock_words[(id + i) % 3];
    pthread_mutex_t* mutex = &mutexes[(id + i) % 3];
    const int across = !brief || i % 4 == 0;  // held across the yield
    if (locked) Lock(lock);
    if (locked && !across) Unlock(lock);
    if (recursive) {
      pthread_mutex_lock(mutex);
      pthread_mutex_lock(mutex);
    }
    sum += id;
    order = (order ^ (unsigned long long)id) * 1099511628211ull;
    ++turns;
    ++taken[id];
    if (i == per_thread / 2) Halfway(id);
    if (i == per_thread / 2 && id == 0 && strcmp(mode, "errno") == 0) CheckSyscall();
    for (int k = 0; own && k < 2; ++k) {
      pthread_mutex_lock(&own_mutexes[id]);
      pthread_mutex_unlock(&own_mutexes[id]);
    }
    sched_yield();
    if (recursive) {
      pthread_mutex_unlock(mutex);
      pthread_mutex_unlock(mutex);
    }
    if (locked && across) Unlock(lock);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: yield_turns turns|prof|fork|exec|spawn|abort|sigsys|errno|locks|rawlocks|mutexes|lockprof|mutexprof|own|ownprof|wakes|wakeprof THREADS N\n");
    return 2;
  }
  self = argv[0];
  mode = argv[1];
  const int threads = atoi(argv[2]);
  per_thread = atol(argv[3]);
  raw = strcmp(mode, "rawlocks") == 0;
  recursive = strcmp(mode, "mutexes") == 0 || strcmp(mode, "mutexprof") == 0;
  own = strcmp(mode, "own") == 0 || strcmp(mode, "ownprof") == 0;
  profiled = strcmp(mode, "prof") == 0 || strcmp(mode, "lockprof") == 0 || strcmp(mode, "mutexprof") == 0 ||
             strcmp(mode, "ownprof") == 0 || strcmp(mode, "wakeprof") == 0;
  for (int i = 0; own && i < 64; ++i) pthread_mutex_init(&own_mutexes[i], NULL);
  if (recursive) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    for (int i = 0; i < 3; ++i) pthread_mutex_init(&mutexes[i], &attr);
  }
  brief = strcmp(mode, "wakes") == 0 || strcmp(mode, "wakeprof") == 0;
  locked = strcmp(mode, "locks") == 0 || strcmp(mode, "lockprof") == 0 || raw || brief;
  if (profiled) {
    signal(SIGPROF, OnProf);
    struct itimerval every = {{0, 50}, {0, 50}};
    setitimer(ITIMER_PROF, &every, NULL);
  }
  if (strcmp(mode, "sigsys") == 0) {
    signal(SIGSYS, OnSys);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);  // the threads inherit the mask
  }
  pthread_t t[64];
  for (long i = 0; i < threads && i < 64; ++i) pthread_create(&t[i], NULL, Turns, (void*)i);
  for (long i = 0; i < threads && i < 64; ++i) pthread_join(t[i], NULL);
  if (profiled) {
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    // Two threads running at once would lose some of the unlocked updates of sum and turns.
    long want_sum = 0, want_turns = 0;
    for (long i = 0; i < threads && i < 64; ++i) {
      want_sum += i * taken[i];
      want_turns += taken[i];
    }
    printf("sum %s signals %s turns %ld\n", sum == want_sum && turns == want_turns ? "ok" : "lost",
           signals >= 20 ? "yes" : "no", turns);
    return 0;
  }
  if (child > 0) waitpid(child, NULL, 0);
  printf("sum %ld order %llx turns %ld\n", sum, order, turns);
  return 0;
}
