/* ravel classic corpus: stack_check (bug class: check-then-act, granularity: sync)
 *
 * A bounded stack whose push and pop each run under one mutex. Poppers test "not
 * empty" through a locked size getter and then pop in a second critical section, and
 * pop does not re-check: it decrements top below 0 (an underflow). The window between
 * check and pop holds only mutex calls, no syscall: sync granularity.
 *
 * Triggering interleaving (sync granularity): the pusher has pushed its one item;
 * popper 1 sees size 1 and is preempted at the pthread_mutex_lock of pop; popper 2 sees
 * size 1 and pops it; popper 1 pops the empty stack: top becomes -1.
 * Fixed twin: stack_check_fixed.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 4
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int slots[CAP];
static int top;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static int stack_size(void) {
  pthread_mutex_lock(&m);
  int n = top;
  pthread_mutex_unlock(&m);
  return n;
}

static void push(int v) {
  pthread_mutex_lock(&m);
  if (top == CAP) bug("stack overflow");
  slots[top++] = v;
  pthread_mutex_unlock(&m);
}

static int pop(void) { /* the caller checked the size */
  pthread_mutex_lock(&m);
  top--;
  if (top < 0) bug("stack underflow: the emptiness check was outside the pop's lock");
  int v = slots[top];
  pthread_mutex_unlock(&m);
  return v;
}

static void *pusher(void *arg) {
  (void)arg;
  push(7);
  return NULL;
}

static void *popper(void *arg) {
  (void)arg;
  if (stack_size() > 0) pop();
  return NULL;
}

int main(void) {
  pthread_t p, a, b;
  if (pthread_create(&p, NULL, pusher, NULL) != 0) return 2;
  if (pthread_create(&a, NULL, popper, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, popper, NULL) != 0) return 2;
  pthread_join(p, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  return 0;
}
