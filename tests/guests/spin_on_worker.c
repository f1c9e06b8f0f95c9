// Guest: two threads spin on a plain flag while main makes 30 atomic increments (each an
// atomic point) before it sets the flag. A scheduler that switches to a spinner at
// main's points pays a liveness slice (0.2 s of CPU) each time. Prints the count.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static volatile int flag;
static atomic_long counter;

static void* Spin(void* arg) {
  (void)arg;
  while (!flag) {
  }
  return NULL;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, Spin, NULL);
  pthread_create(&b, NULL, Spin, NULL);
  for (int i = 0; i < 30; ++i) atomic_fetch_add(&counter, 1);
  flag = 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("%ld\n", atomic_load(&counter));
  return 0;
}
