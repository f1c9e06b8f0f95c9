// exit_group while three threads are busy: every thread goes, the status is the main's.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static void* Busy(void* arg) {
  for (;;) syscall(SYS_getppid);
  return NULL;
}

int main(void) {
  pthread_t t[3];
  for (int i = 0; i < 3; ++i) pthread_create(&t[i], NULL, Busy, NULL);
  usleep(1000);
  exit(3);
}
