/* What a hand-off between two guest threads costs when another process decides it, through
 * shared memory instead of ptrace (issue #17: could a "channel" replace the ptrace stop at
 * each scheduling point while the scheduler keeps deciding in the tracer?).
 *
 *   supervised_handoff N [pin]
 *
 * A child process runs two threads; each, N times, posts a request in its slot of a shared
 * page and waits on a futex there. The parent (the "tracer") spins on the page, answers
 * each request by handing the turn to the other thread (a store and a FUTEX_WAKE), and
 * times the lot. No decision work at all: this is the floor of any design that keeps the
 * decision in another process. With `pin`, the child runs on CPU 0 and the parent on CPU 1.
 * Compare with `yields pingpong N` (bench/guests/yields.c), the in-process floor.
 * Prints "<hand-offs> steps <us> us/step". */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kRunning = 0, kRequest = 1, kGo = 2, kDone = 3 };

struct Slot {
  _Atomic unsigned state;
  char pad[60];  /* one cache line each */
};
struct Page {
  struct Slot slot[2];
};

static struct Page* page;
static long rounds;

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void Wait(_Atomic unsigned* word, unsigned seen) { syscall(SYS_futex, word, FUTEX_WAIT, seen, 0, 0, 0); }
static void Wake(_Atomic unsigned* word) { syscall(SYS_futex, word, FUTEX_WAKE, 1, 0, 0, 0); }

static void WaitFor(struct Slot* s, unsigned wanted) {
  unsigned v;
  while ((v = atomic_load(&s->state)) != wanted) Wait(&s->state, v);
}

static void* Guest(void* arg) {
  struct Slot* s = &page->slot[(long)arg];
  WaitFor(s, kGo);
  atomic_store(&s->state, kRunning);
  for (long i = 0; i < rounds; ++i) {
    atomic_store(&s->state, kRequest);
    WaitFor(s, kGo);
    atomic_store(&s->state, kRunning);
  }
  atomic_store(&s->state, kDone);
  return 0;
}

static void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) perror("sched_setaffinity");
}

static void Give(int to) {
  atomic_store(&page->slot[to].state, kGo);
  Wake(&page->slot[to].state);
}

int main(int argc, char** argv) {
  if (argc < 2 || (rounds = atol(argv[1])) <= 0) {
    fprintf(stderr, "usage: supervised_handoff N [pin]\n");
    return 2;
  }
  const int pin = argc > 2;
  page = mmap(0, sizeof(struct Page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 1;
  const pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    if (pin) Pin(0);
    pthread_t a, b;
    pthread_create(&a, 0, Guest, (void*)0);
    pthread_create(&b, 0, Guest, (void*)1);
    pthread_join(a, 0);
    pthread_join(b, 0);
    _exit(0);
  }
  if (pin) Pin(1);
  const double start = Now();
  int current = 0, done = 0;
  long steps = 0;
  Give(0);
  while (done < 2) {
    const unsigned v = atomic_load(&page->slot[current].state);
    const int other = 1 - current;
    if (v == kRequest || v == kDone) {
      if (v == kDone) ++done;
      if (atomic_load(&page->slot[other].state) != kDone) {
        Give(other);
        current = other;
        if (v == kRequest) ++steps;
      } else if (v == kRequest) {
        Give(current);  /* the other has finished: the same thread goes on */
        ++steps;
      } else {
        break;
      }
    }
  }
  const double took = Now() - start;
  waitpid(child, 0, 0);
  printf("%ld steps %.2f us/step\n", steps, took / steps * 1e6);
  return 0;
}
