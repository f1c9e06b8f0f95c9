// read/write/openat/pipe2/close: prints the lines `ravel strace` must print for them.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  int fd = openat(AT_FDCWD, "/nonexistent/ravel", O_RDONLY);
  printf("openat(AT_FDCWD, \"/nonexistent/ravel\", O_RDONLY) = %d ENOENT (No such file or directory)\n", fd);
  int p[2];
  int r = pipe2(p, O_CLOEXEC);
  printf("pipe2([%d, %d], O_CLOEXEC) = %d\n", p[0], p[1], r);
  ssize_t w = write(p[1], "hello\tworld\n", 12);
  printf("write(%d, \"hello\\tworld\\n\", 12) = %zd\n", p[1], w);
  char buf[64];
  ssize_t n = read(p[0], buf, sizeof(buf));
  printf("read(%d, \"hello\\tworld\\n\", 64) = %zd\n", p[0], n);
  printf("close(%d) = %d\n", p[0], close(p[0]));
  int null = openat(AT_FDCWD, "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  printf("openat(AT_FDCWD, \"/dev/null\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = %d\n", null);
  // Longer than the default string limit: strace truncates to 32 bytes and adds "...".
  w = write(null, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
  printf("write(%d, \"0123456789abcdefghijklmnopqrstuv\"..., 36) = %zd\n", null, w);
  return 0;
}
