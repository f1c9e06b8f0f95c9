/* ravel corpus: check_then_act_io_fixed (twin of check_then_act_io; must always pass)
 *
 * The check, the audit write and the debit form one critical section. A customer
 * preempted at its write holds the lock, so the other one blocks (futex) until it is
 * done, and then sees the debited balance.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long balance = 100;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void withdraw(long amount) {
  pthread_mutex_lock(&account_lock);
  if (balance >= amount) {
    ssize_t r = write(logfd, "withdraw\n", 9);
    (void)r;
    balance -= amount;
  }
  pthread_mutex_unlock(&account_lock);
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
  if (balance != 20) bug("exactly one withdrawal should have succeeded");
  return 0;
}
