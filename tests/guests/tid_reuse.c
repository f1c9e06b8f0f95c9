// Guest: a thread's tid given again to a later thread of the same process.
//
// Thread A runs and is joined (reaped: its tid X is free again). Then ns_last_pid is set
// to X - 1, so that the kernel gives X to the next thread, B (the way CRIU restores pids;
// needs root). main joins B. A tracer that still maps X to A after A was reaped takes B for
// a thread it knows, and B's exit wakes nobody: the join hangs.
//
// Prints "reused" when B got A's tid 8 times (it tries up to 40 times: another process on
// the machine may take X first; how the old tracer failed depended on event timing, so
// one reuse did not always show it), "not reused" when fewer did, "skip: <why>" when
// ns_last_pid cannot be written.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void* record_tid(void* out) {
  *(pid_t*)out = (pid_t)syscall(SYS_gettid);
  return NULL;
}

static pid_t run_thread(void) {
  pid_t tid = 0;
  pthread_t t;
  if (pthread_create(&t, NULL, record_tid, &tid) != 0) return -1;
  pthread_join(t, NULL);
  return tid;
}

int main(void) {
  int reused = 0;
  for (int attempt = 0; attempt < 40 && reused < 8; ++attempt) {
    const pid_t a = run_thread();
    int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      printf("skip: ns_last_pid: %s\n", strerror(errno));
      return 0;
    }
    char text[32];
    const int n = snprintf(text, sizeof(text), "%d", a - 1);
    const ssize_t w = write(fd, text, (size_t)n);
    close(fd);
    if (w != n) {
      printf("skip: ns_last_pid: %s\n", strerror(errno));
      return 0;
    }
    if (run_thread() == a) ++reused;
  }
  printf(reused == 8 ? "reused\n" : "not reused\n");
  return 0;
}
