// Native baseline driver of bench/stress_throughput.py: runs CMD N times, P at a time
// (posix_spawn + waitpid, the guest's stdio on /dev/null), and prints
// "<runs> <failures> <seconds>". Usage: spawn_loop N P CMD [ARG...]
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: spawn_loop N P CMD [ARG...]\n");
    return 2;
  }
  long n = atol(argv[1]), p = atol(argv[2]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  long started = 0, done = 0, failed = 0;
  double t0 = now();
  while (done < n) {
    while (started < n && started - done < p) {
      pid_t pid;
      if (posix_spawn(&pid, argv[3], &fa, 0, argv + 3, environ) != 0) {
        perror("posix_spawn");
        return 2;
      }
      ++started;
    }
    int status;
    if (wait(&status) < 0) {
      perror("wait");
      return 2;
    }
    ++done;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  printf("%ld %ld %.6f\n", n, failed, now() - t0);
  return 0;
}
