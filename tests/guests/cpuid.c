// Reads CPUID as libraries do and prints what it saw: hardware randomness (RDRAND, leaf 1
// ECX bit 30; RDSEED, leaf 7 EBX bit 18), transactional memory (HLE, RTM: leaf 7 EBX bits 4
// and 11), and the initial APIC id (leaf 1 EBX bits 31-24), from main and from a thread.
#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>

static void Report(const char* who) {
  unsigned a, b, c, d, b7 = 0, a7, c7, d7;
  __cpuid(1, a, b, c, d);
  __cpuid_count(7, 0, a7, b7, c7, d7);
  printf("%s: rdrand %u rdseed %u hle %u rtm %u apic %u\n", who, (c >> 30) & 1, (b7 >> 18) & 1, (b7 >> 4) & 1,
         (b7 >> 11) & 1, b >> 24);
  fflush(stdout);
}

static void* Worker(void* arg) {
  (void)arg;
  Report("worker");
  return NULL;
}

int main(void) {
  Report("main");
  pthread_t t;
  pthread_create(&t, NULL, Worker, NULL);
  pthread_join(t, NULL);
  return 0;
}
