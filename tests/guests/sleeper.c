// Sleeps for argv[1] seconds (default 100) in nanosleep: a guest to interrupt.
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv) {
  struct timespec ts = {argc > 1 ? atol(argv[1]) : 100, 0};
  nanosleep(&ts, NULL);
  return 0;
}
