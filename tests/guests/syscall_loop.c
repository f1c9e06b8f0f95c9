// getppid N times (default 1000) via syscall(2), plus one openat per 100: the workload of
// the inject-getpid handler test and of the benchmarks.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  int every = argc > 2 ? atoi(argv[2]) : 100;
  pid_t expected = getppid();
  long wrong = 0;
  for (long i = 0; i < n; ++i) {
    if (syscall(SYS_getppid) != expected) ++wrong;
    if (every > 0 && i % every == 0) {
      int fd = open("/dev/null", O_RDONLY);
      if (fd >= 0) close(fd);
    }
  }
  if (argc <= 3) printf("done %ld wrong %ld\n", n, wrong);
  return wrong == 0 ? 0 : 1;
}
