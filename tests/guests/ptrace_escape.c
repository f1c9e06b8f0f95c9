// Tries to trace what ravel did not start: ravel itself (its parent) and pid 1, from the
// first thread before any clone and again from a second thread; then attaches to its own
// child (a guest process, already traced) and asks PTRACE_TRACEME. Prints each answer.
// Under ravel every one fails: ravel must never end up a tracee of its own guest.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* ErrnoName(int e) {
  switch (e) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case ENOSYS: return "ENOSYS";
    default: return strerror(e);
  }
}

static void Report(const char* what, long r) {
  printf("%s: %s\n", what, r == 0 ? "OK" : ErrnoName(errno));
  fflush(stdout);
}

static void TryOutside(const char* who) {
  char what[64];
  errno = 0;
  snprintf(what, sizeof(what), "%sattach parent", who);
  Report(what, ptrace(PTRACE_ATTACH, getppid(), 0, 0));
  snprintf(what, sizeof(what), "%sseize parent", who);
  Report(what, ptrace(PTRACE_SEIZE, getppid(), 0, 0));
  snprintf(what, sizeof(what), "%sattach init", who);
  Report(what, ptrace(PTRACE_ATTACH, 1, 0, 0));
  snprintf(what, sizeof(what), "%sinterrupt parent", who);
  Report(what, ptrace(PTRACE_INTERRUPT, getppid(), 0, 0));
}

static void* Thread(void* arg) {
  TryOutside("thread: ");
  return NULL;
}

int main(void) {
  TryOutside("");
  pthread_t t;
  if (pthread_create(&t, NULL, Thread, NULL) != 0) return 10;
  pthread_join(t, NULL);

  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) return 11;
  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    close(go[1]);
    Report("child: traceme", ptrace(PTRACE_TRACEME, 0, 0, 0));
    close(ready[1]);
    char c;
    while (read(go[0], &c, 1) > 0) {}  // until the parent is done with it
    _exit(0);
  }
  close(ready[1]);
  close(go[0]);
  char c;
  while (read(ready[0], &c, 1) > 0) {}  // the child has asked
  Report("attach child", ptrace(PTRACE_ATTACH, child, 0, 0));
  close(go[1]);
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return 12;
  printf("done\n");
  return 0;
}
