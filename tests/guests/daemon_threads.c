// Endless daemon threads: main starts 40 detached threads, each looping for ever over
// open/read/close, open/write/close and a sleep of 0-500 us; main checks every 1 ms until
// every thread has run once, then exits. A serialising scheduler must owe progress to
// main, whatever the strategy: PCT alone would let the daemons, which never end, starve it.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N 40

static volatile int ran[N];

static void* daemon_loop(void* arg) {
  const int me = (int)(long)arg;
  unsigned seed = (unsigned)me * 2654435761u;
  char buf[16];
  for (;;) {
    int fd = open("/dev/zero", O_RDONLY);
    ssize_t r = read(fd, buf, sizeof(buf));
    close(fd);
    fd = open("/dev/null", O_WRONLY);
    r = write(fd, buf, sizeof(buf));
    (void)r;
    close(fd);
    ran[me] = 1;
    seed = seed * 1103515245u + 12345u;
    usleep((seed >> 16) % 501);
  }
  return NULL;
}

int main(void) {
  for (long i = 0; i < N; ++i) {
    pthread_t t;
    pthread_create(&t, NULL, daemon_loop, (void*)i);
    pthread_detach(t);
  }
  for (;;) {
    int all = 1;
    for (int i = 0; i < N; ++i) all &= ran[i];
    if (all) break;
    usleep(1000);
  }
  printf("every daemon ran\n");
  fflush(stdout);
  exit(0);
}
