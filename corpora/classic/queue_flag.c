/* ravel classic corpus: queue_flag (bug class: check-then-act, granularity: sync)
 *
 * A queue whose enqueue and dequeue run under one mutex; a `nonempty` flag, maintained
 * under the mutex, is read by consumers without it to skip the lock when there is
 * nothing to do. dequeue trusts the caller's check and does not re-test. Two consumers
 * that both read nonempty == 1 for one item both dequeue it. The window between the
 * unlocked flag read (a plain load) and the lock holds only the pthread_mutex_lock, no
 * syscall: sync granularity.
 *
 * Triggering interleaving (sync granularity): the queue holds one item; consumer 1
 * reads nonempty == 1 and is preempted at pthread_mutex_lock in dequeue; consumer 2
 * reads 1, dequeues the item and clears the flag; consumer 1 dequeues from the empty
 * queue.
 * Fixed twin: queue_flag_fixed.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 8
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int items[CAP];
static int head, tail;
static volatile int nonempty; /* written under m, read without it */

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void enqueue(int v) {
  pthread_mutex_lock(&m);
  items[tail++ % CAP] = v;
  nonempty = 1;
  pthread_mutex_unlock(&m);
}

static int dequeue(void) { /* the caller checked nonempty */
  pthread_mutex_lock(&m);
  if (head == tail) bug("dequeue from an empty queue: the emptiness check was outside the lock");
  int v = items[head++ % CAP];
  nonempty = head != tail;
  pthread_mutex_unlock(&m);
  return v;
}

static void *consumer(void *arg) {
  (void)arg;
  if (nonempty) { /* unlocked check */
    if (dequeue() != 42) bug("dequeued a wrong item");
  }
  return NULL;
}

int main(void) {
  enqueue(42);
  pthread_t a, b;
  if (pthread_create(&a, NULL, consumer, NULL) != 0) return 2;
  if (pthread_create(&b, NULL, consumer, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  return 0;
}
