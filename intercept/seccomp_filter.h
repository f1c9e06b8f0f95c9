// Builds the seccomp-bpf program that turns a tool's subscription into ptrace stops.
//
// Decision, in order:
//   1. not x86-64 (an int 0x80 call), or the x32 bit set   -> ERRNO(ENOSYS): unsupported ABIs
//   2. number not subscribed                               -> ALLOW: no stop at all
//   3. returns to the trampoline's syscall site            -> ALLOW: ravel's own injections
//   4. an exemption's number and argument value            -> ALLOW: a runtime's own calls
//   5. otherwise (subscribed)                              -> TRACE: one stop, handler runs
// Step 2 looks at nothing but arch and nr, so the kernel's seccomp action cache answers it
// without running the program: an unsubscribed syscall costs what it costs natively.
// Subscribed numbers are emitted as sorted ranges, so the program stays short whatever the set.
//
//   std::vector<sock_filter> prog = BuildSeccompFilter(set);
//   // in the child, after PR_SET_NO_NEW_PRIVS:  InstallSeccompFilter(prog)
#ifndef RAVEL_INTERCEPT_SECCOMP_FILTER_H_
#define RAVEL_INTERCEPT_SECCOMP_FILTER_H_

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <vector>

#include "absl/status/status.h"
#include "intercept/syscall_table.h"

namespace ravel {

// A subscribed call that never stops all the same: number `nr` with argument `arg` (0-5)
// equal to `value`, all 64 bits. For calls a runtime in the guest makes on ravel's behalf
// (the sync shim's futex waits carry a magic sixth argument). The other numbers' paths
// still read only arch and nr.
struct SeccompExemption {
  int nr = -1;
  int arg = 0;
  uint64_t value = 0;
};

std::vector<sock_filter> BuildSeccompFilter(const SyscallSet& traced,
                                            const std::vector<SeccompExemption>& exempt = {});

// prctl(PR_SET_NO_NEW_PRIVS) + seccomp(SECCOMP_SET_MODE_FILTER). Async-signal-safe: meant for
// the child between fork and exec.
int InstallSeccompFilter(const std::vector<sock_filter>& program);

// Runs `program` on `data` as the kernel would (a classic-BPF interpreter for the
// instructions BuildSeccompFilter emits); for tests. `loads`, when given, receives the
// offsets into seccomp_data the run read.
uint32_t EvaluateSeccompFilter(const std::vector<sock_filter>& program, const seccomp_data& data,
                               std::vector<uint32_t>* loads = nullptr);

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_SECCOMP_FILTER_H_
