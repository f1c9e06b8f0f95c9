/* ravel corpus: pct_depth3 (bug class: pct-depth-3, granularity: syscall)
 *
 * A job moves through stages 0 (idle), 1 (running), 2 (done), logging between 1 and 2.
 * A progress monitor samples the stage, logs, and samples again; its report treats
 * "running, then done, across one of its own log writes" as impossible. Seeing 1 and
 * then 2 needs the order
 *   job: stage=1  <  monitor: sample 1  <  job: stage=2  <  monitor: sample 2,
 * i.e. two preemptions: the job in its middle, then the monitor in its middle. With at
 * most one preemption (PCT depth <= 2) one of the two threads runs its part without
 * interruption, and the monitor sees 0/0, 0/2, 1/1 or 2/2 instead.
 *
 * Triggering interleaving: the job stores stage = 1 and is preempted at its write();
 * the monitor reads stage (1) and is preempted at its write(); the job stores stage = 2
 * and exits; the monitor reads stage (2).
 * PCT depth 3: job above monitor, change points on those two writes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int stage;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *job(void *arg) {
  (void)arg;
  stage = 1;
  ssize_t r = write(logfd, "job: running\n", 13);
  (void)r;
  stage = 2;
  return NULL;
}

static void *monitor(void *arg) {
  (void)arg;
  int before = stage;
  ssize_t r = write(logfd, "monitor: sample\n", 16);
  (void)r;
  int after = stage;
  if (before == 1 && after == 2)
    bug("monitor saw the job go from running to done across one of its own log writes");
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ssize_t started = write(logfd, "main: starting\n", 15); /* first write: not in a window */
  (void)started;
  pthread_t j, m;
  if (pthread_create(&j, NULL, job, NULL) != 0) return 2;
  if (pthread_create(&m, NULL, monitor, NULL) != 0) return 2;
  pthread_join(j, NULL);
  pthread_join(m, NULL);
  return 0;
}
