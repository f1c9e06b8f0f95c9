/* ravel corpus: deep_preemption (bug class: deep-preemption, granularity: syscall)
 *
 * A writer thread makes 50 journal writes in a loop. At step 37 only, it also compacts:
 * it moves one record from the live table to the archive, removing it from one before
 * logging and adding it to the other after. A checker thread reads the two counts once
 * and expects their sum to be constant. The invariant is broken across exactly one of
 * the writer's ~50 syscalls.
 *
 * Triggering interleaving: the writer runs up to the write() of iteration 37 (after
 * live_records--) and is preempted there; the checker then runs its check. Any other
 * preemption point, or the checker running before or after the writer, passes.
 * PCT with depth 2 finds it when the writer has the higher priority and the one
 * priority change point falls on that write: probability about 1/(n*k) for n threads
 * and k steps. A random walk must keep choosing the writer over the checker for the
 * ~37 steps before it (about 2^-37) and then pick the checker.
 * Natively the checker's single read must land inside one write syscall of the writer.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STEPS 50
#define COMPACT_STEP 37
#define TOTAL_RECORDS 10

static volatile int live_records = TOTAL_RECORDS;
static volatile int archived_records;
static int logfd;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void *writer(void *arg) {
  (void)arg;
  for (int i = 0; i < STEPS; i++) {
    if (i == COMPACT_STEP) live_records--; /* record leaves the live table ... */
    char line[32];
    int n = snprintf(line, sizeof line, "journal %d\n", i);
    ssize_t r = write(logfd, line, (size_t)n);
    (void)r;
    if (i == COMPACT_STEP) archived_records++; /* ... and reaches the archive */
  }
  return NULL;
}

static void *checker(void *arg) {
  (void)arg;
  ssize_t r = write(logfd, "checker: start\n", 15);
  (void)r;
  int live = live_records, archived = archived_records;
  if (live + archived != TOTAL_RECORDS)
    bug("checker saw a record missing: preempted mid-compaction at step 37");
  return NULL;
}

int main(void) {
  logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pthread_t w, c;
  if (pthread_create(&w, NULL, writer, NULL) != 0) return 2;
  if (pthread_create(&c, NULL, checker, NULL) != 0) return 2;
  pthread_join(w, NULL);
  pthread_join(c, NULL);
  return 0;
}
