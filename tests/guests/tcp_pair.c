// A client and a server talking over loopback TCP, as a test of a network library does:
// the server (a thread, or with "fork" a child process) accepts one connection and
// answers five requests; the client connects, asks, and prints the answers.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener;

static void serve(void) {
  int c = accept(listener, NULL, NULL);
  if (c < 0) _exit(3);
  char buf[64];
  for (int i = 0; i < 5; ++i) {
    ssize_t n = read(c, buf, sizeof(buf) - 1);
    if (n <= 0) break;
    buf[n] = '\0';
    char reply[96];
    int len = snprintf(reply, sizeof(reply), "echo:%s", buf);
    if (write(c, reply, (size_t)len) != len) break;
  }
  close(c);
}

static void* server_thread(void* arg) {
  (void)arg;
  serve();
  return NULL;
}

int main(int argc, char** argv) {
  const int use_fork = argc > 1 && strcmp(argv[1], "fork") == 0;
  listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, (struct sockaddr*)&addr, &len) != 0) {
    perror("listen");
    return 2;
  }
  pthread_t t;
  pid_t child = -1;
  if (use_fork) {
    child = fork();
    if (child == 0) {
      serve();
      _exit(0);
    }
  } else {
    pthread_create(&t, NULL, server_thread, NULL);
  }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(s, (struct sockaddr*)&addr, sizeof(addr)) != 0) {
    perror("connect");
    return 2;
  }
  for (int i = 0; i < 5; ++i) {
    char msg[16], buf[96];
    int n = snprintf(msg, sizeof(msg), "req%d", i);
    if (write(s, msg, (size_t)n) != n) return 1;
    ssize_t got = read(s, buf, sizeof(buf) - 1);
    if (got <= 0) return 1;
    buf[got] = '\0';
    printf("%s\n", buf);
  }
  close(s);
  if (use_fork) {
    int status;
    waitpid(child, &status, 0);
  } else {
    pthread_join(t, NULL);
  }
  return 0;
}
