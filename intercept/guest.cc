#include "intercept/guest.h"

#include <asm/prctl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <x86intrin.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "intercept/status.h"
#include "intercept/ptrace.h"
#include "intercept/tracer_core.h"

namespace ravel {

Guest::Guest(internal::TracerCore& core, internal::ThreadRecord& thread)
    : core_(core), thread_(thread), memory_(thread.tid) {}

pid_t Guest::tid() const { return thread_.tid; }
pid_t Guest::pid() const { return thread_.process->pid; }
int Guest::thread_index() const { return thread_.index; }

absl::StatusOr<Registers> Guest::GetRegisters() {
  if (thread_.in_handler) return thread_.entry_regs;
  return ptrace::GetRegs(thread_.tid);
}

absl::Status Guest::SetRegisters(const Registers& regs) { return core_.SetRegisters(thread_, regs); }

absl::StatusOr<int64_t> Guest::Inject(const Syscall& call) { return core_.Inject(thread_, call); }
bool Guest::Park() { return core_.Park(thread_); }
absl::Status Guest::SingleStep() { return core_.SingleStep(thread_); }
absl::Status Guest::StopAllSubscribed() { return core_.StopAllSubscribed(thread_); }
Control& Guest::control() { return core_; }

SyscallResult Guest::TailInject(const Syscall& call) {
  std::optional<int64_t> now = core_.TailInject(thread_, call, nullptr);
  if (now.has_value()) return SyscallResult(*now);
  return SyscallResult(SyscallResult::TailTag{});
}

SyscallResult Guest::TailInjectObserved(const Syscall& call, std::function<void(int64_t)> done) {
  std::optional<int64_t> now = core_.TailInject(thread_, call, std::move(done));
  if (now.has_value()) return SyscallResult(*now);
  return SyscallResult(SyscallResult::TailTag{});
}

internal::StateSlot& Guest::thread_slot() { return thread_.tool_state; }
internal::StateSlot& Guest::process_slot() { return thread_.process->tool_state; }

bool Guest::HasCpuidInterception() {
  // CPUID faulting is per thread and reset by exec: probing in a throwaway child leaves
  // ravel itself untouched.
  static const bool kAvailable = [] {
    pid_t child = fork();
    if (child == 0) _exit(syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0 ? 0 : 1);
    if (child < 0) return false;
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }();
  return kAvailable;
}

bool Guest::HasRdtscInterception() {
  // Probed for real: a child turns trapping on and executes RDTSC; the SIGSEGV it should
  // get ends it with status 0.
  static const bool kAvailable = [] {
    pid_t child = fork();
    if (child == 0) {
      signal(SIGSEGV, [](int) { _exit(0); });
      if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV) != 0) _exit(2);
      (void)__rdtsc();
      _exit(1);
    }
    if (child < 0) return false;
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }();
  return kAvailable;
}

}  // namespace ravel
