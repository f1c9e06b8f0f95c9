#include "intercept/ptrace.h"

#include <cerrno>
#include <cstdint>

#include "base/logging.h"
#include "intercept/status.h"

namespace ravel {
namespace ptrace {
namespace {

// One request; `what` names it in the error.
absl::Status Request(const char* what, __ptrace_request request, pid_t tid, void* addr, void* data) {
  if (::ptrace(request, tid, addr, data) != 0) return ErrnoStatus(what, tid, errno);
  return absl::OkStatus();
}

void* Signal(int signo) { return reinterpret_cast<void*>(static_cast<intptr_t>(signo)); }

}  // namespace

absl::Status Seize(pid_t pid, unsigned long options) {
  return Request("PTRACE_SEIZE", PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(options));
}

absl::Status TraceMe() { return Request("PTRACE_TRACEME", PTRACE_TRACEME, 0, nullptr, nullptr); }

absl::Status SetOptions(pid_t tid, unsigned long options) {
  return Request("PTRACE_SETOPTIONS", PTRACE_SETOPTIONS, tid, nullptr, reinterpret_cast<void*>(options));
}

absl::Status Cont(pid_t tid, int signo) { return Request("PTRACE_CONT", PTRACE_CONT, tid, nullptr, Signal(signo)); }

absl::Status Syscall(pid_t tid, int signo) {
  return Request("PTRACE_SYSCALL", PTRACE_SYSCALL, tid, nullptr, Signal(signo));
}

absl::Status SingleStep(pid_t tid, int signo) {
  return Request("PTRACE_SINGLESTEP", PTRACE_SINGLESTEP, tid, nullptr, Signal(signo));
}

absl::Status Listen(pid_t tid) { return Request("PTRACE_LISTEN", PTRACE_LISTEN, tid, nullptr, nullptr); }

absl::Status Interrupt(pid_t tid) { return Request("PTRACE_INTERRUPT", PTRACE_INTERRUPT, tid, nullptr, nullptr); }

absl::StatusOr<Registers> GetRegs(pid_t tid) {
  Registers regs;
  if (absl::Status s = Request("PTRACE_GETREGS", PTRACE_GETREGS, tid, nullptr, &regs.raw()); !s.ok()) return s;
  return regs;
}

absl::Status SetRegs(pid_t tid, const Registers& regs) {
  user_regs_struct raw = regs.raw();
  return Request("PTRACE_SETREGS", PTRACE_SETREGS, tid, nullptr, &raw);
}

absl::StatusOr<user_fpregs_struct> GetFpRegs(pid_t tid) {
  user_fpregs_struct regs{};
  if (absl::Status s = Request("PTRACE_GETFPREGS", PTRACE_GETFPREGS, tid, nullptr, &regs); !s.ok()) return s;
  return regs;
}

absl::Status SetFpRegs(pid_t tid, const user_fpregs_struct& regs) {
  user_fpregs_struct raw = regs;
  return Request("PTRACE_SETFPREGS", PTRACE_SETFPREGS, tid, nullptr, &raw);
}

absl::StatusOr<siginfo_t> GetSigInfo(pid_t tid) {
  siginfo_t info{};
  if (absl::Status s = Request("PTRACE_GETSIGINFO", PTRACE_GETSIGINFO, tid, nullptr, &info); !s.ok()) return s;
  return info;
}

absl::Status SetSigInfo(pid_t tid, const siginfo_t& info) {
  siginfo_t raw = info;
  return Request("PTRACE_SETSIGINFO", PTRACE_SETSIGINFO, tid, nullptr, &raw);
}

absl::StatusOr<unsigned long> GetEventMsg(pid_t tid) {
  unsigned long msg = 0;
  if (absl::Status s = Request("PTRACE_GETEVENTMSG", PTRACE_GETEVENTMSG, tid, nullptr, &msg); !s.ok()) return s;
  return msg;
}

absl::StatusOr<__ptrace_syscall_info> GetSyscallInfo(pid_t tid) {
  __ptrace_syscall_info info{};
  // The answer is the size the kernel would fill, not 0.
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) <= 0) {
    return ErrnoStatus("PTRACE_GET_SYSCALL_INFO", tid, errno);
  }
  return info;
}

}  // namespace ptrace

void LogUnlessVanished(const absl::Status& status) {
  if (!status.ok() && !IsVanished(status)) LOG(ERROR) << status;
}

}  // namespace ravel
