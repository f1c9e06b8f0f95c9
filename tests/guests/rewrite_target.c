// Opens a path that does not exist; succeeds only if a tool rewrote the path.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  int fd = open("/nonexistent/ravel-rewrite-me", O_RDONLY);
  if (fd < 0) {
    printf("open failed\n");
    return 1;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof(buf));
  printf("read %zd bytes\n", n);
  return 0;
}
