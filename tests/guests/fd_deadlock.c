// A worker waits for input that only main could send, while main waits for the worker:
// a deadlock that natively hangs for ever. Modes, by what the worker waits on:
//   pipe     read() from a pipe whose write end only main holds
//   eventfd  poll() on an eventfd (as GMainContext's wake-up fd)
//   epoll    epoll_wait() on an epoll set holding that eventfd
//   stdin    read() from fd 0: fed from outside, so no deadlock; the worker prints what
//            it read and main's join ends
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int fd = -1;
static const char* mode;

static void* worker(void* arg) {
  (void)arg;
  if (strcmp(mode, "pipe") == 0 || strcmp(mode, "stdin") == 0) {
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n > 0) {
      buf[n] = '\0';
      printf("read %s", buf);
    }
  } else if (strcmp(mode, "eventfd") == 0) {
    struct pollfd p = {fd, POLLIN, 0};
    poll(&p, 1, -1);
  } else {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    epoll_wait(ep, &ev, 1, -1);
  }
  return NULL;
}

int main(int argc, char** argv) {
  mode = argc > 1 ? argv[1] : "pipe";
  int p[2] = {-1, -1};
  if (strcmp(mode, "pipe") == 0) {
    if (pipe(p) != 0) return 2;
    fd = p[0];
  } else if (strcmp(mode, "stdin") == 0) {
    fd = 0;
  } else if (strcmp(mode, "eventfd") == 0 || strcmp(mode, "epoll") == 0) {
    fd = eventfd(0, EFD_CLOEXEC);
  } else {
    fprintf(stderr, "usage: fd_deadlock pipe|eventfd|epoll|stdin\n");
    return 2;
  }
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, NULL);
  puts("joined");
  return 0;
}
