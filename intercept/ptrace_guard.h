// What the interception layer enforces whatever the tool subscribes to: a guest never
// traces a process that is not its own.
//
// Every guest process is ravel's tracee, so no guest can trace another guest process
// (the kernel refuses: it is traced already) and PTRACE_TRACEME fails in each (its
// tracer is ravel). What is left is PTRACE_ATTACH / PTRACE_SEIZE of a process outside the
// guest tree: ravel itself (a guest's getppid()), a stress worker, any process on the
// machine. Granted, it would put ravel (or that process) in a ptrace-stop that no SIGINT
// or SIGTERM can end. So SYS_ptrace stops in every filter ravel installs, and the tracer
// core answers those calls itself before the tool sees them:
//
//   PTRACE_TRACEME                    runs (the kernel answers EPERM)
//   PTRACE_ATTACH, PTRACE_SEIZE       never run: -EPERM, as for a process one may not
//                                     trace (-ESRCH when no such process exists); the
//                                     guest could never attach to anything anyway
//   any other request, guest target   runs (the kernel answers ESRCH: the caller is not
//                                     its tracer); a tool subscribed to ptrace sees it
//   any other request, other target   never runs: -ESRCH, the kernel's own answer for a
//                                     process the caller does not trace
// A caller in another pid namespace than ravel's names pids ravel cannot map; its targets
// count as outside the guest tree.
//
// The same goes for CLONE_UNTRACED: a child made with it would not be ravel's tracee, so
// it would run unscheduled and unwatched, and outlive a run that ends. clone and clone3
// stop in every filter too, and the flag is taken out before the call runs (for clone3,
// in the caller's struct clone_args, where it stays out; nothing else changes there).
#ifndef RAVEL_INTERCEPT_PTRACE_GUARD_H_
#define RAVEL_INTERCEPT_PTRACE_GUARD_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "intercept/memory.h"
#include "intercept/syscall_table.h"
#include "intercept/tool.h"

namespace ravel::internal {

// Where the pid a ptrace call names is, as seen from ravel.
enum class PtraceTarget {
  kGuest,    // a thread of a guest process of this run
  kOutside,  // an existing process that is not part of the guest tree (ravel included)
  kMissing,  // no such process (or pid <= 0)
  kUnknown,  // the caller's pids are not ravel's (another pid namespace)
};

// The syscalls a guest's seccomp filter traps: what the tool subscribed to (before the
// first clone: `until_first_clone` of it, plus the clone family, when the subscription
// has that narrower set and `widened` is false), and SYS_ptrace, SYS_clone and SYS_clone3
// always.
SyscallSet FilterSyscalls(const Subscription& subscription, bool widened);

// Whether the tool asked for syscall `nr` in the filter that is in force (`widened` as
// above): if not, a stop for it is the layer's own and the tool never sees it.
bool ToolSubscribed(const Subscription& subscription, bool widened, int64_t nr);

// The value a guest's ptrace call returns without running (a negative errno), or nullopt
// when it may run (see the table above). `request` and `target` as the guest passed them.
std::optional<int64_t> PtraceVerdict(int64_t request, PtraceTarget target);

// The pid argument of a ptrace call (its second argument, a pid_t).
inline pid_t PtracePid(const Syscall& call) { return static_cast<pid_t>(static_cast<uint32_t>(call.args[1])); }

// Takes CLONE_UNTRACED out of a clone or clone3 call (clone3: of its struct clone_args in
// guest memory, via `memory`). Returns whether the flag was set.
bool KeepCloneTraced(GuestMemory& memory, Syscall* call);

// Whether thread `tid` lives in the pid namespace of this process (false when unknown).
bool SharesPidNamespace(pid_t tid);

// Whether a process or thread with id `pid` exists in this process's pid namespace.
bool ProcessExists(pid_t pid);

}  // namespace ravel::internal

#endif  // RAVEL_INTERCEPT_PTRACE_GUARD_H_
