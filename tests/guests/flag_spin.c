// main spins on a plain flag, without a syscall or a lock, until a second thread sets it.
// Under ravel only one thread runs at a time: unless main is preempted, the setter never
// runs. Usage: flag_spin [sleep|pure]; with "sleep" the setter first sleeps 1 s (virtual
// time must pass while main spins); with "pure" main's loop only loads and tests the flag
// (no counter), so its registers are the same on every pass.
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int flag;
static int sleep_first;

static void* Setter(void* arg) {
  if (sleep_first) sleep(1);
  flag = 1;
  return NULL;
}

int main(int argc, char** argv) {
  sleep_first = argc > 1 && strcmp(argv[1], "sleep") == 0;
  const int pure = argc > 1 && strcmp(argv[1], "pure") == 0;
  pthread_t t;
  pthread_create(&t, NULL, Setter, NULL);
  unsigned long spins = 0;
  if (pure) {
    while (!flag) {
    }
  } else {
    while (!flag) ++spins;
  }
  pthread_join(t, NULL);
  printf("main saw the flag\n");
  return 0;
}
