/* ravel classic corpus: account_fixed (twin of account; must always pass)
 *
 * withdraw checks the balance and debits in one critical section.
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
  int ok = 0;
  pthread_mutex_lock(&m);
  if (balance >= amount) {
    balance -= amount;
    ok = 1;
  }
  pthread_mutex_unlock(&m);
  return ok;
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
  long b = get_balance();
  if (b != 30) bug("exactly one withdrawal of 80 and the deposit of 10 should have run");
  return 0;
}
