// Job control through ravel: a child stops itself (group-stop), the parent sees it
// stopped (WUNTRACED), continues it with SIGCONT and collects its exit status.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  pid_t child = fork();
  if (child == 0) {
    raise(SIGSTOP);
    _exit(5);
  }
  int status = 0;
  if (waitpid(child, &status, WUNTRACED) != child || !WIFSTOPPED(status)) return 1;
  printf("stopped by %d\n", WSTOPSIG(status));
  kill(child, SIGCONT);
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return 2;
  printf("exited %d\n", WEXITSTATUS(status));
  return WEXITSTATUS(status) == 5 ? 0 : 3;
}
