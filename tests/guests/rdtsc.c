// Reads the time-stamp counter three times (rdtsc, rdtscp, rdtsc) and prints the values.
#include <stdio.h>
#include <x86intrin.h>

int main(void) {
  unsigned aux;
  unsigned long long a = __rdtsc();
  unsigned long long b = __rdtscp(&aux);
  unsigned long long c = __rdtsc();
  printf("%llu %llu %llu\n", a, b, c);
  return 0;
}
