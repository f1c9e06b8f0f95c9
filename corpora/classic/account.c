/* ravel classic corpus: account (bug class: check-then-act, granularity: sync)
 *
 * A bank account whose deposit and withdraw each lock the account mutex, but withdraw
 * checks the balance through a locked getter before taking the lock for the debit: the
 * check and the act are two critical sections. The window between them holds only
 * pthread_mutex_unlock/pthread_mutex_lock, no syscall, so it needs sync granularity.
 *
 * Triggering interleaving (sync granularity): withdrawer 1 reads balance 100 >= 80 and
 * is preempted at the pthread_mutex_lock of its debit; withdrawer 2 checks 100 >= 80
 * and debits (20); withdrawer 1 resumes and debits again: balance -60 (or -50 if the
 * deposit of 10 ran first). The account is overdrawn.
 * Fixed twin: account_fixed.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long balance = 100;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static long get_balance(void) {
  pthread_mutex_lock(&m);
  long v = balance;
  pthread_mutex_unlock(&m);
  return v;
}

static void deposit(long amount) {
  pthread_mutex_lock(&m);
  balance += amount;
  pthread_mutex_unlock(&m);
}

static int withdraw(long amount) {
  if (get_balance() < amount) return 0; /* check ... */
  pthread_mutex_lock(&m);               /* ... then act, in another critical section */
  balance -= amount;
  pthread_mutex_unlock(&m);
  return 1;
}

static void *withdrawer(void *arg) {
  (void)arg;
  withdraw(80);
  return NULL;
}

static void *depositor(void *arg) {
  (void)arg;
  deposit(10);
  return NULL;
}

int main(void) {
  pthread_t w1, w2, d;
  if (pthread_create(&w1, NULL, withdrawer, NULL) != 0) return 2;
  if (pthread_create(&d, NULL, depositor, NULL) != 0) return 2;
  if (pthread_create(&w2, NULL, withdrawer, NULL) != 0) return 2;
  pthread_join(w1, NULL);
  pthread_join(d, NULL);
  pthread_join(w2, NULL);
  if (get_balance() < 0) bug("account overdrawn: the balance check was outside the debit's lock");
  return 0;
}
