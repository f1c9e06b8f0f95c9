/* ravel corpus: lock_order_deadlock_fixed (twin of lock_order_deadlock; must always pass)
 *
 * Both threads take accounts_lock before audit_lock, so no cycle of waits can form.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t accounts_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static int accounts = 100, audited;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

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
  pthread_mutex_lock(&accounts_lock); /* same order as transfer */
  log_line("auditor: accounts locked\n");
  pthread_mutex_lock(&audit_lock);
  if (accounts + audited != 100) bug("auditor saw money appear or vanish");
  pthread_mutex_unlock(&audit_lock);
  pthread_mutex_unlock(&accounts_lock);
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
