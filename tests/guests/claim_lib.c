// libravel_claim.so: the one-time claim of the atomic_flag_race corpus program, in a
// shared library: test and set of a seq_cst flag as two atomic operations. The window
// between the load and the store (an xchg) holds no syscall and no lock; only atomic
// points in this library split it.
#include <stdatomic.h>

static atomic_int claimed;
static atomic_int owners;

void claim(void) {
  if (atomic_load(&claimed) == 0) {
    atomic_store(&claimed, 1);
    atomic_fetch_add(&owners, 1);
  }
}

int owner_count(void) { return atomic_load(&owners); }
