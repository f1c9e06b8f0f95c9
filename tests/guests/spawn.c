// posix_spawn (clone with CLONE_VM|CLONE_VFORK in glibc) of /bin/true, then waitpid.
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

int main(void) {
  pid_t child;
  char* argv[] = {"true", NULL};
  if (posix_spawn(&child, "/bin/true", NULL, NULL, argv, environ) != 0) return 1;
  int status;
  if (waitpid(child, &status, 0) != child) return 1;
  printf("re:\\[pid %d\\] execve\\(\"/bin/true\", \\[\"true\"\\], .*\\) = 0\n", child);
  printf("[pid %d] +++ exited with 0 +++\n", child);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
