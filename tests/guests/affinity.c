// CPU affinity as a program sees it: the number of CPUs it may run on, what a thread sees
// after the program binds itself to its first CPU, and the kernel's errors for an
// impossible set and a too-small buffer. Under ravel the answers are the machine's
// whatever CPU ravel itself runs on. With an argument N: exits 1 unless it starts with N.
// `affinity where`: only the CPUs the kernel lets the main thread and a new thread run on
// (/proc's Cpus_allowed_list, which ravel does not answer), a line each.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int Count(void) {
  cpu_set_t s;
  if (sched_getaffinity(0, sizeof(s), &s) != 0) return -errno;
  return CPU_COUNT(&s);
}

/* "Cpus_allowed_list:\t0-1\n" of /proc/thread-self/status: the part after the tab. */
static void PrintAllowed(const char* who) {
  FILE* f = fopen("/proc/thread-self/status", "r");
  char line[512];
  while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "Cpus_allowed_list:", 18) == 0) printf("%s: %s", who, line + 18 + strspn(line + 18, " \t"));
  }
  if (f != NULL) fclose(f);
}

static void* Where(void* arg) {
  PrintAllowed("thread");
  return NULL;
}

static void* Thread(void* arg) {
  printf("thread: %d cpus\n", Count());
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "where") == 0) {
    PrintAllowed("main");
    pthread_t t;
    pthread_create(&t, NULL, Where, NULL);
    pthread_join(t, NULL);
    return 0;
  }
  const int n = Count();
  printf("start: %d cpus\n", n);
  cpu_set_t s;
  sched_getaffinity(0, sizeof(s), &s);
  int first = 0;
  while (first < CPU_SETSIZE && !CPU_ISSET(first, &s)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  printf("bind to the first: %d\n", sched_setaffinity(0, sizeof(one), &one));
  pthread_t t;
  pthread_create(&t, NULL, Thread, NULL);
  pthread_join(t, NULL);
  cpu_set_t impossible;
  CPU_ZERO(&impossible);
  CPU_SET(CPU_SETSIZE - 1, &impossible);
  int r = sched_setaffinity(0, sizeof(impossible), &impossible);
  printf("bind to cpu %d: %d %s\n", CPU_SETSIZE - 1, r, r != 0 ? strerror(errno) : "");
  char tiny[1];
  long small = syscall(SYS_sched_getaffinity, 0, sizeof(tiny), tiny);
  printf("1-byte buffer: %ld %s\n", small, small < 0 ? strerror(errno) : "");
  printf("main now: %d cpus\n", Count());
  fflush(stdout);
  return argc > 1 && n != atoi(argv[1]) ? 1 : 0;
}
