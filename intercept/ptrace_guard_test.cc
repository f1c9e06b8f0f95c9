#include "intercept/ptrace_guard.h"

#include <errno.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "intercept/seccomp_filter.h"

namespace ravel::internal {
namespace {

uint32_t Action(const SyscallSet& set, int nr) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = AUDIT_ARCH_X86_64;
  d.instruction_pointer = 0x401000;
  return EvaluateSeccompFilter(BuildSeccompFilter(set), d);
}

// A subscription like the scheduler's: everything, but a few calls before the first clone.
Subscription Narrowed() {
  Subscription s = Subscription::AllSyscalls();
  SyscallSet first;
  first.set(SYS_clock_gettime);
  s.until_first_clone = first;
  return s;
}

TEST(PtraceGuard, PtraceStopsInEveryFilterWhateverTheToolSubscribes) {
  Subscription read_only;
  read_only.Add(SYS_read);
  for (const Subscription& s : {Subscription::None(), read_only, Narrowed(), Subscription::AllSyscalls()}) {
    for (bool widened : {false, true}) {
      EXPECT_EQ(Action(FilterSyscalls(s, widened), SYS_ptrace), SECCOMP_RET_TRACE) << "widened " << widened;
    }
  }
  // And clone, clone3 (for CLONE_UNTRACED) and nothing else is added: an empty
  // subscription still lets every other call run.
  SyscallSet none = FilterSyscalls(Subscription::None(), true);
  EXPECT_EQ(none.count(), 3u);
  EXPECT_EQ(Action(none, SYS_clone), SECCOMP_RET_TRACE);
  EXPECT_EQ(Action(none, SYS_clone3), SECCOMP_RET_TRACE);
  EXPECT_EQ(Action(none, SYS_getppid), SECCOMP_RET_ALLOW);
}

TEST(PtraceGuard, TheFirstFilterOfANarrowedSubscriptionIsItsFirstSetWithCloneAndPtrace) {
  SyscallSet first = FilterSyscalls(Narrowed(), /*widened=*/false);
  EXPECT_TRUE(first.test(SYS_clock_gettime));
  EXPECT_TRUE(first.test(SYS_clone));
  EXPECT_TRUE(first.test(SYS_ptrace));
  EXPECT_FALSE(first.test(SYS_read));
  EXPECT_TRUE(FilterSyscalls(Narrowed(), /*widened=*/true).all());
}

TEST(PtraceGuard, TheToolSeesPtraceOnlyWhereItsOwnFilterTrapsIt) {
  EXPECT_FALSE(ToolSubscribed(Subscription::None(), true, SYS_ptrace));
  EXPECT_FALSE(ToolSubscribed(Narrowed(), /*widened=*/false, SYS_ptrace));
  EXPECT_TRUE(ToolSubscribed(Narrowed(), /*widened=*/true, SYS_ptrace));
  EXPECT_TRUE(ToolSubscribed(Subscription::AllSyscalls(), false, SYS_ptrace));
  EXPECT_FALSE(ToolSubscribed(Subscription::AllSyscalls(), true, -1));
}

TEST(PtraceGuard, AttachingToAnythingIsRefusedAndNeverRuns) {
  for (int64_t request : {PTRACE_ATTACH, PTRACE_SEIZE}) {
    EXPECT_EQ(PtraceVerdict(request, PtraceTarget::kOutside), -EPERM);
    EXPECT_EQ(PtraceVerdict(request, PtraceTarget::kUnknown), -EPERM);
    EXPECT_EQ(PtraceVerdict(request, PtraceTarget::kGuest), -EPERM);
    EXPECT_EQ(PtraceVerdict(request, PtraceTarget::kMissing), -ESRCH);
  }
}

TEST(PtraceGuard, OtherRequestsRunOnlyAgainstGuestProcesses) {
  for (int64_t request : {PTRACE_INTERRUPT, PTRACE_PEEKDATA, PTRACE_CONT, PTRACE_KILL, PTRACE_DETACH}) {
    EXPECT_EQ(PtraceVerdict(request, PtraceTarget::kGuest), std::nullopt) << request;
    EXPECT_EQ(PtraceVerdict(request, PtraceTarget::kOutside), -ESRCH) << request;
    EXPECT_EQ(PtraceVerdict(request, PtraceTarget::kMissing), -ESRCH) << request;
    EXPECT_EQ(PtraceVerdict(request, PtraceTarget::kUnknown), -ESRCH) << request;
  }
  EXPECT_EQ(PtraceVerdict(PTRACE_TRACEME, PtraceTarget::kMissing), std::nullopt);
}

TEST(PtraceGuard, ThePidArgumentIsASignedPid) {
  Syscall call(SYS_ptrace, {PTRACE_ATTACH, 0xffffffffull});
  EXPECT_EQ(PtracePid(call), -1);
  EXPECT_FALSE(ProcessExists(PtracePid(call)));
  EXPECT_TRUE(ProcessExists(getppid()));
  EXPECT_TRUE(SharesPidNamespace(getpid()));
}

}  // namespace
}  // namespace ravel::internal
