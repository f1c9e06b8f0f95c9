// Sleeps argv[1] seconds (default 1000) and prints how much CLOCK_MONOTONIC and
// CLOCK_REALTIME advanced, in whole seconds. Under ravel the sleep is virtual.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  unsigned secs = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
  struct timespec m0, m1, r0, r1;
  clock_gettime(CLOCK_MONOTONIC, &m0);
  clock_gettime(CLOCK_REALTIME, &r0);
  sleep(secs);
  clock_gettime(CLOCK_MONOTONIC, &m1);
  clock_gettime(CLOCK_REALTIME, &r1);
  printf("monotonic +%ld realtime +%ld\n", (long)(m1.tv_sec - m0.tv_sec), (long)(r1.tv_sec - r0.tv_sec));
  return 0;
}
