// Spins forever without a syscall: only a timeout ends it.
int main(void) {
  volatile unsigned long n = 0;
  for (;;) ++n;
}
