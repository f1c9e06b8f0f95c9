/* ravel classic corpus: stack_check_fixed (twin of stack_check; must always pass)
 *
 * try_pop tests for emptiness and pops in one critical section.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 4
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int slots[CAP];
static int top;
static int popped;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void push(int v) {
  pthread_mutex_lock(&m);
  if (top == CAP) bug("stack overflow");
  slots[top++] = v;
  pthread_mutex_unlock(&m);
}

static void try_pop(void) {
  pthread_mutex_lock(&m);
  if (top > 0) {
    if (slots[--top] != 7) bug("popped a wrong item");
    popped++;
  }
  pthread_mutex_unlock(&m);
}

static void *pusher(void *arg) {
  (void)arg;
  push(7);
  return NULL;
}

static void *popper(void *arg) {
  (void)arg;
  try_pop();
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
  if (popped + top != 1) bug("the item was lost or duplicated");
  return 0;
}
