// What programs do with the time-stamp counter, one mode per use:
//   threads  the program: CPUID leaf 1's RDRAND bit, a worker's RDTSC and RDTSCP,
//            main's RDTSC; then RDTSCP's TSC_AUX beside what getcpu says (the same CPU)
//   spin     two workers each spin until 20000 cycles passed, counting their reads
//   seed     two workers seed a PRNG from RDTSC and print three of its numbers
//   crowd    a reader reads the counter 300 times while main starts and joins 64 threads
//            (the scheduler's tables grow while the reader is parked at a read)
//   timing   a bug: main starts a worker that publishes a result after some work, then
//            waits "long enough" (50000 cycles) instead of joining, and reads the result.
//            It passes whenever the worker ran first; exit 1 when it had not finished.
// Every mode prints only what the counter decided, so one seed gives one output.
#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

static void* threads_worker(void* arg) {
  (void)arg;
  unsigned aux;
  unsigned long long t = __rdtsc(), t2 = __rdtscp(&aux);
  printf("worker %llu %llu\n", t, t2);
  return NULL;
}

static int threads_mode(void) {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  printf("rdrand %u\n", (c >> 30) & 1);
  pthread_t t;
  pthread_create(&t, NULL, threads_worker, NULL);
  unsigned long long x = __rdtsc();
  pthread_join(t, NULL);
  printf("main %llu\n", x);
  unsigned aux = 0, cpu = ~0u, node = ~0u;
  (void)__rdtscp(&aux);
  syscall(SYS_getcpu, &cpu, &node, NULL);
  printf("tsc_aux cpu %u node %u, getcpu cpu %u node %u\n", aux & 0xfff, aux >> 12, cpu, node);
  return 0;
}

static void* spin_worker(void* arg) {
  const unsigned long long start = __rdtsc();
  long reads = 1;
  while (__rdtsc() - start < 20000) ++reads;
  printf("spinner %ld: %ld reads\n", (long)(intptr_t)arg, reads);
  return NULL;
}

// Runs `worker` in two threads (argument 0 and 1) and joins them.
static int two_workers(void* (*worker)(void*)) {
  pthread_t t[2];
  for (long i = 0; i < 2; ++i) pthread_create(&t[i], NULL, worker, (void*)(intptr_t)i);
  for (int i = 0; i < 2; ++i) pthread_join(t[i], NULL);
  return 0;
}

static void* seed_worker(void* arg) {
  unsigned short state[3];
  const unsigned long long tsc = __rdtsc();
  memcpy(state, &tsc, sizeof(state));
  long r1 = nrand48(state), r2 = nrand48(state), r3 = nrand48(state);
  printf("seeded %ld: %ld %ld %ld\n", (long)(intptr_t)arg, r1, r2, r3);
  return NULL;
}

static void* crowd_reader(void* arg) {
  (void)arg;
  unsigned long long last = 0, decreases = 0;
  for (int i = 0; i < 300; ++i) {
    const unsigned long long now = __rdtsc();
    decreases += now < last;
    last = now;
  }
  printf("reader: %llu decreases\n", decreases);
  return NULL;
}

static void* crowd_member(void* arg) { return arg; }

static int crowd_mode(void) {
  pthread_t reader, members[64];
  pthread_create(&reader, NULL, crowd_reader, NULL);
  for (int i = 0; i < 64; ++i) pthread_create(&members[i], NULL, crowd_member, NULL);
  for (int i = 0; i < 64; ++i) pthread_join(members[i], NULL);
  pthread_join(reader, NULL);
  return 0;
}

static volatile int result;

static void* timing_worker(void* arg) {
  (void)arg;
  unsigned long long sum = 0;
  for (int i = 0; i < 3; ++i) sum += __rdtsc() & 1;  // "some work"
  result = 42 + (int)(sum & 0);
  return NULL;
}

static int timing_mode(void) {
  pthread_t t;
  pthread_create(&t, NULL, timing_worker, NULL);
  pthread_detach(t);
  const unsigned long long start = __rdtsc();
  while (__rdtsc() - start < 50000) {
  }
  if (result != 42) {
    printf("the worker had not finished after 50000 cycles\n");
    return 1;
  }
  printf("result %d\n", result);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "threads";
  if (strcmp(mode, "threads") == 0) return threads_mode();
  if (strcmp(mode, "spin") == 0) return two_workers(spin_worker);
  if (strcmp(mode, "seed") == 0) return two_workers(seed_worker);
  if (strcmp(mode, "timing") == 0) return timing_mode();
  if (strcmp(mode, "crowd") == 0) return crowd_mode();
  fprintf(stderr, "usage: tsc_uses threads|spin|seed|crowd|timing\n");
  return 2;
}
