/* ravel classic corpus: bank_transfer (bug class: split-transfer, granularity: sync)
 *
 * Two accounts, each with its own mutex. transfer() locks only one side at a time: it
 * debits the source under the source's lock, releases it, then credits the target under
 * the target's lock. An auditor that locks both accounts (in the global order) sees the
 * money in flight: the total is short by the amount. The window between the two
 * critical sections holds only mutex calls, no syscall: it needs sync granularity.
 *
 * Triggering interleaving (sync granularity): the transfer debits A (A = 70) and is
 * preempted at the unlock of A or the lock of B; the auditor locks A and B, reads
 * 70 + 100 = 170 instead of 200.
 * Fixed twin: bank_transfer_fixed.c.
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
  pthread_mutex_lock(&from->lock); /* only one side locked at a time */
  if (from->balance >= amount) {
    from->balance -= amount;
    pthread_mutex_unlock(&from->lock);
    pthread_mutex_lock(&to->lock);
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    return;
  }
  pthread_mutex_unlock(&from->lock);
}

static void *mover(void *arg) {
  (void)arg;
  transfer(&acct[0], &acct[1], 30);
  transfer(&acct[1], &acct[0], 10);
  return NULL;
}

static void *auditor(void *arg) {
  (void)arg;
  pthread_mutex_lock(&acct[0].lock); /* global order: account 0, then 1 */
  pthread_mutex_lock(&acct[1].lock);
  long total = acct[0].balance + acct[1].balance;
  pthread_mutex_unlock(&acct[1].lock);
  pthread_mutex_unlock(&acct[0].lock);
  if (total != 200) bug("auditor saw money in flight: transfer did not hold both accounts");
  return NULL;
}

int main(void) {
  pthread_t m, a;
  if (pthread_create(&m, NULL, mover, NULL) != 0) return 2;
  if (pthread_create(&a, NULL, auditor, NULL) != 0) return 2;
  pthread_join(m, NULL);
  pthread_join(a, NULL);
  if (acct[0].balance + acct[1].balance != 200) bug("money created or destroyed");
  return 0;
}
