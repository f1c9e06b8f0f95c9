/* ravel corpus: cross_process_file_race (bug class: cross-process-race, granularity: syscall)
 *
 * A counter lives in a temp file (mkstemp under /tmp). The parent and a forked child each
 * increment it by read-modify-write: open, pread, pwrite, close. Nothing serialises the
 * two processes, so one increment can be lost. Natively the two increments rarely
 * overlap: a fork takes far longer than an increment.
 *
 * Triggering interleaving: the parent opens the file, preads "0" and is preempted at its
 * pwrite(); the child runs its whole increment (open, pread "0", pwrite "1", close) and
 * exits; the parent resumes and writes "1". After waitpid the counter is 1.
 * (Symmetrically: the child preempted at its pwrite while the parent increments.)
 * Fixed twin: cross_process_file_race_fixed.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[] = "/tmp/ravel-counter-XXXXXX";

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  unlink(path);
  exit(1);
}

static int read_counter(int fd) {
  char buf[32];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = '\0';
  return atoi(buf);
}

static void increment(void) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) bug("cannot open the counter file");
  int v = read_counter(fd);
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d\n", v + 1);
  if (pwrite(fd, buf, (size_t)n, 0) != n) bug("short write to the counter file");
  close(fd);
}

int main(void) {
  int fd = mkstemp(path);
  if (fd < 0) return 2;
  if (write(fd, "0\n", 2) != 2) bug("cannot initialise the counter file");
  close(fd);

  pid_t pid = fork();
  if (pid < 0) bug("fork failed");
  if (pid == 0) {
    increment();
    _exit(0);
  }
  increment();
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    bug("child failed");

  fd = open(path, O_RDONLY | O_CLOEXEC);
  int final = read_counter(fd);
  close(fd);
  unlink(path);
  if (final != 2) {
    fprintf(stderr, "BUG: counter is %d after two increments: one update was lost\n", final);
    return 1;
  }
  return 0;
}
