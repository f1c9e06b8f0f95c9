// StraceTool: `ravel strace`, strace's output on the interception layer.
//
// Each traced syscall prints one line once its result is known:
//   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
//   [pid 4242] write(1, "hi\n", 3) = 3            (with -f, once there are several threads)
// Calls whose arguments are only complete after they ran (read buffers, stat results) are
// run with Guest::Inject and printed at their exit stop; all others go through
// TailInjectObserved, so a traced syscall costs one ptrace stop, not two. Signals print as
// `--- SIGCHLD {...} ---`, process ends as `+++ exited with 0 +++` / `+++ killed by SIGSEGV +++`.
#ifndef RAVEL_EXAMPLES_STRACE_TOOL_H_
#define RAVEL_EXAMPLES_STRACE_TOOL_H_

#include <sys/types.h>

#include "tools/output.h"
#include "intercept/guest.h"
#include "intercept/syscall_printer.h"
#include "intercept/tool.h"

namespace ravel {

struct StraceOptions {
  bool follow = false;     // -f: every thread and child process, not just the first thread
  SyscallSet trace;        // -e trace=SET (default: all)
  PrintOptions print;      // -s N
  bool show_exits = true;  // the "+++ exited with N +++" lines
};

class StraceTool : public Tool {
 public:
  StraceTool(StraceOptions options, Output* out) : options_(options), out_(out) {}

  Subscription subscription() const override;
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override;
  int OnSignal(Guest& guest, const siginfo_t& info) override;
  void OnThreadStart(Guest& guest) override;
  void OnProcessExit(pid_t pid, int status) override;

 private:
  bool Shown(Guest& guest) const { return options_.follow || guest.is_initial_thread(); }
  void Print(pid_t tid, absl::string_view text);

  StraceOptions options_;
  Output* out_;
  pid_t initial_pid_ = 0;
  int threads_seen_ = 0;
};

}  // namespace ravel

#endif  // RAVEL_EXAMPLES_STRACE_TOOL_H_
