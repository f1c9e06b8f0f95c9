// A planted leak of nondeterminism: a worker thread reads the time-stamp counter and
// makes one syscall per bit of it (getpid for a 1, getppid for a 0), bits 8 to 39.
// Where RDTSC is trapped, ravel answers with virtual time and every run takes the same
// steps. Where it is not (AMD VMs), two runs read different counters (bits 8..39 change
// every 256 cycles and repeat only after 2^40, many minutes), so their steps differ at
// the first differing bit: `ravel run --verify` must name that step and the RDTSC.
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

static void* worker(void* arg) {
  (void)arg;
  const unsigned long long tsc = __rdtsc();
  for (int bit = 39; bit >= 8; --bit) {
    syscall((tsc >> bit) & 1 ? SYS_getpid : SYS_getppid);
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) return 2;
  pthread_join(t, NULL);
  puts("done");
  return 0;
}
