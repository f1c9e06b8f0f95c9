// Subprocesses started while another thread runs: system(), popen() and posix_spawn() use
// vfork-style clones. Under ravel each seed gives one fingerprint, and a recording replays.
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static void* busy(void* arg) {
  (void)arg;
  for (int i = 0; i < 20; ++i) {
    FILE* f = fopen("/dev/null", "w");
    if (f != NULL) fclose(f);
  }
  return NULL;
}

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "system";
  pthread_t th;
  pthread_create(&th, 0, busy, 0);
  int r = -1;
  if (strcmp(what, "system") == 0) {
    r = system("true");
  } else if (strcmp(what, "popen") == 0) {
    FILE* p = popen("echo from-child", "r");
    char line[64] = "";
    if (p != NULL && fgets(line, sizeof(line), p) != NULL) printf("popen read: %s", line);
    r = p != NULL ? pclose(p) : -1;
  } else if (strcmp(what, "posix_spawn") == 0) {
    pid_t pid;
    char* args[] = {"/bin/true", NULL};
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) == 0) waitpid(pid, &r, 0);
  }
  pthread_join(th, 0);
  printf("%s: %d\n", what, r);
  return 0;
}
