// A parent kills its sleeping child with SIGKILL and waits for it. SIGKILL ends a parked
// or stopped tracee at once: the scheduler must pin that end to the kill's step, or the
// wait hangs or wakes at a step that depends on timing.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(void) {
  int ready[2];
  pipe(ready);
  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    printf("child\n"); fflush(stdout);
    close(ready[1]);
    for (;;) { struct timespec ts = {1000, 0}; nanosleep(&ts, NULL); }
  }
  close(ready[1]);
  char c;
  while (read(ready[0], &c, 1) > 0) {}
  kill(child, SIGKILL);
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status)) return 12;
  printf("done\n");
  return 0;
}
