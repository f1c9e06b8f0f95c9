// Signal numbers on the wire. The remote protocol does not use host signal numbers but
// gdb's own enumeration (include/gdb/signals.def in gdb's sources: SIGUSR1 is 30 there,
// 10 on Linux), so every signal crossing the connection is translated here.
#ifndef RAVEL_GDB_SIGNALS_H_
#define RAVEL_GDB_SIGNALS_H_

namespace ravel::gdb {

// gdb's number for Linux signal `host` (0 stays 0); 143 (gdb's "unknown") when gdb has none.
int HostToGdbSignal(int host);
// The Linux signal for gdb's number `gdb` (0 stays 0); -1 when Linux has no such signal.
int GdbToHostSignal(int gdb);

}  // namespace ravel::gdb

#endif  // RAVEL_GDB_SIGNALS_H_
