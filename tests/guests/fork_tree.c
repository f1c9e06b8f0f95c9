// A bounded fork bomb: a tree of 200 processes (10 children of the first process, 19
// children of each of those), every one sleeping for ever. RLIMIT_NPROC cannot bound it
// (root ignores that limit), so the count is fixed here. Once all 200 are running the
// first process creates argv[1] (when given) and sleeps too. Only a kill ends the tree.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { kChildren = 10, kGrandchildren = 19, kTotal = kChildren * (1 + kGrandchildren) };

static void SleepForEver(void) {
  for (;;) {
    struct timespec ts = {1000, 0};
    nanosleep(&ts, NULL);
  }
}

int main(int argc, char** argv) {
  int started[2];
  if (pipe(started) != 0) return 1;
  for (int i = 0; i < kChildren; ++i) {
    pid_t child = fork();
    if (child < 0) return 2;
    if (child > 0) continue;
    for (int j = 0; j < kGrandchildren; ++j) {
      pid_t grandchild = fork();
      if (grandchild < 0) _exit(2);
      if (grandchild > 0) continue;
      close(started[0]);
      if (write(started[1], "g", 1) != 1) _exit(3);
      close(started[1]);
      SleepForEver();
    }
    close(started[0]);
    if (write(started[1], "c", 1) != 1) _exit(3);
    close(started[1]);
    SleepForEver();
  }
  close(started[1]);
  int count = 0;
  char c;
  while (count < kTotal && read(started[0], &c, 1) == 1) ++count;
  if (count != kTotal) return 4;
  printf("%d processes\n", count);
  fflush(stdout);
  if (argc > 1) close(open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  SleepForEver();
}
