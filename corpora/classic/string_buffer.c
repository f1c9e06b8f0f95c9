/* ravel classic corpus: string_buffer (bug class: atomicity-violation, granularity: sync)
 *
 * The StringBuffer pattern: every buffer operation locks its own buffer, and
 * append_buffer(dst, src) holds dst's lock while it asks for src's length (src locked
 * inside the call) and then copies that many bytes out of src (src locked again). The
 * length is stale by the time of the copy: another thread can shorten src in between,
 * and the copy reads past src's end. The window holds only mutex calls, no syscall:
 * sync granularity.
 *
 * Triggering interleaving (sync granularity): the appender reads src's length 5 and is
 * preempted at the pthread_mutex_lock of the copy; the other thread truncates src to
 * 0; the appender copies 5 bytes from a 0-byte buffer.
 * Fixed twin: string_buffer_fixed.c.
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

static int sb_length(struct sbuf *sb) {
  pthread_mutex_lock(&sb->lock);
  int n = sb->len;
  pthread_mutex_unlock(&sb->lock);
  return n;
}

static void sb_get_chars(struct sbuf *sb, int n, char *out) {
  pthread_mutex_lock(&sb->lock);
  if (n > sb->len) bug("append copied past the end of the source buffer: its length was stale");
  memcpy(out, sb->data, n);
  pthread_mutex_unlock(&sb->lock);
}

static void sb_append_buffer(struct sbuf *to, struct sbuf *from) {
  pthread_mutex_lock(&to->lock);
  int n = sb_length(from); /* from's lock taken and released ... */
  sb_get_chars(from, n, to->data + to->len); /* ... and taken again */
  to->len += n;
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
  if (dst.len != 4 && dst.len != 9) bug("the destination has a partial append");
  return 0;
}
