/* ravel corpus: check_then_act_io (bug class: check-then-act, granularity: syscall)
 *
 * Two customers withdraw 80 from a balance of 100. Each checks the balance, writes an
 * audit line (a syscall), then debits. Both checks can pass before either debit.
 *
 * Triggering interleaving: customer 1 passes the check and is preempted at its audit
 * write(); customer 2 runs its whole withdrawal (check passes, write, balance = 20);
 * customer 1 resumes and debits again: balance = -60.
 * Fixed twin: check_then_act_io_fixed.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile long balance = 100;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void withdraw(long amount) {
  if (balance >= amount) {                     /* check */
    ssize_t r = write(logfd, "withdraw\n", 9); /* I/O inside the window */
    (void)r;
    balance -= amount; /* act */
  }
}

static void *customer(void *arg) {
  (void)arg;
  withdraw(80);
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ssize_t started = write(logfd, "main: starting\n", 15); /* first write: not in a window */
  (void)started;
  pthread_t a, b;
  if (pthread_create(&a, NULL, customer, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, customer, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (balance < 0) bug("balance went negative: two withdrawals passed the same check");
  return 0;
}
