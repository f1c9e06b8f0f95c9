// fork + wait4: the child's syscalls carry its pid; its exit status shows in wait4.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int null_fd = open("/dev/null", O_WRONLY);
  pid_t child = fork();
  if (child == 0) {
    write(null_fd, "child", 5);
    _exit(7);
  }
  int status = 0;
  pid_t r = wait4(child, &status, 0, NULL);
  printf("[pid %d] write(%d, \"child\", 5) = 5\n", child, null_fd);
  printf("[pid %d] +++ exited with 7 +++\n", child);
  printf("[pid %d] wait4(%d, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, NULL) = %d\n", getpid(), child, r);
  return WEXITSTATUS(status) == 7 ? 0 : 1;
}
