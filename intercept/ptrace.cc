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

// A request that fills a T (data points at it).
template <typename T>
absl::StatusOr<T> Fetch(const char* what, __ptrace_request request, pid_t tid) {
  T value{};
  if (absl::Status s = Request(what, request, tid, nullptr, &value); !s.ok()) return s;
  return value;
}

// A request that reads a T (data points at a copy: the kernel takes a non-const pointer).
template <typename T>
absl::Status Store(const char* what, __ptrace_request request, pid_t tid, T value) {
  return Request(what, request, tid, nullptr, &value);
}

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
  absl::StatusOr<user_regs_struct> raw = Fetch<user_regs_struct>("PTRACE_GETREGS", PTRACE_GETREGS, tid);
  if (!raw.ok()) return raw.status();
  return Registers(*raw);
}

absl::Status SetRegs(pid_t tid, const Registers& regs) {
  return Store("PTRACE_SETREGS", PTRACE_SETREGS, tid, regs.raw());
}

absl::StatusOr<user_fpregs_struct> GetFpRegs(pid_t tid) {
  return Fetch<user_fpregs_struct>("PTRACE_GETFPREGS", PTRACE_GETFPREGS, tid);
}

absl::Status SetFpRegs(pid_t tid, const user_fpregs_struct& regs) {
  return Store("PTRACE_SETFPREGS", PTRACE_SETFPREGS, tid, regs);
}

absl::StatusOr<siginfo_t> GetSigInfo(pid_t tid) { return Fetch<siginfo_t>("PTRACE_GETSIGINFO", PTRACE_GETSIGINFO, tid); }

absl::Status SetSigInfo(pid_t tid, const siginfo_t& info) {
  return Store("PTRACE_SETSIGINFO", PTRACE_SETSIGINFO, tid, info);
}

absl::StatusOr<unsigned long> GetEventMsg(pid_t tid) {
  return Fetch<unsigned long>("PTRACE_GETEVENTMSG", PTRACE_GETEVENTMSG, tid);
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
