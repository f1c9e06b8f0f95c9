// mkstemp's name, printed (the file is removed again). glibc makes the first name from
// CLOCK_MONOTONIC: under ravel, the virtual clock of the run.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
  char name[] = "/tmp/ravel-tempname-XXXXXX";
  int fd = mkstemp(name);
  if (fd < 0) {
    perror("mkstemp");
    return 1;
  }
  printf("%s\n", name);
  close(fd);
  unlink(name);
  return 0;
}
