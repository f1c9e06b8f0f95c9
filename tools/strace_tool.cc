#include "tools/strace_tool.h"

#include <sys/syscall.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"
#include "intercept/syscall_table.h"

namespace ravel {
namespace {

// Output arguments of observed calls are never read after the fact: the thread has moved on.
class NoMemory : public RemoteReader {
 public:
  size_t Read(uint64_t, void*, size_t) override { return 0; }
};

}  // namespace

Subscription StraceTool::subscription() const {
  Subscription s;
  s.syscalls = options_.trace;
  return s;
}

void StraceTool::OnThreadStart(Guest& guest) {
  if (threads_seen_++ == 0) initial_pid_ = guest.pid();
}

void StraceTool::Print(pid_t tid, absl::string_view text) {
  if (options_.follow && threads_seen_ > 1) {
    out_->Line(absl::StrCat("[pid ", tid, "] ", text));
  } else {
    out_->Line(text);
  }
}

SyscallResult StraceTool::OnSyscall(Guest& guest, const Syscall& call) {
  if (!Shown(guest)) return guest.TailInject(call);
  DecodedEntry entry = DecodeEntry(call.nr, call.args, guest.memory(), options_.print);
  const pid_t tid = guest.tid();
  if (call.nr == SYS_exit || call.nr == SYS_exit_group) {
    Print(tid, FormatNoReturn(entry));
    return guest.TailInject(call);
  }
  if (HasExitOutputs(call.nr)) {
    absl::StatusOr<int64_t> result = guest.Inject(call);
    if (!result.ok()) {
      Print(tid, absl::StrCat(FormatEntryOnly(entry), " <unfinished ...>) = ?"));
      return -ENOSYS;
    }
    Print(tid, FormatCall(entry, *result, guest.memory(), options_.print));
    return *result;
  }
  return guest.TailInjectObserved(call, [this, tid, entry = std::move(entry)](int64_t result) {
    NoMemory none;
    Print(tid, FormatCall(entry, result, none, options_.print));
  });
}

int StraceTool::OnSignal(Guest& guest, const siginfo_t& info) {
  if (Shown(guest)) Print(guest.tid(), FormatSignal(info));
  return info.si_signo;
}

void StraceTool::OnProcessExit(pid_t pid, int status) {
  if (!options_.show_exits || (!options_.follow && pid != initial_pid_)) return;
  std::string text;
  if (WIFEXITED(status)) {
    text = absl::StrCat("+++ exited with ", WEXITSTATUS(status), " +++");
  } else if (WIFSIGNALED(status)) {
    text = absl::StrCat("+++ killed by ", std::string(SignalName(WTERMSIG(status))),
                        WCOREDUMP(status) ? " (core dumped)" : "", " +++");
  } else {
    return;
  }
  Print(pid, text);
}

}  // namespace ravel
