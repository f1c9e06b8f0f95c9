/* ravel classic corpus: lockfree_stack_aba (bug class: aba, granularity: atomic)
 *
 * A lock-free (Treiber) stack over a pool of three recycled nodes. top is a 64-bit
 * word: a version tag in the high half, the node index (or NIL) in the low half, and
 * pop is a CAS of top from A to A's next. This stack never bumps the tag, so a pop that
 * read A and its next, and then sleeps while another thread pops A, pops B and pushes A
 * back, finds top == A again: its CAS succeeds and installs B, a node the other thread
 * holds (ABA). The window lies between atomic instructions only: atomic granularity.
 *
 * Triggering interleaving (atomic granularity): the stack is A -> B -> C; thread 1
 * loads top A and A.next == B and is preempted before its CAS; thread 2 pops A, pops B,
 * pushes A back (A -> C); thread 1's CAS A -> B succeeds. The stack now starts at B,
 * which thread 2 still holds: main finds a node on the stack that is not marked there.
 * Fixed twin: lockfree_stack_aba_fixed.c.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NIL 0xffffffffu
#define TAG_STEP 0 /* the bug: the tag never changes (the fixed twin uses 1 << 32) */
struct node {
  uint32_t next;
  atomic_int on_stack;
};
static struct node pool[3];
static _Atomic uint64_t top;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void push(uint32_t i) {
  atomic_store(&pool[i].on_stack, 1);
  uint64_t old = atomic_load(&top);
  do pool[i].next = (uint32_t)old;
  while (!atomic_compare_exchange_weak(&top, &old, ((old & ~0xffffffffull) + TAG_STEP) | i));
}

static uint32_t pop(void) {
  uint64_t old = atomic_load(&top);
  uint32_t i, next;
  do {
    i = (uint32_t)old;
    if (i == NIL) return NIL;
    next = pool[i].next; /* stale if i was popped and pushed back meanwhile */
  } while (!atomic_compare_exchange_weak(&top, &old, ((old & ~0xffffffffull) + TAG_STEP) | next));
  if (!atomic_exchange(&pool[i].on_stack, 0)) bug("popped a node that another thread holds");
  return i;
}

static void *one_pop(void *arg) {
  (void)arg;
  pop();
  return NULL;
}

static void *recycler(void *arg) {
  (void)arg;
  uint32_t a = pop(), b = pop();
  (void)b; /* keeps b */
  if (a != NIL) push(a);
  return NULL;
}

int main(void) {
  top = NIL;
  for (uint32_t i = 3; i-- > 0;) push(i); /* 0 -> 1 -> 2 */
  pthread_t t1, t2;
  if (pthread_create(&t1, NULL, one_pop, NULL) != 0) return 2;
  if (pthread_create(&t2, NULL, recycler, NULL) != 0) return 2;
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  int n = 0;
  for (uint32_t i = (uint32_t)top; i != NIL && n < 4; i = pool[i].next, n++)
    if (!atomic_load(&pool[i].on_stack)) bug("the stack holds a node another thread popped (ABA)");
  if (n != 1) bug("the stack does not hold exactly one node after two pops");
  return 0;
}
