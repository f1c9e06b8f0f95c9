// Blocks every signal it can, then creates argv[2] (when given) and runs for ever:
// argv[1] "spin" computes without a syscall, "sleep" sleeps in a loop. Only SIGKILL
// (which cannot be blocked) can end it.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  sigset_t all;
  sigfillset(&all);
  if (sigprocmask(SIG_BLOCK, &all, NULL) != 0) return 1;
  if (argc > 2) close(open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
    for (;;) {
      struct timespec ts = {1000, 0};
      nanosleep(&ts, NULL);
    }
  }
  volatile unsigned long n = 0;
  for (;;) ++n;
}
