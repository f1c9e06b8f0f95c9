/* ravel classic corpus: circular_buffer (bug class: check-then-act, granularity: sync)
 *
 * A fixed-size circular buffer whose put and get each run under one mutex, but whose
 * producers test "not full" through a locked getter and then put in a second critical
 * section. put does not re-check: two producers that both saw one free slot write two
 * items, and the second overwrites the oldest unread item. The window between check
 * and put holds only mutex calls, no syscall: sync granularity.
 *
 * Triggering interleaving (sync granularity): the buffer (capacity 2) holds one item;
 * producer 1 sees count 1 < 2 and is preempted at the pthread_mutex_lock of buf_put;
 * producer 2 sees 1 < 2 and puts (count 2); producer 1 puts over the unread item 100.
 * Fixed twin: circular_buffer_fixed.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 2
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int buf[CAP];
static int head, tail, count;

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static int buf_count(void) {
  pthread_mutex_lock(&m);
  int c = count;
  pthread_mutex_unlock(&m);
  return c;
}

static void buf_put(int v) { /* the caller checked that there is room */
  pthread_mutex_lock(&m);
  buf[tail] = v;
  tail = (tail + 1) % CAP;
  count++;
  pthread_mutex_unlock(&m);
}

static int buf_get(void) {
  pthread_mutex_lock(&m);
  int v = -1;
  if (count > 0) {
    v = buf[head];
    head = (head + 1) % CAP;
    count--;
  }
  pthread_mutex_unlock(&m);
  return v;
}

static void *producer(void *arg) {
  int v = (int)(long)arg;
  if (buf_count() < CAP) buf_put(v); /* check outside the put's critical section */
  return NULL;
}

int main(void) {
  buf_put(100);
  pthread_t a, b;
  if (pthread_create(&a, NULL, producer, (void *)1L) != 0) return 2;
  if (pthread_create(&b, NULL, producer, (void *)2L) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  if (buf_get() != 100) bug("the oldest item was overwritten: a put ran on a full buffer");
  return 0;
}
