// What the gdb server needs from the program it debugs, and what it hands back.
//
// Target is the whole of the server's view of the debuggee: threads, registers, memory,
// breakpoints and two read-only facts (auxv, executable path). Every method is called
// while all the program's threads are stopped, from the thread that called Server::Serve.
// Breakpoint bookkeeping lives on the Target side: it plants its own int3 bytes and must
// hide them from ReadMemory (show the original bytes) and keep them across WriteMemory,
// since gdb reads code around breakpoints it has inserted.
//
// StopReport says why the program stopped (the caller learns it from waitpid); Resume is
// what gdb asked for next. Signal numbers in both are host (Linux) numbers; the server
// translates them to and from gdb's own numbering on the wire.
#ifndef RAVEL_GDB_TARGET_H_
#define RAVEL_GDB_TARGET_H_

#include <sys/types.h>
#include <sys/user.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ravel::gdb {

class Target {
 public:
  virtual ~Target() = default;

  // The live thread ids, in a stable order; the first is the main thread.
  virtual std::vector<pid_t> Threads() = 0;
  // The process id (the thread group id).
  virtual pid_t Pid() = 0;

  virtual absl::StatusOr<user_regs_struct> GetRegs(pid_t tid) = 0;
  virtual absl::Status SetRegs(pid_t tid, const user_regs_struct& regs) = 0;
  // The x87/SSE state in FXSAVE layout (PTRACE_GETFPREGS).
  virtual absl::StatusOr<user_fpregs_struct> GetFpRegs(pid_t tid) = 0;
  virtual absl::Status SetFpRegs(pid_t tid, const user_fpregs_struct& fpregs) = 0;

  // Up to `len` bytes at `addr`: fewer when the range runs into unmapped memory, an error
  // when not even the first byte is readable. Planted breakpoints show their original byte.
  virtual absl::StatusOr<std::string> ReadMemory(uint64_t addr, size_t len) = 0;
  virtual absl::Status WriteMemory(uint64_t addr, absl::string_view bytes) = 0;

  // A software breakpoint at `addr` (gdb's Z0/z0). Inserting twice or removing one that
  // is absent may fail or succeed, the server only relays the answer.
  virtual absl::Status InsertBreakpoint(uint64_t addr) = 0;
  virtual absl::Status RemoveBreakpoint(uint64_t addr) = 0;

  // The raw bytes of /proc/<pid>/auxv.
  virtual absl::StatusOr<std::string> Auxv() = 0;
  // The absolute path of the executable.
  virtual std::string ExecFile() = 0;
};

// Why the program is stopped, as reported to gdb.
struct StopReport {
  enum Kind {
    kSignal,  // thread `tid` stopped with `signal` (SIGTRAP after a step or breakpoint)
    kExited,  // the process exited with `exit_status`
    kKilled,  // the process was killed by `signal`
  };
  Kind kind = kSignal;
  pid_t tid = 0;
  int signal = 0;
  int exit_status = 0;
  // kSignal: the thread executed an int3 planted by InsertBreakpoint, and the Target has
  // already moved its rip back onto the breakpoint address. Reported as "swbreak" so gdb
  // does not rewind rip a second time (gdb >= 7.10; the server requires it).
  bool breakpoint = false;
};

// What gdb asked for when it stopped talking.
struct Resume {
  enum Kind {
    kContinue,  // run until the next stop
    kStep,      // single-step thread `tid`
    kDetach,    // let the program run on its own; gdb has gone (also after an exit reply)
    kKill,      // kill the program
  };
  Kind kind = kContinue;
  // kStep: the thread to step. kContinue: the thread the signal goes to, or the only
  // thread to run when `others` is false. Never 0 for kStep/kContinue.
  pid_t tid = 0;
  // Host signal number to deliver to `tid` as it resumes; 0 for none.
  int signal = 0;
  // Whether threads other than `tid` should run too (false when gdb resumed only `tid`,
  // e.g. under `set scheduler-locking on`). Meaningless for kDetach/kKill.
  bool others = true;
};

}  // namespace ravel::gdb

#endif  // RAVEL_GDB_TARGET_H_
