// Makes children with CLONE_UNTRACED, which would leave them untraced by ravel: with
// clone (raw, fork-like) and with clone3. Each child prints whether it is traced (the
// TracerPid line of /proc/self/status), then exits; the parent reaps each and prints its
// exit status. Under ravel both children must be traced: "child traced: yes".
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int Traced(void) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  char line[256];
  int tracer = -1;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (sscanf(line, "TracerPid: %d", &tracer) == 1) break;
  }
  fclose(f);
  return tracer > 0;
}

static void Child(const char* how) {
  printf("%s child traced: %s\n", how, Traced() ? "yes" : "no");
  fflush(stdout);
  _exit(7);
}

static int Reap(pid_t pid, const char* how) {
  if (pid < 0) {
    printf("%s: failed\n", how);
    return 1;
  }
  int status = 0;
  waitpid(pid, &status, __WALL);
  printf("%s child exit %d\n", how, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  fflush(stdout);
  return 0;
}

int main(void) {
  pid_t a = (pid_t)syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, NULL, NULL, 0);
  if (a == 0) Child("clone");
  int bad = Reap(a, "clone");
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_UNTRACED;
  args.exit_signal = SIGCHLD;
  pid_t b = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
  if (b == 0) Child("clone3");
  bad |= Reap(b, "clone3");
  return bad;
}
