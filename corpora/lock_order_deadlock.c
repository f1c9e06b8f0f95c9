/* ravel corpus: lock_order_deadlock (bug class: lock-order-deadlock, granularity: syscall,
 * expected: deadlock)
 *
 * A transfer thread takes accounts_lock then audit_lock; an auditor takes audit_lock then
 * accounts_lock. Each logs a line between its two acquisitions.
 *
 * Triggering interleaving: the transfer thread locks accounts_lock and is preempted at
 * its write(); the auditor locks audit_lock, writes, and blocks on accounts_lock (futex
 * wait); the transfer thread resumes, writes, and blocks on audit_lock. Both workers
 * and main (in pthread_join) are blocked. Natively the two critical sections rarely
 * overlap, so the program usually finishes.
 * Fixed twin: lock_order_deadlock_fixed.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t accounts_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static int accounts = 100, audited;
static int logfd;

static void log_line(const char *s) {
  ssize_t r = write(logfd, s, strlen(s));
  (void)r;
}

static void *transfer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&accounts_lock);
  log_line("transfer: accounts locked\n");
  pthread_mutex_lock(&audit_lock);
  accounts -= 10;
  audited += 10;
  pthread_mutex_unlock(&audit_lock);
  pthread_mutex_unlock(&accounts_lock);
  return NULL;
}

static void *auditor(void *arg) {
  (void)arg;
  pthread_mutex_lock(&audit_lock); /* opposite order */
  log_line("auditor: audit log locked\n");
  pthread_mutex_lock(&accounts_lock);
  int total = accounts + audited;
  (void)total;
  pthread_mutex_unlock(&accounts_lock);
  pthread_mutex_unlock(&audit_lock);
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  log_line("main: starting\n"); /* first write of the process: not in a window */
  pthread_t a, b;
  if (pthread_create(&a, NULL, transfer, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, auditor, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  return 0;
}
