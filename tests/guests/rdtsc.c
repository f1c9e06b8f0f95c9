// Reads the time-stamp counter three times (rdtsc, rdtscp, rdtsc) and prints the values,
// then RDTSCP's TSC_AUX.
#include <stdio.h>
#include <x86intrin.h>

int main(void) {
  unsigned aux;
  unsigned long long a = __rdtsc();
  unsigned long long b = __rdtscp(&aux);
  unsigned long long c = __rdtsc();
  printf("%llu %llu %llu aux %u\n", a, b, c, aux);
  return 0;
}
