// Blocking calls the scheduler models, one scenario per argument:
//   poll      a reader polls a pipe (long timeout) until a writer thread feeds it
//   select    the same with select
//   epoll     the same with epoll_wait
//   timeout   poll/select/epoll_wait/ppoll on a pipe nobody writes: each times out (virtual time)
//   sleep-signal   a thread's 100 s nanosleep is interrupted by pthread_kill: EINTR
//   sem-signal     a thread's sem_wait is interrupted by pthread_kill: EINTR
//   read-restart   a read on an empty pipe, interrupted by an SA_RESTART handler, restarts
//                  and returns the data written afterwards
//   pause-signal   a thread's pause() (run in the kernel) ends with EINTR on pthread_kill
//   fifo      a thread's open() of a FIFO blocks in the kernel until another thread opens
//             the other end (not modelled: the watchdog must move the baton on)
//   urandom   prints 16 bytes read from /dev/urandom and 16 from /dev/random, in hex
//   shared-sem     parent and child meet on a process-shared semaphore in MAP_SHARED memory
//   mq        POSIX message queues: a thread's mq_receive on an empty queue waits until
//             main sends; a send to a full queue waits until the thread receives; a timed
//             receive on an empty queue ends with ETIMEDOUT
//   waitv     futex_waitv on two futexes: a value already changed gives EAGAIN, a past
//             absolute timeout ETIMEDOUT, and a thread's wake of the second returns 1
// Prints what happened; exits 0 when it happened as it should.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static volatile sig_atomic_t handled;
static sem_t sem;

static void on_signal(int sig) { handled = 1; }

static void* writer(void* arg) {
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);
  if (write(fds[1], "x", 1) != 1) abort();
  return NULL;
}

static int wait_with(const char* how) {
  if (strcmp(how, "poll") == 0) {
    struct pollfd p = {fds[0], POLLIN, 0};
    return poll(&p, 1, 60000) == 1 && (p.revents & POLLIN);
  }
  if (strcmp(how, "select") == 0) {
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fds[0], &r);
    struct timeval tv = {60, 0};
    return select(fds[0] + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(fds[0], &r) && tv.tv_sec < 60;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[0]};
  epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
  struct epoll_event out;
  int n = epoll_wait(ep, &out, 1, 60000);
  close(ep);
  return n == 1 && out.data.fd == fds[0];
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int timeouts(void) {
  double start = now();
  struct pollfd p = {fds[0], POLLIN, 0};
  if (poll(&p, 1, 2000) != 0) return 0;
  fd_set r;
  FD_ZERO(&r);
  FD_SET(fds[0], &r);
  struct timeval tv = {3, 0};
  if (select(fds[0] + 1, &r, NULL, NULL, &tv) != 0 || tv.tv_sec != 0 || tv.tv_usec != 0) return 0;
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
  if (epoll_wait(ep, &ev, 1, 4000) != 0) return 0;
  struct timespec ts = {1, 0};
  if (ppoll(&p, 1, &ts, NULL) != 0) return 0;
  double waited = now() - start;
  printf("timed out after %.0f s of guest time\n", waited);
  return waited >= 10 && waited < 11;
}

static void* sleeper(void* arg) {
  struct timespec ts = {100, 0}, rem = {0, 0};
  int r = nanosleep(&ts, &rem);
  printf("nanosleep: %s, handled %d, %s\n", r == -1 && errno == EINTR ? "EINTR" : "no EINTR", handled,
         rem.tv_sec > 0 && rem.tv_sec < 100 ? "time left" : "no time left");
  return (void*)(long)(r == -1 && errno == EINTR && handled && rem.tv_sec > 0);
}

static void* sem_waiter(void* arg) {
  int r = sem_wait(&sem);
  printf("sem_wait: %s, handled %d\n", r == -1 && errno == EINTR ? "EINTR" : "no EINTR", handled);
  return (void*)(long)(r == -1 && errno == EINTR && handled);
}

static void* reader(void* arg) {
  char c = 0;
  ssize_t r = read(fds[0], &c, 1);
  printf("read: %zd '%c', handled %d\n", r, c, handled);
  return (void*)(long)(r == 1 && c == 'y' && handled);
}

static void* pauser(void* arg) {
  int r = pause();
  printf("pause: %s, handled %d\n", r == -1 && errno == EINTR ? "EINTR" : "no EINTR", handled);
  return (void*)(long)(r == -1 && errno == EINTR && handled);
}

static int interrupted(void* (*body)(void*), int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGUSR1, &sa, NULL);
  pthread_t t;
  pthread_create(&t, NULL, body, NULL);
  // Let the thread block first (in virtual time: this sleep ends after it does).
  struct timespec ts = {1, 0};
  nanosleep(&ts, NULL);
  pthread_kill(t, SIGUSR1);
  if (restart) {
    nanosleep(&ts, NULL);
    if (write(fds[1], "y", 1) != 1) abort();
  }
  void* ok;
  pthread_join(t, &ok);
  return ok != NULL;
}

static void hex(const char* path) {
  unsigned char buf[16];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, buf, sizeof(buf)) != sizeof(buf)) abort();
  close(fd);
  printf("%s ", path);
  for (int i = 0; i < 16; ++i) printf("%02x", buf[i]);
  printf("\n");
}

static char fifo_path[64];

static void* fifo_writer(void* arg) {
  int fd = open(fifo_path, O_WRONLY);
  if (fd < 0 || write(fd, "z", 1) != 1) abort();
  close(fd);
  return NULL;
}

static int fifo(void) {
  snprintf(fifo_path, sizeof(fifo_path), "/tmp/ravel-waits-fifo-%d", (int)getpid());
  unlink(fifo_path);
  if (mkfifo(fifo_path, 0600) != 0) return 0;
  pthread_t t;
  pthread_create(&t, NULL, fifo_writer, NULL);
  int fd = open(fifo_path, O_RDONLY);  // blocks until the writer opens its end
  char c = 0;
  int ok = fd >= 0 && read(fd, &c, 1) == 1 && c == 'z';
  pthread_join(t, NULL);
  close(fd);
  unlink(fifo_path);
  printf("fifo: %s\n", ok ? "met the writer" : "failed");
  return ok;
}

static int shared_sem(void) {
  sem_t* s = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED || sem_init(s, 1, 0) != 0) return 0;
  pid_t child = fork();
  if (child == 0) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    sem_post(s);
    _exit(0);
  }
  int r = sem_wait(s);
  int status;
  waitpid(child, &status, 0);
  printf("shared semaphore: %s\n", r == 0 ? "posted by the child" : "failed");
  return r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// futex_waitv (Linux 5.16): not in glibc, so by number and with the kernel's layout.
struct waitv_entry {
  unsigned long long val, uaddr;
  unsigned flags, reserved;
};
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
static unsigned futex_a, futex_b;

static void* wake_b(void* arg) {
  (void)arg;
  struct timespec ts = {0, 2000000};
  nanosleep(&ts, NULL);
  __atomic_store_n(&futex_b, 1, __ATOMIC_SEQ_CST);
  syscall(SYS_futex, &futex_b, 1 /* FUTEX_WAKE */ | 128 /* FUTEX_PRIVATE_FLAG */, 1, NULL, NULL, 0);
  return NULL;
}

static int waitv(void) {
  // FUTEX2_SIZE_U32 | FUTEX2_PRIVATE
  struct waitv_entry w[2] = {{0, (unsigned long long)(uintptr_t)&futex_a, 2 | 128, 0},
                             {0, (unsigned long long)(uintptr_t)&futex_b, 2 | 128, 0}};
  w[0].val = 5;  // futex_a is 0: the wait does not start
  long mismatch = syscall(SYS_futex_waitv, w, 2, 0, NULL, 0);
  int mismatch_errno = errno;
  if (mismatch < 0 && errno == ENOSYS) {
    printf("waitv: woken by the second futex\n");  // a kernel before 5.16: nothing to test
    return 1;
  }
  w[0].val = 0;
  struct timespec past = {0, 1};
  long timed = syscall(SYS_futex_waitv, w, 2, 0, &past, CLOCK_MONOTONIC);
  int timed_errno = errno;
  pthread_t t;
  pthread_create(&t, NULL, wake_b, NULL);
  long woken = syscall(SYS_futex_waitv, w, 2, 0, NULL, 0);
  pthread_join(t, NULL);
  const int ok = mismatch < 0 && mismatch_errno == EAGAIN && timed < 0 && timed_errno == ETIMEDOUT && woken == 1;
  printf("waitv: %s\n", ok ? "woken by the second futex" : "wrong answers");
  if (!ok) fprintf(stderr, "waitv: %ld/%d %ld/%d %ld\n", mismatch, mismatch_errno, timed, timed_errno, woken);
  return ok;
}

static mqd_t queue;
static void* mq_peer(void* arg) {
  (void)arg;
  char buf[64];
  unsigned prio;
  ssize_t n = mq_receive(queue, buf, sizeof(buf), &prio);  // empty: waits for main's send
  if (n != 5 || memcmp(buf, "first", 5) != 0) return (void*)1;
  struct timespec ts = {0, 3000000};
  nanosleep(&ts, NULL);
  n = mq_receive(queue, buf, sizeof(buf), &prio);  // frees room for main's blocked send
  return n == 6 ? NULL : (void*)1;
}

static int message_queue(void) {
  char name[64];
  snprintf(name, sizeof(name), "/ravel-waits-%d", (int)getpid());
  struct mq_attr attr = {0, 1, 64, 0};  // room for one message
  queue = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
  if (queue == (mqd_t)-1) return 0;
  mq_unlink(name);
  pthread_t t;
  pthread_create(&t, NULL, mq_peer, NULL);
  struct timespec ts = {0, 2000000};
  nanosleep(&ts, NULL);
  int ok = mq_send(queue, "first", 5, 0) == 0;
  ok &= mq_send(queue, "second", 6, 0) == 0;  // fills the queue
  ok &= mq_send(queue, "third!", 6, 0) == 0;   // full: waits for the peer's second receive
  void* peer = NULL;
  pthread_join(t, &peer);
  char buf[64];
  unsigned prio;
  ok &= mq_receive(queue, buf, sizeof(buf), &prio) == 6 && memcmp(buf, "third!", 6) == 0;
  struct timespec at;
  clock_gettime(CLOCK_REALTIME, &at);
  at.tv_nsec += 20000000;
  if (at.tv_nsec >= 1000000000) {
    at.tv_sec += 1;
    at.tv_nsec -= 1000000000;
  }
  ok &= mq_timedreceive(queue, buf, sizeof(buf), &prio, &at) < 0 && errno == ETIMEDOUT;
  mq_close(queue);
  ok &= peer == NULL;
  printf("mq: %s\n", ok ? "each wait ended as natively" : "wrong answers");
  return ok;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: waits SCENARIO\n");
    return 2;
  }
  const char* what = argv[1];
  if (pipe(fds) != 0) return 2;
  int ok = 0;
  if (strcmp(what, "poll") == 0 || strcmp(what, "select") == 0 || strcmp(what, "epoll") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    ok = wait_with(what);
    pthread_join(t, NULL);
    printf("%s: %s\n", what, ok ? "woken by the writer" : "wrong wake-up");
  } else if (strcmp(what, "timeout") == 0) {
    ok = timeouts();
  } else if (strcmp(what, "sleep-signal") == 0) {
    ok = interrupted(sleeper, 0);
  } else if (strcmp(what, "sem-signal") == 0) {
    sem_init(&sem, 0, 0);
    ok = interrupted(sem_waiter, 0);
  } else if (strcmp(what, "pause-signal") == 0) {
    ok = interrupted(pauser, 0);
  } else if (strcmp(what, "read-restart") == 0) {
    ok = interrupted(reader, 1);
  } else if (strcmp(what, "urandom") == 0) {
    hex("/dev/urandom");
    hex("/dev/random");
    ok = 1;
  } else if (strcmp(what, "fifo") == 0) {
    ok = fifo();
  } else if (strcmp(what, "shared-sem") == 0) {
    ok = shared_sem();
  } else if (strcmp(what, "mq") == 0) {
    ok = message_queue();
  } else if (strcmp(what, "waitv") == 0) {
    ok = waitv();
  } else {
    fprintf(stderr, "waits: unknown scenario %s\n", what);
    return 2;
  }
  return ok ? 0 : 1;
}
