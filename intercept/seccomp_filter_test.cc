#include "intercept/seccomp_filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <random>

#include "gtest/gtest.h"
#include "intercept/trampoline.h"

namespace ravel {
namespace {

constexpr uint32_t kNosys = SECCOMP_RET_ERRNO | ENOSYS;

seccomp_data Data(int nr, uint64_t ip = 0x401000, uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  d.instruction_pointer = ip;
  return d;
}

TEST(SeccompFilter, TracesExactlyTheSubscribedSet) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    SyscallSet set;
    double density = (round % 10) / 10.0;
    for (int nr = 0; nr < kSyscallLimit; ++nr) {
      if (std::uniform_real_distribution<double>(0, 1)(rng) < density) set.set(nr);
    }
    std::vector<sock_filter> prog = BuildSeccompFilter(set);
    ASSERT_LE(prog.size(), static_cast<size_t>(BPF_MAXINSNS));
    for (int nr = 0; nr < kSyscallLimit; ++nr) {
      uint32_t want = set.test(nr) ? SECCOMP_RET_TRACE : SECCOMP_RET_ALLOW;
      ASSERT_EQ(EvaluateSeccompFilter(prog, Data(nr)), want) << "round " << round << " nr " << nr;
    }
    EXPECT_EQ(EvaluateSeccompFilter(prog, Data(1000)), SECCOMP_RET_ALLOW);
  }
}

TEST(SeccompFilter, AllAndNone) {
  SyscallSet none, all;
  all.set();
  EXPECT_EQ(EvaluateSeccompFilter(BuildSeccompFilter(all), Data(0)), SECCOMP_RET_TRACE);
  EXPECT_EQ(EvaluateSeccompFilter(BuildSeccompFilter(all), Data(kSyscallLimit - 1)), SECCOMP_RET_TRACE);
  EXPECT_EQ(EvaluateSeccompFilter(BuildSeccompFilter(none), Data(SYS_read)), SECCOMP_RET_ALLOW);
}

TEST(SeccompFilter, AlternatingSetStaysWithinLimits) {
  SyscallSet set;
  for (int nr = 0; nr < kSyscallLimit; nr += 2) set.set(nr);
  std::vector<sock_filter> prog = BuildSeccompFilter(set);
  EXPECT_LE(prog.size(), static_cast<size_t>(BPF_MAXINSNS));
  EXPECT_EQ(EvaluateSeccompFilter(prog, Data(510)), SECCOMP_RET_TRACE);
  EXPECT_EQ(EvaluateSeccompFilter(prog, Data(511)), SECCOMP_RET_ALLOW);
}

TEST(SeccompFilter, RejectsOtherAbis) {
  SyscallSet set;
  EXPECT_EQ(EvaluateSeccompFilter(BuildSeccompFilter(set), Data(SYS_read, 0x1000, AUDIT_ARCH_I386)), kNosys);
  EXPECT_EQ(EvaluateSeccompFilter(BuildSeccompFilter(set), Data(0x40000000 | SYS_read)), kNosys);
}

TEST(SeccompFilter, TrampolineRules) {
  SyscallSet set;
  set.set(SYS_getppid);
  std::vector<sock_filter> prog = BuildSeccompFilter(set);
  // ravel's own injections pass even when subscribed.
  EXPECT_EQ(EvaluateSeccompFilter(prog, Data(SYS_getppid, trampoline::kSyscallReturn)), SECCOMP_RET_ALLOW);
  // A subscribed call restarted through a stub is traced; others just run there.
  EXPECT_EQ(EvaluateSeccompFilter(prog, Data(SYS_getppid, trampoline::StubEntry(7))), SECCOMP_RET_TRACE);
  EXPECT_EQ(EvaluateSeccompFilter(prog, Data(SYS_read, trampoline::StubEntry(7))), SECCOMP_RET_ALLOW);
  // Same low half, other high half.
  EXPECT_EQ(EvaluateSeccompFilter(prog, Data(SYS_getppid, trampoline::kSyscallReturn + (1ull << 32))),
            SECCOMP_RET_TRACE);
  SyscallSet all;
  all.set();
  prog = BuildSeccompFilter(all);
  EXPECT_EQ(EvaluateSeccompFilter(prog, Data(SYS_read, trampoline::kSyscallReturn)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(EvaluateSeccompFilter(prog, Data(SYS_read, trampoline::kSyscallReturn + 1)), SECCOMP_RET_TRACE);
}

// The kernel's seccomp cache can only skip the program for numbers whose answer depends
// on arch and nr alone: an unsubscribed number must never read the instruction pointer.
TEST(SeccompFilter, UnsubscribedPathsReadOnlyArchAndNr) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    SyscallSet set;
    for (int nr = 0; nr < kSyscallLimit; ++nr) {
      if (rng() % 3 == 0) set.set(nr);
    }
    std::vector<sock_filter> prog = BuildSeccompFilter(set);
    for (int nr = 0; nr < kSyscallLimit; ++nr) {
      std::vector<uint32_t> loads;
      uint32_t action = EvaluateSeccompFilter(prog, Data(nr), &loads);
      if (set.test(nr)) {
        EXPECT_EQ(action, SECCOMP_RET_TRACE);
        continue;
      }
      EXPECT_EQ(action, SECCOMP_RET_ALLOW);
      for (uint32_t offset : loads) {
        ASSERT_TRUE(offset == offsetof(seccomp_data, arch) || offset == offsetof(seccomp_data, nr))
            << "nr " << nr << " reads offset " << offset;
      }
    }
  }
}

// An exempt call passes only with all 64 bits of its argument; the exemption changes
// nothing for other numbers, and other numbers' paths still read only arch and nr.
TEST(SeccompFilter, AnExemptionLetsOnlyItsValueThrough) {
  SyscallSet set;
  set.set(SYS_futex);
  set.set(SYS_read);
  const uint64_t magic = 0x000000017261766cull;
  std::vector<sock_filter> prog = BuildSeccompFilter(set, {SeccompExemption{SYS_futex, 5, magic}});
  seccomp_data d = Data(SYS_futex);
  d.args[5] = magic;
  EXPECT_EQ(EvaluateSeccompFilter(prog, d), SECCOMP_RET_ALLOW);
  d.args[5] = magic & 0xffffffffu;  // the low half only
  EXPECT_EQ(EvaluateSeccompFilter(prog, d), SECCOMP_RET_TRACE);
  d.args[5] = magic ^ (1ull << 40);
  EXPECT_EQ(EvaluateSeccompFilter(prog, d), SECCOMP_RET_TRACE);
  d.args[5] = 0;
  EXPECT_EQ(EvaluateSeccompFilter(prog, d), SECCOMP_RET_TRACE);
  seccomp_data r = Data(SYS_read);
  r.args[5] = magic;  // the value on another number: nothing special
  EXPECT_EQ(EvaluateSeccompFilter(prog, r), SECCOMP_RET_TRACE);
  for (int nr : {SYS_write, SYS_getpid, SYS_openat}) {
    std::vector<uint32_t> loads;
    EXPECT_EQ(EvaluateSeccompFilter(prog, Data(nr), &loads), SECCOMP_RET_ALLOW);
    for (uint32_t at : loads) {
      EXPECT_TRUE(at == offsetof(seccomp_data, arch) || at == offsetof(seccomp_data, nr)) << nr << " read " << at;
    }
  }
}

TEST(SeccompFilter, KernelAcceptsTheProgram) {
  // Without a tracer, SECCOMP_RET_TRACE makes the call fail with ENOSYS: proof that the
  // kernel loaded the program and runs it as the interpreter does.
  SyscallSet set;
  set.set(SYS_getppid);
  std::vector<sock_filter> prog = BuildSeccompFilter(set);
  pid_t child = fork();
  if (child == 0) {
    if (InstallSeccompFilter(prog) != 0) _exit(10);
    long r = syscall(SYS_getppid);
    if (!(r == -1 && errno == ENOSYS)) _exit(11);
    if (syscall(SYS_getpid) <= 0) _exit(12);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// The kernel runs the exemption as the interpreter does: without a tracer, a traced call
// fails with ENOSYS, the exempt one runs.
TEST(SeccompFilter, KernelHonoursAnExemption) {
  SyscallSet set;
  set.set(SYS_getppid);
  std::vector<sock_filter> prog = BuildSeccompFilter(set, {SeccompExemption{SYS_getppid, 5, 0x7261766cull}});
  pid_t child = fork();
  if (child == 0) {
    if (InstallSeccompFilter(prog) != 0) _exit(10);
    long r = syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
    if (!(r == -1 && errno == ENOSYS)) _exit(11);
    if (syscall(SYS_getppid, 0, 0, 0, 0, 0, 0x7261766cL) <= 0) _exit(12);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ravel
