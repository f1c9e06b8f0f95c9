// Stops itself (raise(SIGSTOP)), as a program that mishandles job control might. Nothing
// continues it: natively it stays stopped until someone sends SIGCONT.
//   self_stop alone [READY]    the only process; creates READY (when given) just before
//   self_stop partner [READY]  first forks a child that sleeps for ever, so that the run
//                              never ends by itself (no deadlock either: time goes on)
// Exits 0 if it is ever continued.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "partner") == 0) {
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
      for (;;) {
        struct timespec ts = {1000, 0};
        nanosleep(&ts, NULL);
      }
    }
  }
  if (argc > 2) close(open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  raise(SIGSTOP);
  printf("continued\n");
  return 0;
}
