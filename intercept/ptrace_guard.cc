#include "intercept/ptrace_guard.h"

#include <errno.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "absl/strings/str_cat.h"

namespace ravel::internal {

SyscallSet FilterSyscalls(const Subscription& subscription, bool widened) {
  SyscallSet set = subscription.syscalls;
  if (!widened && subscription.until_first_clone.has_value()) {
    set &= *subscription.until_first_clone;
    for (int nr : {SYS_clone, SYS_clone3, SYS_fork, SYS_vfork}) set.set(static_cast<size_t>(nr));
  }
  set.set(SYS_ptrace);
  set.set(SYS_clone);   // (CLONE_UNTRACED: see KeepCloneTraced)
  set.set(SYS_clone3);
  return set;
}

bool ToolSubscribed(const Subscription& subscription, bool widened, int64_t nr) {
  if (nr < 0 || nr >= kSyscallLimit || !subscription.syscalls.test(static_cast<size_t>(nr))) return false;
  return widened || !subscription.until_first_clone.has_value() ||
         subscription.until_first_clone->test(static_cast<size_t>(nr));
}

std::optional<int64_t> PtraceVerdict(int64_t request, PtraceTarget target) {
  if (request == PTRACE_TRACEME) return std::nullopt;
  if (request == PTRACE_ATTACH || request == PTRACE_SEIZE) {
    return target == PtraceTarget::kMissing ? -ESRCH : -EPERM;
  }
  if (target == PtraceTarget::kGuest) return std::nullopt;
  return -ESRCH;
}

bool KeepCloneTraced(GuestMemory& memory, Syscall* call) {
  if (call->nr == SYS_clone) {
    if ((call->args[0] & CLONE_UNTRACED) == 0) return false;
    call->args[0] &= ~static_cast<uint64_t>(CLONE_UNTRACED);
    return true;
  }
  if (call->nr != SYS_clone3) return false;
  uint64_t flags = 0;  // the first field of struct clone_args
  if (!memory.Read(RemotePtr<uint64_t>(call->args[0]), flags).ok() || (flags & CLONE_UNTRACED) == 0) return false;
  flags &= ~static_cast<uint64_t>(CLONE_UNTRACED);
  // clone_args that cannot be written (read-only memory): the call fails (EFAULT, a null
  // struct) rather than run untraced.
  if (!memory.Write(RemotePtr<uint64_t>(call->args[0]), flags).ok()) call->args[0] = 0;
  return true;
}

bool SharesPidNamespace(pid_t tid) {
  struct stat own {}, theirs {};
  if (stat("/proc/self/ns/pid", &own) != 0) return false;
  if (stat(absl::StrCat("/proc/", tid, "/ns/pid").c_str(), &theirs) != 0) return false;
  return own.st_dev == theirs.st_dev && own.st_ino == theirs.st_ino;
}

bool ProcessExists(pid_t pid) {
  if (pid <= 0) return false;
  struct stat st {};
  // /proc/<tid> resolves for every thread too, though readdir does not list it.
  return stat(absl::StrCat("/proc/", pid).c_str(), &st) == 0;
}

}  // namespace ravel::internal
