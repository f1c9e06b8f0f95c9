/* ravel classic corpus: bank_transfer_fixed (twin of bank_transfer; must always pass)
 *
 * transfer() holds both accounts' locks, taken in the global order (account 0 first),
 * for the whole check, debit and credit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
  pthread_mutex_t lock;
  long balance;
};

static struct account acct[2] = {{PTHREAD_MUTEX_INITIALIZER, 100}, {PTHREAD_MUTEX_INITIALIZER, 100}};

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void transfer(struct account *from, struct account *to, long amount) {
  struct account *first = from < to ? from : to, *second = from < to ? to : from;
  pthread_mutex_lock(&first->lock);
  pthread_mutex_lock(&second->lock);
  if (from->balance >= amount) {
    from->balance -= amount;
    to->balance += amount;
  }
  pthread_mutex_unlock(&second->lock);
  pthread_mutex_unlock(&first->lock);
}

static void *mover(void *arg) {
  (void)arg;
  transfer(&acct[0], &acct[1], 30);
  transfer(&acct[1], &acct[0], 10);
  return NULL;
}

static void *auditor(void *arg) {
  (void)arg;
  pthread_mutex_lock(&acct[0].lock);
  pthread_mutex_lock(&acct[1].lock);
  long total = acct[0].balance + acct[1].balance;
  pthread_mutex_unlock(&acct[1].lock);
  pthread_mutex_unlock(&acct[0].lock);
  if (total != 200) bug("auditor saw money in flight");
  return NULL;
}

int main(void) {
  pthread_t m, a;
  if (pthread_create(&m, NULL, mover, NULL) != 0) return 2;
  if (pthread_create(&a, NULL, auditor, NULL) != 0) return 2;
  pthread_join(m, NULL);
  pthread_join(a, NULL);
  if (acct[0].balance != 80 || acct[1].balance != 120) bug("wrong final balances");
  return 0;
}
