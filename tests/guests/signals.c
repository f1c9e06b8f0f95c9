// A handled signal (SIGUSR1 via raise), its siginfo line, and rt_sigreturn afterwards.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void OnUsr1(int sig) { handled = sig; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnUsr1;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=%d, si_uid=%d} ---\n", getpid(), getuid());
  return handled == SIGUSR1 ? 0 : 1;
}
