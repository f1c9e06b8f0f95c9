// The handler API end to end: small tools written against Tool/Guest, run in process on
// the real tracer with guests from tests/guests.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <x86intrin.h>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "intercept/guest.h"
#include "intercept/tracer.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

// Runs `argv` under `tool` with the guest's stdout captured in a file.
struct ToolRun {
  int exit_code = -1;
  std::string out;
};

ToolRun RunTool(Tool& tool, const std::vector<std::string>& argv) {
  std::string out_path = TempPath(absl::StrCat("out-", getpid(), "-", rand(), ".txt"));
  int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int saved = dup(1);
  dup2(fd, 1);
  close(fd);
  Tracer tracer(tool);
  absl::StatusOr<RunResult> result = tracer.Run(argv);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  ToolRun run;
  EXPECT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(Children().empty()) << "the tracer left guest processes behind";
  if (result.ok()) run.exit_code = result->ExitCode();
  run.out = ReadFile(out_path);
  return run;
}

// 1. Modify: openat of one path is redirected to another. The new path has to live in
// guest memory: the first time, the handler injects an mmap for a scratch page (in the
// stop's own syscall slot), writes the path there, and the openat itself then runs from
// the trampoline.
class RewriteOpenat : public Tool {
 public:
  Subscription subscription() const override { return Subscription().Add(SYS_openat); }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
    absl::StatusOr<std::string> path = guest.memory().ReadCString(RemotePtr<char>(call.args[1]), 4096);
    if (!path.ok() || *path != "/nonexistent/ravel-rewrite-me") return guest.TailInject(call);
    uint64_t& scratch = guest.ProcessState<Scratch>().page;
    if (scratch == 0) {
      absl::StatusOr<int64_t> page = guest.Inject(Syscall(SYS_mmap, {0, 4096, PROT_READ | PROT_WRITE,
                                                                     MAP_PRIVATE | MAP_ANONYMOUS,
                                                                     static_cast<uint64_t>(-1), 0}));
      EXPECT_TRUE(page.ok() && *page > 0);
      scratch = static_cast<uint64_t>(*page);
    }
    static constexpr char kReplacement[] = "/etc/hostname";
    EXPECT_TRUE(guest.memory().WriteExact(scratch, kReplacement, sizeof(kReplacement)).ok());
    Syscall changed = call;
    changed.args[1] = scratch;
    ++rewritten;
    return guest.TailInject(changed);
  }
  int rewritten = 0;

 private:
  struct Scratch {
    uint64_t page = 0;
  };
};

TEST(HandlerApi, RewritesAnOpenatPath) {
  RewriteOpenat tool;
  ToolRun run = RunTool(tool, {GuestPath("rewrite_target")});
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(tool.rewritten, 1);
  EXPECT_TRUE(run.out.rfind("read ", 0) == 0) << run.out;
  // Natively the same guest fails.
  RunOutput native = RunCommand({GuestPath("rewrite_target")});
  EXPECT_EQ(native.exit_code, 1);
}

// 2. Elide: write(1, ...) never runs and returns 5.
class ElideStdoutWrite : public Tool {
 public:
  Subscription subscription() const override { return Subscription().Add(SYS_write); }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
    if (call.args[0] != 1) return guest.TailInject(call);
    ++elided;
    return 5;
  }
  int elided = 0;
};

TEST(HandlerApi, ElidesWriteWithAChosenResult) {
  ElideStdoutWrite tool;
  ToolRun run = RunTool(tool, {GuestPath("elide_target")});
  EXPECT_EQ(run.exit_code, 0);  // the guest saw 5
  EXPECT_EQ(run.out, "");       // and nothing was written
  EXPECT_EQ(tool.elided, 1);
}

// 3. Inject: before each subscribed syscall, getpid is injected and checked against the
// guest's pid; then the original runs. Checks results of the original too (Inject of the
// original call after a trampoline injection).
class InjectGetpid : public Tool {
 public:
  Subscription subscription() const override {
    return Subscription().Add(SYS_getppid).Add(SYS_openat).Add(SYS_close);
  }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
    absl::StatusOr<int64_t> pid = guest.Inject(Syscall(SYS_getpid));
    ++injected;
    if (!pid.ok() || *pid != guest.pid()) ++mismatches;
    absl::StatusOr<int64_t> result = guest.Inject(call);
    if (call.nr == SYS_getppid && (!result.ok() || *result != getpid())) ++mismatches;
    return result.ok() ? *result : -ENOSYS;
  }
  int injected = 0;
  int mismatches = 0;
};

TEST(HandlerApi, InjectsGetpidBeforeEachCall) {
  InjectGetpid tool;
  ToolRun run = RunTool(tool, {GuestPath("syscall_loop"), "300", "50"});
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out, "done 300 wrong 0\n");
  EXPECT_GE(tool.injected, 300 + 6 * 2);
  EXPECT_EQ(tool.mismatches, 0);
}

// RDTSC/RDTSCP: the tool decides what the guest reads.
class FakeTsc : public Tool {
 public:
  Subscription subscription() const override {
    Subscription s;
    s.rdtsc = true;
    return s;
  }
  uint64_t OnRdtsc(Guest& guest, bool rdtscp) override {
    ++calls;
    if (rdtscp) ++rdtscp_calls;
    return next += 1000;
  }
  uint64_t next = 0;
  int calls = 0;
  int rdtscp_calls = 0;
};

TEST(HandlerApi, RdtscInterceptionIsReportedHonestly) {
  // Agrees with a direct probe: does RDTSC fault once PR_SET_TSC asked for it?
  pid_t child = fork();
  if (child == 0) {
    signal(SIGSEGV, [](int) { _exit(0); });
    prctl(PR_SET_TSC, PR_TSC_SIGSEGV);
    (void)__rdtsc();
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(Guest::HasRdtscInterception(), WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(HandlerApi, TrapsRdtscAndRdtscp) {
  if (!Guest::HasRdtscInterception()) {
    GTEST_SKIP() << "RDTSC does not fault under PR_SET_TSC on this machine (hypervisor)";
  }
  FakeTsc tool;
  ToolRun run = RunTool(tool, {GuestPath("rdtsc")});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "1000 2000 3000\n");
  EXPECT_EQ(tool.calls, 3);
  EXPECT_EQ(tool.rdtscp_calls, 1);
}

TEST(HandlerApi, CpuidInterceptionIsReportedHonestly) {
  // Where the kernel offers CPUID faulting this is true; here it answers ENODEV. Either
  // way the query must not crash and must agree with a direct probe.
  long probe = -1;
  pid_t child = fork();
  if (child == 0) _exit(syscall(SYS_arch_prctl, 0x1012 /* ARCH_SET_CPUID */, 0) == 0 ? 0 : 1);
  int status = 0;
  waitpid(child, &status, 0);
  probe = WEXITSTATUS(status) == 0;
  EXPECT_EQ(Guest::HasCpuidInterception(), probe == 1);
}

// Thread state, process state, and the global-state call interface together.
class Totals : public GlobalState<int, int> {
 public:
  int Receive(pid_t from, const int& n) override { return total += n; }
  int total = 0;
};

class PerThreadCounter : public Tool {
 public:
  Subscription subscription() const override { return Subscription().Add(SYS_write); }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
    ++guest.ThreadState<int>();
    ++guest.ProcessState<int>();
    return guest.TailInject(call);
  }
  void OnThreadExit(Guest& guest, int) override {
    guest.CallGlobal(totals, guest.ThreadState<int>());
    threads++;
  }
  Totals totals;
  int threads = 0;
};

TEST(HandlerApi, ThreadProcessAndGlobalState) {
  PerThreadCounter tool;
  ToolRun run = RunTool(tool, {GuestPath("threads")});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(tool.threads, 3);
  EXPECT_EQ(tool.totals.total, 3);  // two worker writes + main's stdout write
}

// A tool that lets every syscall run unchanged but observes all of them: the guest's
// output and status are exactly the native ones.
class ObserveAll : public Tool {
 public:
  Subscription subscription() const override { return Subscription::AllSyscalls(); }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
    ++seen;
    return guest.TailInjectObserved(call, [this](int64_t) { ++observed; });
  }
  int seen = 0;
  int observed = 0;
};

TEST(HandlerApi, ObservedTailInjectionIsTransparent) {
  ObserveAll tool;
  ToolRun run = RunTool(tool, {GuestPath("syscall_loop"), "500", "10"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "done 500 wrong 0\n");
  EXPECT_GT(tool.seen, 500);
  // Every call but exit_group reports a result.
  EXPECT_EQ(tool.observed, tool.seen - 1);
}

// Subscription::until_first_clone: before the guest's first clone only the narrow set
// stops; from the clone on, every subscribed syscall does, in the parent and in the new
// threads (the filter is added before the clone runs, and the clone itself is seen).
class NarrowUntilClone : public Tool {
 public:
  Subscription subscription() const override {
    Subscription s = Subscription::AllSyscalls();
    SyscallSet first;
    first.set(SYS_openat);
    s.until_first_clone = first;
    return s;
  }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
    if (call.nr == SYS_clone || call.nr == SYS_clone3) clone_seen = true;
    if (!clone_seen) {
      ++before[call.nr];
    } else if (call.nr == SYS_write && !guest.is_initial_thread()) {
      ++thread_writes;
    } else if (call.nr == SYS_exit_group) {
      exit_group_seen = true;
    }
    return guest.TailInject(call);
  }
  std::map<int64_t, int> before;
  bool clone_seen = false;
  int thread_writes = 0;
  bool exit_group_seen = false;
};

TEST(HandlerApi, NarrowSubscriptionWidensAtTheFirstClone) {
  NarrowUntilClone tool;
  ToolRun run = RunTool(tool, {GuestPath("threads")});
  EXPECT_EQ(run.exit_code, 0);
  // Before the clone: the loader's and main's openat calls, nothing else (no mmap, no read).
  ASSERT_FALSE(tool.before.empty());
  for (const auto& [nr, count] : tool.before) EXPECT_EQ(nr, SYS_openat) << "stopped before the clone: " << nr;
  EXPECT_TRUE(tool.clone_seen);
  EXPECT_EQ(tool.thread_writes, 2);  // each new thread's write stopped
  EXPECT_TRUE(tool.exit_group_seen);
}

}  // namespace
}  // namespace ravel::testing
