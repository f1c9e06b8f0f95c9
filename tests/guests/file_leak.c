// A planted leak of nondeterminism that leaves no trace ravel records: the program keeps
// a counter in the file named by argv[1] (missing: 0), adds one for the next run, and
// then a worker thread makes as many getppid calls as the counter said. Each run starts
// from another count, so two runs always differ, at the worker's first getppid of the
// later run: `ravel run --verify` must name that step, and can only call the cause
// unknown (a file the program changed for its next run). With a second argument
// "fail-even", it also exits 1 when the count was even: it fails, then passes.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long count;

static void* worker(void* arg) {
  (void)arg;
  for (long i = 0; i < count; ++i) syscall(SYS_getppid);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) return 2;
  char buf[32] = {0};
  int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
  if (fd < 0) return 2;
  if (read(fd, buf, sizeof(buf) - 1) < 0) return 2;
  count = strtol(buf, NULL, 10);
  char next[32];
  int n = snprintf(next, sizeof(next), "%ld\n", count + 1);
  if (pwrite(fd, next, (size_t)n, 0) != n) return 2;
  close(fd);
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 2;
  pthread_join(t, NULL);
  if (argc == 3 && count % 2 == 0) {
    fprintf(stderr, "count %ld is even\n", count);
    return 1;
  }
  return 0;
}
