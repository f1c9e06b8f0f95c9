// The ptrace boundary: the only code in ravel that calls ptrace(2).
//
// Each request ravel makes is one function here. It checks the kernel's answer and returns
// an absl::Status naming the request and the thread ("PTRACE_GETREGS(tid 4123): No such
// process"); a tracee that is gone (ESRCH) is NotFound, so callers can tell that expected
// event (IsVanished) from a real failure. The results are [[nodiscard]] through
// absl::Status: a caller says what a failure means, or says with LogUnlessVanished that
// only an unexpected one matters.
//
//   absl::StatusOr<Registers> regs = ptrace::GetRegs(tid);
//   if (!regs.ok()) return regs.status();
//   ...
//   LogUnlessVanished(ptrace::Cont(tid, 0));
//
// A lint test (scripts/lint_ptrace, ctest "Lint.PtraceOnlyInIntercept") fails when
// `ptrace(` appears anywhere else in ravel's sources (guest programs under tests/ and
// corpora/ excepted: they are the programs ravel runs).
//
// The requests must come from the tracing thread (the kernel accepts them only from the
// thread that attached), and every one but Seize and TraceMe needs the tracee in a
// ptrace-stop.
#ifndef RAVEL_INTERCEPT_PTRACE_H_
#define RAVEL_INTERCEPT_PTRACE_H_

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "intercept/regs.h"

namespace ravel::ptrace {

// Attaching.
absl::Status Seize(pid_t pid, unsigned long options);
// In a child just forked, before exec: its parent becomes its tracer.
absl::Status TraceMe();
absl::Status SetOptions(pid_t tid, unsigned long options);

// Resuming a stopped tracee, delivering `signo` (0: none).
absl::Status Cont(pid_t tid, int signo);
absl::Status Syscall(pid_t tid, int signo);  // ... with a stop at the next syscall entry or exit
absl::Status SingleStep(pid_t tid, int signo);
// A tracee in a group-stop stays stopped but reports further events.
absl::Status Listen(pid_t tid);
// Stops a running tracee (a PTRACE_EVENT_STOP follows).
absl::Status Interrupt(pid_t tid);

// Registers.
absl::StatusOr<Registers> GetRegs(pid_t tid);
absl::Status SetRegs(pid_t tid, const Registers& regs);
absl::StatusOr<user_fpregs_struct> GetFpRegs(pid_t tid);
absl::Status SetFpRegs(pid_t tid, const user_fpregs_struct& regs);

// The stop's details.
absl::StatusOr<siginfo_t> GetSigInfo(pid_t tid);
absl::Status SetSigInfo(pid_t tid, const siginfo_t& info);
// PTRACE_GETEVENTMSG: the new thread's tid at a clone event, the former tid at an exec
// event, the exit status at an exit event.
absl::StatusOr<unsigned long> GetEventMsg(pid_t tid);
absl::StatusOr<__ptrace_syscall_info> GetSyscallInfo(pid_t tid);

}  // namespace ravel::ptrace

namespace ravel {

// For a request whose failure changes nothing for the caller when the tracee is gone (it
// reports its end next): logs any other failure as an error.
void LogUnlessVanished(const absl::Status& status);

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_PTRACE_H_
