/* The program gdb_e2e_test debugs through the gdb server: gdb breaks in work(), prints x,
 * steps over the assignment with `next`, prints global_var (121) and lets it exit with
 * status 3. Built with -O0 -g so every variable is where the debug info says. */
int global_var = 7;

int work(int x) {
  global_var = x + 100;
  return x * 2;
}

int main(void) {
  int result = work(21);
  return result == 42 && global_var == 121 ? 3 : 1;
}
