// Two threads claim a one-time job through libravel_claim.so (claim_lib.c): linked, or
// with "dlopen" loaded by dlopen after the threads exist. Exits 1 when both claimed it.
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void claim(void);
int owner_count(void);

static void (*claim_fn)(void);

static void* Worker(void* arg) {
  ssize_t r = write(1, "", 0);  // a syscall point before the claim
  (void)r;
  claim_fn();
  return NULL;
}

int main(int argc, char** argv) {
  int (*count_fn)(void) = owner_count;
  claim_fn = claim;
  pthread_t a, b;
  if (argc > 2 && strcmp(argv[1], "dlopen") == 0) {
    // Load it once a thread exists (ravel watches every call then).
    pthread_create(&a, NULL, (void* (*)(void*))usleep, (void*)1);
    pthread_join(a, NULL);
    void* lib = dlopen(argv[2], RTLD_NOW);
    if (lib == NULL) {
      fprintf(stderr, "dlopen: %s\n", dlerror());
      return 2;
    }
    claim_fn = (void (*)(void))dlsym(lib, "claim");
    count_fn = (int (*)(void))dlsym(lib, "owner_count");
  }
  pthread_create(&a, NULL, Worker, NULL);
  pthread_create(&b, NULL, Worker, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (count_fn() != 1) {
    fprintf(stderr, "BUG: both workers claimed the one-time job\n");
    return 1;
  }
  return 0;
}
