/* ravel classic corpus: string_buffer_fixed (twin of string_buffer; must always pass)
 *
 * append_buffer holds src's lock (taken after dst's: one global order) across reading
 * the length and copying, so the length cannot go stale.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
  pthread_mutex_t lock;
  int len;
  char data[64];
};

static struct sbuf dst = {PTHREAD_MUTEX_INITIALIZER, 4, "log:"};
static struct sbuf src = {PTHREAD_MUTEX_INITIALIZER, 5, "hello"};

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  exit(1);
}

static void sb_append_buffer(struct sbuf *to, struct sbuf *from) {
  pthread_mutex_lock(&to->lock);
  pthread_mutex_lock(&from->lock);
  int n = from->len;
  memcpy(to->data + to->len, from->data, n);
  to->len += n;
  pthread_mutex_unlock(&from->lock);
  pthread_mutex_unlock(&to->lock);
}

static void sb_truncate(struct sbuf *sb) {
  pthread_mutex_lock(&sb->lock);
  sb->len = 0;
  sb->data[0] = '\0';
  pthread_mutex_unlock(&sb->lock);
}

static void *appender(void *arg) {
  (void)arg;
  sb_append_buffer(&dst, &src);
  return NULL;
}

static void *truncater(void *arg) {
  (void)arg;
  sb_truncate(&src);
  return NULL;
}

int main(void) {
  pthread_t a, t;
  if (pthread_create(&a, NULL, appender, NULL) != 0) return 2;
  if (pthread_create(&t, NULL, truncater, NULL) != 0) return 2;
  pthread_join(a, NULL);
  pthread_join(t, NULL);
  if (dst.len == 9 && memcmp(dst.data, "log:hello", 9) != 0) bug("wrong appended text");
  if (dst.len != 4 && dst.len != 9) bug("the destination has a partial append");
  return 0;
}
