// A non-main thread execs the program again ("stage2"), which exits 42. Under ravel the
// exec'ing thread takes over the leader's id; the run must end with 42.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char* self;

static void* Exec(void* arg) {
  char* argv[] = {self, "stage2", NULL};
  execv("/proc/self/exe", argv);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "stage2") == 0) {
    printf("stage2 pid=%d\n", getpid());
    return 42;
  }
  self = argv[0];
  pthread_t t;
  pthread_create(&t, NULL, Exec, NULL);
  // The main thread waits; exec from the other thread ends it.
  for (;;) pause();
}
