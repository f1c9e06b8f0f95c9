// Timers and signal waits as test programs use them. Prints the same lines natively and
// under ravel (where the timers run on the virtual clock):
//   alarm        alarm(1), then pause() until SIGALRM
//   itimer       a 10 ms periodic ITIMER_REAL timer, five SIGALRMs taken with sigsuspend
//   sigwait      a thread sends SIGUSR1 after 20 ms; sigtimedwait takes it; a second
//                sigtimedwait with a 10 ms timeout gets EAGAIN
//   posix        timer_create (CLOCK_MONOTONIC, SIGEV_SIGNAL): a 10 ms periodic timer,
//                five signals taken with sigwaitinfo, each SI_TIMER with the timer's id and
//                value; then timer_gettime, a disarm and timer_delete
//   posix_thread SIGEV_THREAD: glibc's helper thread runs a callback per expiry; the third
//                posts a semaphore main waits on, while a worker thread sleeps in a loop
//   posix_tid    SIGEV_THREAD_ID on CLOCK_REALTIME with an absolute time 30 ms ahead:
//                the signal goes to one named thread, waiting in sigwaitinfo
//   posix_overrun a 1 ms periodic timer whose signal stays blocked through a 20 ms sleep:
//                one signal, the other expiries counted as overruns
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; ++alarms; }

static int alarm_pause(void) {
  signal(SIGALRM, on_alarm);
  unsigned left = alarm(1);
  pause();
  printf("alarm: %u left before, pause woken by SIGALRM (%d)\n", left, (int)alarms);
  return alarms == 1 ? 0 : 1;
}

static int itimer(void) {
  signal(SIGALRM, on_alarm);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigprocmask(SIG_BLOCK, &block, &old);
  struct itimerval every = {{0, 10000}, {0, 10000}};
  setitimer(ITIMER_REAL, &every, NULL);
  while (alarms < 5) sigsuspend(&old);
  struct itimerval off = {{0, 0}, {0, 0}}, was;
  setitimer(ITIMER_REAL, &off, &was);
  printf("itimer: %d alarms, interval %ld us\n", (int)alarms, (long)was.it_interval.tv_usec);
  return 0;
}

static pthread_t waiter;
static void* sender(void* arg) {
  (void)arg;
  usleep(20000);
  pthread_kill(waiter, SIGUSR1);
  return NULL;
}

static int sigwait_timeout(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  waiter = pthread_self();
  pthread_t t;
  pthread_create(&t, NULL, sender, NULL);
  struct timespec five = {5, 0}, short_wait = {0, 10000000};
  siginfo_t info;
  int sig = sigtimedwait(&set, &info, &five);
  pthread_join(t, NULL);
  int again = sigtimedwait(&set, &info, &short_wait);
  printf("sigwait: got %s, then %s\n", sig == SIGUSR1 ? "SIGUSR1" : "nothing",
         again < 0 && errno == EAGAIN ? "EAGAIN after the timeout" : "something else");
  return sig == SIGUSR1 && again < 0 ? 0 : 1;
}

// Blocks `sig` (into *set) and makes a CLOCK_MONOTONIC timer that sends it with `value`.
static int BlockedSignalTimer(int sig, int value, sigset_t* set, timer_t* timer) {
  sigemptyset(set);
  sigaddset(set, sig);
  sigprocmask(SIG_BLOCK, set, NULL);
  struct sigevent sev;
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = sig;
  sev.sigev_value.sival_int = value;
  return timer_create(CLOCK_MONOTONIC, &sev, timer);
}

static int posix_signal(void) {
  sigset_t set;
  timer_t timer;
  if (BlockedSignalTimer(SIGUSR1, 42, &set, &timer) != 0) return 3;
  struct itimerspec every = {{0, 10000000}, {0, 10000000}};
  if (timer_settime(timer, 0, &every, NULL) != 0) return 4;
  int good = 0;
  for (int i = 0; i < 5; ++i) {
    siginfo_t info;
    if (sigwaitinfo(&set, &info) != SIGUSR1) return 5;
    if (info.si_code == SI_TIMER && info.si_value.sival_int == 42) ++good;
  }
  struct itimerspec now;
  timer_gettime(timer, &now);
  struct itimerspec off = {{0, 0}, {0, 0}}, was;
  timer_settime(timer, 0, &off, &was);
  timer_gettime(timer, &now);
  int deleted = timer_delete(timer);
  printf("posix: %d of 5 signals from the timer, interval %ld ns, after disarm %ld ns left, delete %d\n", good,
         (long)was.it_interval.tv_nsec, (long)now.it_value.tv_nsec, deleted);
  return good == 5 ? 0 : 1;
}

static sem_t third;
static volatile int expiries;
static volatile int stop_worker;
static void on_expiry(union sigval v) {
  if (__atomic_add_fetch(&expiries, 1, __ATOMIC_SEQ_CST) == 3) sem_post((sem_t*)v.sival_ptr);
}
static void* sleepy(void* arg) {
  (void)arg;
  while (!__atomic_load_n(&stop_worker, __ATOMIC_SEQ_CST)) usleep(3000);
  return NULL;
}

static int posix_thread(void) {
  sem_init(&third, 0, 0);
  pthread_t worker;
  pthread_create(&worker, NULL, sleepy, NULL);
  struct sigevent sev;
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_notify_function = on_expiry;
  sev.sigev_value.sival_ptr = &third;
  timer_t timer;
  if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) return 3;
  struct itimerspec every = {{0, 20000000}, {0, 20000000}};
  timer_settime(timer, 0, &every, NULL);
  while (sem_wait(&third) != 0) {
  }
  timer_delete(timer);
  __atomic_store_n(&stop_worker, 1, __ATOMIC_SEQ_CST);
  pthread_join(worker, NULL);
  printf("posix_thread: the third expiry's callback woke main\n");
  return 0;
}

static volatile pid_t target_tid;
static void* take_timer_signal(void* arg) {
  sigset_t* set = arg;
  target_tid = (pid_t)syscall(SYS_gettid);
  siginfo_t info;
  int sig = sigwaitinfo(set, &info);
  printf("posix_tid: the named thread got %s, code %s, value %d\n", sig == SIGRTMIN ? "SIGRTMIN" : "another signal",
         info.si_code == SI_TIMER ? "SI_TIMER" : "other", info.si_value.sival_int);
  return NULL;
}

static int posix_tid(void) {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &set, NULL);  // inherited by the thread
  pthread_t t;
  pthread_create(&t, NULL, take_timer_signal, &set);
  while (target_tid == 0) usleep(1000);
  struct sigevent sev;
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGRTMIN;
  sev.sigev_value.sival_int = 7;
  sev._sigev_un._tid = target_tid;
  timer_t timer;
  if (timer_create(CLOCK_REALTIME, &sev, &timer) != 0) return 3;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct itimerspec at = {{0, 0}, {now.tv_sec, now.tv_nsec + 30000000}};
  if (at.it_value.tv_nsec >= 1000000000) {
    at.it_value.tv_sec += 1;
    at.it_value.tv_nsec -= 1000000000;
  }
  if (timer_settime(timer, TIMER_ABSTIME, &at, NULL) != 0) return 4;
  pthread_join(t, NULL);
  timer_delete(timer);
  return 0;
}

static int posix_overrun(void) {
  sigset_t set;
  timer_t timer;
  if (BlockedSignalTimer(SIGUSR2, 0, &set, &timer) != 0) return 3;
  struct itimerspec every = {{0, 1000000}, {0, 1000000}};
  timer_settime(timer, 0, &every, NULL);
  usleep(20000);
  siginfo_t info;
  if (sigwaitinfo(&set, &info) != SIGUSR2) return 5;
  const int overrun = timer_getoverrun(timer);
  timer_delete(timer);
  // Natively the count depends on the sleep's slack; the lines say only what holds everywhere.
  printf("posix_overrun: one signal for many expiries: %s, timer_getoverrun agrees: %s\n",
         info.si_overrun >= 10 ? "yes" : "no", overrun == info.si_overrun ? "yes" : "no");
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (strcmp(argv[1], "alarm") == 0) return alarm_pause();
  if (strcmp(argv[1], "itimer") == 0) return itimer();
  if (strcmp(argv[1], "sigwait") == 0) return sigwait_timeout();
  if (strcmp(argv[1], "posix") == 0) return posix_signal();
  if (strcmp(argv[1], "posix_thread") == 0) return posix_thread();
  if (strcmp(argv[1], "posix_tid") == 0) return posix_tid();
  if (strcmp(argv[1], "posix_overrun") == 0) return posix_overrun();
  return 2;
}
