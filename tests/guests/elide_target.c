// write(1, ...) of 10 bytes; exits 0 only if it returned 5 (a tool elided it).
#include <unistd.h>

int main(void) {
  ssize_t n = write(1, "0123456789", 10);
  return n == 5 ? 0 : 1;
}
