// StackUnwinder: the call stacks of a traced guest's threads, with function, source file
// and line, for `ravel explain` ("withdraw() account.c:17").
//
// One StackUnwinder serves one guest process. It holds elfutils' view of the process (a
// Dwfl session reporting every ELF file mapped in /proc/PID/maps, with their symbol tables,
// DWARF line tables and CFI loaded lazily and kept), so the first Unwind or Symbolize of a
// module pays for reading it and later calls do not; each address's symbol and line are
// also memoised until the next Refresh. Measured on unwind_guest (7 frames, libc with its
// debug info from libc6-dbg): ForProcess ~1 ms, first Unwind ~100 ms (loading libc's
// DWARF), every later Unwind ~12 us.
//
//   absl::StatusOr<std::unique_ptr<StackUnwinder>> unwinder =
//       StackUnwinder::ForProcess(pid, [&control](pid_t tid) { ... control.ThreadRegisters(tid) ... });
//   ...  // at a scheduling point, with thread `tid` in one of ravel's ptrace-stops:
//   absl::StatusOr<std::vector<Frame>> frames = (*unwinder)->Unwind(tid);
//   for (const Frame& f : *frames) std::cout << "  " << FormatFrame(f) << "\n";
//
// How it unwinds: libdwfl's frame unwinder, fed by our own callbacks rather than
// dwfl_linux_proc_attach. Memory comes from process_vm_readv (whole pages, cached for the
// duration of one Unwind call); libdwfl then
// steps from frame to frame with each module's CFI (.eh_frame, or .debug_frame when debug
// info is found), falling back to the frame pointer where there is none. The initial
// registers come from the caller's RegisterSource: in ravel, the tracer's Control, which
// gives a thread's registers as the guest will see them (not those of an injection ravel
// makes on its behalf); the unwinder itself makes no ptrace request. That gets from a
// thread stopped at a syscall entry (rip just after the `syscall` instruction in libc)
// through libc's frames into the program's.
//
// Invariants and contract:
//  - The unwinder never attaches, detaches, resumes, stops or signals a thread, and makes
//    no ptrace request: it asks its RegisterSource. The caller must have `tid` stopped
//    where the source can read its registers (for ravel's Control: at one of ravel's
//    stops, on the tracer thread). Afterwards the thread is exactly as it was.
//  - Memory is only read, never written.
//  - Module list: as of ForProcess or the last Refresh. Code mapped later (dlopen) shows as
//    bare addresses until Refresh(); after an execve, Refresh() before the next Unwind.
//  - Not thread-safe: one caller at a time (the tracer thread).
//
// Debug info: DWARF is looked up the standard way (the file itself, .gnu_debuglink,
// /usr/lib/debug/.build-id). libdw consults a debuginfod server only when the
// DEBUGINFOD_URLS environment variable is set; ravel does not set it.
#ifndef RAVEL_UNWIND_STACK_H_
#define RAVEL_UNWIND_STACK_H_

#include <sys/types.h>

#include <sys/user.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ravel {

// One frame of a call stack, or one symbolised address.
struct Frame {
  // The address the frame was looked up at. For the innermost frame (and a signal frame)
  // it is the thread's exact rip; for a caller's frame it is the return address - 1, an
  // address inside the call instruction, so that function and line are those of the call
  // (a call that ends a function would otherwise be attributed to whatever follows it).
  uint64_t pc = 0;
  // The symbol containing pc, demangled when it is a C++ name ("withdraw",
  // "Account::Withdraw(int)"); "" if no symbol covers pc.
  std::string function;
  // pc minus the start of `function` (0 when function is "").
  uint64_t offset = 0;
  // The source file of pc's line as DWARF names it (often an absolute path; see
  // SourceBasename), "" when the module has no line information for pc.
  std::string file;
  int line = 0;  // 0 when file is ""
  // Basename of the ELF file mapping pc ("libc.so.6", "lost_wakeup"; "[vdso]" for the
  // vDSO), "" when pc is in no reported module.
  std::string module;
};

class StackUnwinder {
 public:
  // Where a thread's registers come from (ravel: Control::ThreadRegisters). An error
  // (NotFound for a thread that is gone) fails that Unwind with it.
  using RegisterSource = std::function<absl::StatusOr<user_regs_struct>(pid_t tid)>;

  // Reads /proc/`pid`/maps and prepares to unwind the threads of that process. `pid` is
  // the process (thread group) id; nothing is done to its threads.
  static absl::StatusOr<std::unique_ptr<StackUnwinder>> ForProcess(pid_t pid, RegisterSource registers);

  ~StackUnwinder();
  StackUnwinder(const StackUnwinder&) = delete;
  StackUnwinder& operator=(const StackUnwinder&) = delete;

  // The call stack of `tid` (a thread of this process, stopped), innermost frame first,
  // at most `max_frames` frames. Stops early, without error, where the unwinder can go no
  // further (the outermost frame, or a frame with neither CFI nor a usable frame pointer).
  // Fails (kNotFound, see IsVanished) when the thread does not exist, and with the
  // source's error when its registers cannot be read.
  //
  // `pc`, if given, replaces the thread's rip as the place to start from (all other
  // registers as the kernel reports them). For a thread whose rip ravel has pointed into
  // its trampoline (intercept/trampoline.h: a stub with no CFI, the real return address
  // kept in resume_i), pass that real return address so the stack starts in the guest's
  // code; rsp is unchanged by the redirection, so the unwind is the same as before it.
  absl::StatusOr<std::vector<Frame>> Unwind(pid_t tid, size_t max_frames = 32,
                                            std::optional<uint64_t> pc = std::nullopt);

  // Symbolises one address (no unwinding, no registers), e.g. a recorded rip. `pc` is used
  // as given: pass return address - 1 for a return address.
  Frame Symbolize(uint64_t pc);

  // Re-reads /proc/PID/maps: call it after the process maps new code (dlopen) or execs.
  // Modules still mapped keep what was already loaded for them; after an execve (a new
  // main executable) everything is rebuilt.
  absl::Status Refresh();

 private:
  class Impl;
  explicit StackUnwinder(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// The last component of a path ("/src/bank/account.c" -> "account.c"); the path itself
// when it has no '/'.
absl::string_view SourceBasename(absl::string_view path);

// One line for a frame, the best that is known:
//   "withdraw() account.c:17"            function and line
//   "Account::Withdraw(int) account.cc:9" (a demangled name already has its parameters)
//   "withdraw()+0x12 [lost_wakeup]"      function but no line information
//   "0x7f3a1c2b4e5d [libc.so.6]"         neither
//   "0x7f3a1c2b4e5d"                     not even a module
std::string FormatFrame(const Frame& f);

}  // namespace ravel

#endif  // RAVEL_UNWIND_STACK_H_
