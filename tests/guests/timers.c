// Timers and signal waits as test programs use them. Prints the same lines natively and
// under ravel (where the timers run on the virtual clock):
//   alarm        alarm(1), then pause() until SIGALRM
//   itimer       a 10 ms periodic ITIMER_REAL timer, five SIGALRMs taken with sigsuspend
//   sigwait      a thread sends SIGUSR1 after 20 ms; sigtimedwait takes it; a second
//                sigtimedwait with a 10 ms timeout gets EAGAIN
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (strcmp(argv[1], "alarm") == 0) return alarm_pause();
  if (strcmp(argv[1], "itimer") == 0) return itimer();
  if (strcmp(argv[1], "sigwait") == 0) return sigwait_timeout();
  return 2;
}
