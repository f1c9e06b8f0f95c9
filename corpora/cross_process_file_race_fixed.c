/* ravel corpus: cross_process_file_race_fixed (twin of cross_process_file_race; must always
 * pass)
 *
 * Instead of read-modify-write of a number, each process appends one record with
 * O_APPEND, which the kernel makes atomic with respect to the file offset. The count is
 * the number of records, read after waitpid. No interleaving can lose a record.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[] = "/tmp/ravel-counter-XXXXXX";

__attribute__((noreturn)) static void bug(const char *what) {
  fprintf(stderr, "BUG: %s\n", what);
  unlink(path);
  exit(1);
}

static void increment(void) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) bug("cannot open the counter file");
  if (write(fd, "+\n", 2) != 2) bug("short append to the counter file");
  close(fd);
}

int main(void) {
  int fd = mkstemp(path);
  if (fd < 0) return 2;
  close(fd);

  pid_t pid = fork();
  if (pid < 0) bug("fork failed");
  if (pid == 0) {
    increment();
    _exit(0);
  }
  increment();
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    bug("child failed");

  struct stat st;
  if (stat(path, &st) != 0) bug("cannot stat the counter file");
  unlink(path);
  if (st.st_size != 4) bug("an increment was lost");
  return 0;
}
