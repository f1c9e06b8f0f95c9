// The handler API end to end: small tools written against Tool/Guest, run in process on
// the real tracer with guests from tests/guests.
#include <fcntl.h>
#include <sched.h>
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
#include "base/proc.h"
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

// `keep`: a child of the test that is not the run's to clean up (a GuestPrototype's).
ToolRun RunTool(Tool& tool, const std::vector<std::string>& argv, pid_t keep = 0) {
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
  std::vector<pid_t> children = Children();
  std::erase(children, keep);
  EXPECT_TRUE(children.empty()) << "the tracer left guest processes behind";
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
    EXPECT_TRUE(guest.memory().WriteArray(RemotePtr<char>(scratch), kReplacement, sizeof(kReplacement)).ok());
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

// A tool whose work comes beside stops (Tool::PollsBesideStops) and finds some far more
// often than stops come: the tracer then waits for a stop only every few rounds of OnIdle
// calls. Every stop still comes, and while the tracer polls (not after it gave up and slept
// in the kernel), as it does for a tool that does not say so.
class PollsBeside : public Tool {
 public:
  explicit PollsBeside(bool beside) : beside_(beside) {}
  Subscription subscription() const override { return Subscription().Add(SYS_getppid); }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
    ++calls;
    return guest.TailInject(call);
  }
  // Work at one call in four: hundreds of times as often as a stop comes. (Up to
  // kEnoughWork calls, some seconds' worth, about 25 times what the run takes: a tracer
  // that left stops waiting behind the work would finish only after it, and fail below.)
  static constexpr uint64_t kEnoughWork = 200'000'000;
  bool OnIdle() override { return beside_ && ++idle < kEnoughWork && idle % 4 == 0; }
  bool BeforeBlockingWait() override {
    ++sleeps;
    return false;
  }
  bool PollsBesideStops() const override { return beside_; }
  int calls = 0;
  int sleeps = 0;
  uint64_t idle = 0;

 private:
  const bool beside_;
};

TEST(HandlerApi, StopsComeWhileTheToolWorksBesideThem) {
  cpu_set_t cpus;
  const bool polls = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 1;
  for (const bool beside : {false, true}) {
    PollsBeside tool(beside);
    ToolRun run = RunTool(tool, {GuestPath("syscall_loop"), "3000", "0", "q", "thread"});
    EXPECT_EQ(run.exit_code, 0) << "beside " << beside;
    EXPECT_EQ(tool.calls, 3001) << "beside " << beside;  // (and the main thread's getppid)
    EXPECT_LT(tool.idle, PollsBeside::kEnoughWork) << "beside " << beside << ": stops waited behind the work";
    // (The tracer polls only where it has a CPU of its own; generous for a loaded machine.)
    if (polls) {
      EXPECT_LT(tool.sleeps * 10, tool.calls) << "beside " << beside << ": slept " << tool.sleeps;
      if (beside) {
        EXPECT_GT(tool.idle, 100u * 3001);
      }
    }
  }
}

// RDTSC/RDTSCP: the tool decides what the guest reads.
class FakeTsc : public Tool {
 public:
  Subscription subscription() const override {
    Subscription s;
    s.rdtsc = true;
    return s;
  }
  TscResult OnRdtsc(Guest& guest, bool rdtscp) override {
    ++calls;
    if (rdtscp) ++rdtscp_calls;
    return TscResult{next += 1000, 7};
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
  // The guest's three reads are three consecutive answers of the tool. The dynamic loader
  // may read the counter too before main (glibc's does on some CPUs), so the first answer
  // the guest sees is not necessarily the tool's first.
  unsigned long long a = 0, b = 0, c = 0;
  unsigned aux = 0;
  ASSERT_EQ(sscanf(run.out.c_str(), "%llu %llu %llu aux %u", &a, &b, &c, &aux), 4) << run.out;
  EXPECT_EQ(aux, 7u);  // the tool's TSC_AUX
  EXPECT_GE(a, 1000u);
  EXPECT_EQ(a % 1000, 0u);
  EXPECT_EQ(b, a + 1000);
  EXPECT_EQ(c, b + 1000);
  EXPECT_LE(c, tool.next);
  EXPECT_GE(tool.calls, 3);
  EXPECT_GE(tool.rdtscp_calls, 1);
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

// 8. GuestPrototype (a fork server): each run of a prototype is a copy of the command's
// process as its exec left it. The tool sees what it sees in a spawned run, the guest
// behaves as spawned, and the prototype's own process is gone once it is.
class SyscallSequence : public Tool {
 public:
  Subscription subscription() const override {
    Subscription s = Subscription::AllSyscalls();
    s.syscalls.reset(SYS_execve);  // a prototype's initial execve cannot stop
    s.syscalls.reset(SYS_execveat);
    return s;
  }
  void OnThreadStart(Guest& guest) override {
    std::optional<ProcStat> stat = ReadProcStat(guest.pid());
    parents.push_back(stat.has_value() ? stat->ppid : 0);
  }
  void OnPostExec(Guest& guest) override { ++post_execs; }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
    calls.push_back(call.nr);
    return guest.TailInject(call);
  }
  std::vector<int64_t> calls;
  std::vector<int> parents;
  int post_execs = 0;
};

// A prototype whose copies write their stdout to `out_path`, through `out_fd` (kept: the
// copies share its file offset).
struct Prototype {
  std::unique_ptr<GuestPrototype> prototype;
  std::string out_path;
  int out_fd = -1;
  ~Prototype() {
    if (out_fd >= 0) close(out_fd);
  }
};

std::unique_ptr<Prototype> MakePrototype(const std::vector<std::string>& argv, const Tool& tool,
                                         const std::string& out_path) {
  auto made = std::make_unique<Prototype>();
  made->out_path = out_path;
  made->out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  TracerOptions options;
  options.stdio[1] = made->out_fd;
  absl::StatusOr<std::unique_ptr<GuestPrototype>> prototype = GuestPrototype::Create(argv, tool.subscription(), options);
  EXPECT_TRUE(prototype.ok()) << prototype.status();
  if (!prototype.ok()) return nullptr;
  made->prototype = std::move(*prototype);
  return made;
}

ToolRun RunPrototype(Tool& tool, Prototype& p) {
  // Each run starts with an empty file, written from its start.
  EXPECT_EQ(ftruncate(p.out_fd, 0), 0);
  EXPECT_EQ(lseek(p.out_fd, 0, SEEK_SET), 0);
  Tracer tracer(tool);
  absl::StatusOr<RunResult> result = tracer.Run(*p.prototype);
  ToolRun run;
  EXPECT_TRUE(result.ok()) << result.status();
  if (result.ok()) run.exit_code = result->ExitCode();
  run.out = ReadFile(p.out_path);
  return run;
}

TEST(GuestPrototype, EveryCopyRunsAsTheSpawnedCommandDoes) {
  const std::vector<std::string> argv = {GuestPath("syscall_loop"), "20", "10"};
  SyscallSequence spawned_tool;
  ToolRun spawned = RunTool(spawned_tool, argv);
  ASSERT_EQ(spawned.exit_code, 0);
  ASSERT_FALSE(spawned_tool.calls.empty());

  SyscallSequence probe;
  std::unique_ptr<Prototype> made = MakePrototype(argv, probe, TempPath("prototype-out.txt"));
  ASSERT_NE(made, nullptr);
  GuestPrototype* prototype = made->prototype.get();
  for (int i = 0; i < 3; ++i) {
    SyscallSequence tool;
    ToolRun copy = RunPrototype(tool, *made);
    EXPECT_EQ(copy.exit_code, 0);
    EXPECT_EQ(copy.out, spawned.out) << "run " << i;
    EXPECT_EQ(tool.calls, spawned_tool.calls) << "run " << i << ": the tool saw other syscalls";
    EXPECT_EQ(tool.post_execs, 1);
    // The copy's parent is the tracer, as a spawned guest's is.
    EXPECT_EQ(tool.parents, std::vector<int>{getpid()});
    EXPECT_TRUE(prototype->alive());
    EXPECT_EQ(Children(), std::vector<pid_t>{prototype->pid()}) << "only the prototype stays";
  }
  made.reset();
  EXPECT_TRUE(Children().empty()) << "the prototype's process outlived it";
}

TEST(GuestPrototype, ExitStatusAndThreadsAreTheGuests) {
  // A spawned run while a prototype exists leaves the prototype alone.
  SyscallSequence tool;
  std::unique_ptr<Prototype> made = MakePrototype({GuestPath("exit_group")}, tool, TempPath("prototype-exit.txt"));
  ASSERT_NE(made, nullptr);
  SyscallSequence spawned_tool;
  ToolRun spawned = RunTool(spawned_tool, {GuestPath("exit_group")}, made->prototype->pid());
  EXPECT_EQ(spawned.exit_code, 3);
  EXPECT_TRUE(made->prototype->alive());
  for (int i = 0; i < 2; ++i) {
    SyscallSequence run_tool;
    ToolRun copy = RunPrototype(run_tool, *made);
    EXPECT_EQ(copy.exit_code, spawned.exit_code);
    EXPECT_EQ(run_tool.parents.size(), spawned_tool.parents.size()) << "threads started";
  }
}

TEST(GuestPrototype, RefusesWhatItCannotDo) {
  // A subscription other than the prototype's.
  SyscallSequence tool;
  std::unique_ptr<Prototype> made = MakePrototype({GuestPath("syscall_loop"), "1"}, tool, TempPath("prototype-refuse.txt"));
  ASSERT_NE(made, nullptr);
  std::unique_ptr<GuestPrototype>& prototype = made->prototype;
  RewriteOpenat other;
  Tracer tracer(other);
  absl::StatusOr<RunResult> mismatch = tracer.Run(*prototype);
  EXPECT_TRUE(absl::IsInvalidArgument(mismatch.status())) << mismatch.status();

  // A subscription that stops the initial execve.
  absl::StatusOr<std::unique_ptr<GuestPrototype>> stops_exec =
      GuestPrototype::Create({GuestPath("syscall_loop")}, Subscription::AllSyscalls());
  EXPECT_TRUE(absl::IsInvalidArgument(stops_exec.status())) << stops_exec.status();

  // A file that is executable but not a program: the exec fails, nothing stays.
  const std::string script = TempPath("not-a-program");
  {
    int fd = open(script.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    ASSERT_EQ(write(fd, "\x01\x02garbage\n", 10), 10);
    close(fd);
  }
  absl::StatusOr<std::unique_ptr<GuestPrototype>> bad = GuestPrototype::Create({script}, tool.subscription());
  EXPECT_TRUE(absl::IsFailedPrecondition(bad.status())) << bad.status();
  EXPECT_NE(bad.status().message().find("Exec format error"), std::string::npos) << bad.status();

  // The prototype's process killed from elsewhere: its runs fail, and say why.
  kill(prototype->pid(), SIGKILL);
  SyscallSequence after;
  Tracer tracer2(after);
  absl::StatusOr<RunResult> gone = tracer2.Run(*prototype);
  EXPECT_TRUE(absl::IsFailedPrecondition(gone.status())) << gone.status();
  EXPECT_FALSE(prototype->alive());
  prototype.reset();
  EXPECT_TRUE(Children().empty()) << "the killed prototype was not reaped";
}

}  // namespace
}  // namespace ravel::testing
