#include "unwind/stack.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "intercept/ptrace.h"

namespace ravel {
namespace {

// The register source of these tests: the test is the guest's tracer.
absl::StatusOr<user_regs_struct> Traced(pid_t tid) {
  absl::StatusOr<Registers> regs = ptrace::GetRegs(tid);
  if (!regs.ok()) return regs.status();
  return regs->raw();
}

using ::testing::HasSubstr;

// Every wait of these tests gives up after this long; a test that needs it has failed.
constexpr std::chrono::seconds kWaitLimit(10);

// The line of unwind_guest.c that carries the comment "MARK:<name>", 0 if none.
int MarkedLine(const std::string& name) {
  std::ifstream source(RAVEL_UNWIND_GUEST_SOURCE);
  std::string text;
  for (int line = 1; std::getline(source, text); ++line) {
    if (absl::StrContains(text, absl::StrCat("MARK:", name))) return line;
  }
  return 0;
}

std::string Describe(const std::vector<Frame>& frames) {
  return absl::StrJoin(frames, "\n  ", [](std::string* out, const Frame& f) {
    absl::StrAppend(out, FormatFrame(f), "  {", f.function, " ", f.file, ":", f.line, " [",
                    f.module, "] 0x", absl::Hex(f.pc), "}");
  });
}

// Index of the first frame at or after `from` whose function is `function`, or -1.
int FindFrame(const std::vector<Frame>& frames, const std::string& function, int from = 0) {
  for (int i = from; i < static_cast<int>(frames.size()); ++i) {
    if (frames[i].function == function) return i;
  }
  return -1;
}

struct Event {
  pid_t tid;
  int status;
};

// Any traced child's next event, or nullopt after kWaitLimit.
std::optional<Event> WaitAny() {
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(-1, &status, __WALL | WNOHANG);
    if (r > 0) return Event{r, status};
    if (r < 0 || std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

// unwind_guest run under PTRACE_TRACEME, stdout to a pipe. The destructor kills it and
// reaps every thread (a traced thread's exit must be waited for by the tracer before the
// process's is reported), in bounded time.
class TracedGuest {
 public:
  TracedGuest() = default;
  TracedGuest(const TracedGuest&) = delete;
  TracedGuest& operator=(const TracedGuest&) = delete;
  ~TracedGuest() { KillAndReap(); }

  pid_t pid() const { return pid_; }

  // Starts `unwind_guest mode count` and leaves it stopped after the execve.
  void Start(const char* mode, int count) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    out_fd_ = fds[0];
    const std::string count_text = std::to_string(count);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Async-signal-safe calls only from here on.
      dup2(fds[1], STDOUT_FILENO);
      (void)ptrace::TraceMe();  // (a failure shows as no stop after execve)
      execl(RAVEL_UNWIND_GUEST, RAVEL_UNWIND_GUEST, mode, count_text.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    pid_ = child;
    std::optional<Event> ev = WaitAny();
    ASSERT_TRUE(ev.has_value()) << "no stop after execve";
    ASSERT_EQ(ev->tid, pid_);
    ASSERT_TRUE(WIFSTOPPED(ev->status) && WSTOPSIG(ev->status) == SIGTRAP)
        << "status " << ev->status;
    ASSERT_TRUE(ptrace::SetOptions(pid_, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL).ok());
    stopped_tid_ = pid_;
  }

  // Runs every thread from syscall stop to syscall stop until one is at the entry of
  // syscall `nr` (with `arg0`, as an int, for its first argument if given; called from a
  // thread other than the main one if `other_thread`), and returns that thread's id with
  // the thread left in its stop. Other threads are left where they are (stopped or
  // running).
  pid_t RunToSyscallEntry(long nr, bool other_thread, std::optional<int> arg0 = std::nullopt) {
    pid_t resume = stopped_tid_;
    int signal = 0;
    for (;;) {
      if (resume > 0) {
        if (absl::Status s = ptrace::Syscall(resume, signal); !s.ok()) {
          ADD_FAILURE() << s;
          return -1;
        }
      }
      resume = 0;
      signal = 0;
      std::optional<Event> ev = WaitAny();
      if (!ev.has_value()) {
        ADD_FAILURE() << "no syscall entry of " << nr << " within the time limit";
        return -1;
      }
      if (!WIFSTOPPED(ev->status)) {
        if (ev->tid == pid_) {
          ADD_FAILURE() << "guest ended (status " << ev->status << ") before syscall " << nr;
          exited_ = true;
          return -1;
        }
        continue;  // a thread ended
      }
      resume = ev->tid;
      const int sig = WSTOPSIG(ev->status);
      if (sig == (SIGTRAP | 0x80)) {
        absl::StatusOr<__ptrace_syscall_info> got = ptrace::GetSyscallInfo(ev->tid);
        if (!got.ok()) {
          ADD_FAILURE() << got.status();
          return -1;
        }
        const __ptrace_syscall_info& info = *got;
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY && static_cast<long>(info.entry.nr) == nr &&
            (!arg0.has_value() || static_cast<int>(info.entry.args[0]) == *arg0) &&
            (ev->tid != pid_) == other_thread) {
          stopped_tid_ = ev->tid;
          return ev->tid;
        }
      } else if (sig == SIGTRAP && (ev->status >> 16) != 0) {
        // A ptrace event (clone): continue.
      } else if (sig != SIGSTOP) {
        signal = sig;  // SIGSTOP is a new thread's attach stop; others are the guest's
      }
    }
  }

  // Reads the guest's "inner=<addr> outer=<addr>" line.
  void ReadAddresses(uint64_t* inner, uint64_t* outer) {
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    while (!absl::StrContains(text, "\n")) {
      pollfd p{out_fd_, POLLIN, 0};
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "guest printed: " << text;
      ASSERT_GE(poll(&p, 1, 100), 0);
      if ((p.revents & (POLLIN | POLLHUP)) == 0) continue;
      char buf[256];
      const ssize_t n = read(out_fd_, buf, sizeof(buf));
      ASSERT_GT(n, 0) << "guest printed: " << text;
      text.append(buf, static_cast<size_t>(n));
    }
    char* end = nullptr;
    const size_t i = text.find("inner=0x"), o = text.find("outer=0x");
    ASSERT_NE(i, std::string::npos) << text;
    ASSERT_NE(o, std::string::npos) << text;
    *inner = std::strtoull(text.c_str() + i + 8, &end, 16);
    *outer = std::strtoull(text.c_str() + o + 8, &end, 16);
  }

  // Continues the whole (single-threaded) guest to its end; returns its wait status.
  int ContinueToExit() {
    if (absl::Status s = ptrace::Cont(stopped_tid_, 0); !s.ok()) {
      ADD_FAILURE() << s;
      return -1;
    }
    for (;;) {
      std::optional<Event> ev = WaitAny();
      if (!ev.has_value()) {
        ADD_FAILURE() << "guest did not exit";
        return -1;
      }
      if (ev->tid == pid_ && (WIFEXITED(ev->status) || WIFSIGNALED(ev->status))) {
        exited_ = true;
        return ev->status;
      }
      if (WIFSTOPPED(ev->status)) (void)ptrace::Cont(ev->tid, 0);  // (gone: its end comes next)
    }
  }

 private:
  void KillAndReap() {
    if (out_fd_ >= 0) close(out_fd_);
    out_fd_ = -1;
    if (pid_ <= 0 || exited_) return;
    kill(pid_, SIGKILL);
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t r = waitpid(-1, &status, __WALL | WNOHANG);
      if (r < 0) break;  // ECHILD: all reaped
      if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) break;
      if (r == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  pid_t stopped_tid_ = -1;
  bool exited_ = false;
};

constexpr int kCount = 3;  // syscalls the guest's loop makes; the main mode exits 40 + it

TEST(StackUnwinderTest, UnwindsFromSyscallEntryThroughLibcIntoTheProgram) {
  TracedGuest guest;
  ASSERT_NO_FATAL_FAILURE(guest.Start("main", kCount));
  const pid_t tid = guest.RunToSyscallEntry(SYS_write, /*other_thread=*/false, /*arg0=*/-1);
  ASSERT_EQ(tid, guest.pid());

  absl::StatusOr<Registers> got = ptrace::GetRegs(tid);
  ASSERT_TRUE(got.ok()) << got.status();
  const user_regs_struct before = got->raw();
  ASSERT_EQ(static_cast<int>(before.rdi), -1) << "stopped at another write";

  absl::StatusOr<std::unique_ptr<StackUnwinder>> unwinder = StackUnwinder::ForProcess(guest.pid(), Traced);
  ASSERT_TRUE(unwinder.ok()) << unwinder.status();
  absl::StatusOr<std::vector<Frame>> frames = (*unwinder)->Unwind(tid);
  ASSERT_TRUE(frames.ok()) << frames.status();
  const std::string all = Describe(*frames);

  // The innermost frame is the syscall wrapper in libc, at the thread's exact rip.
  ASSERT_FALSE(frames->empty());
  EXPECT_EQ((*frames)[0].pc, before.rip) << all;
  EXPECT_EQ((*frames)[0].module, "libc.so.6") << all;

  const int inner = FindFrame(*frames, "inner");
  const int outer = FindFrame(*frames, "outer", inner + 1);
  const int main = FindFrame(*frames, "main", outer + 1);
  ASSERT_GT(inner, 0) << all;
  ASSERT_EQ(outer, inner + 1) << all;
  ASSERT_EQ(main, outer + 1) << all;
  const struct {
    int index;
    const char* mark;
  } expected[] = {{inner, "inner-call"}, {outer, "outer-call"}, {main, "main-call"}};
  for (const auto& e : expected) {
    const Frame& f = (*frames)[e.index];
    EXPECT_EQ(SourceBasename(f.file), "unwind_guest.c") << all;
    EXPECT_EQ(f.line, MarkedLine(e.mark)) << e.mark << "\n  " << all;
    EXPECT_EQ(f.module, "unwind_guest") << all;
  }
  EXPECT_EQ(FormatFrame((*frames)[inner]),
            absl::StrCat("inner() unwind_guest.c:", MarkedLine("inner-call")));

  // Starting from a given pc: the same stack from the real rip; a frame of nothing from
  // an address no module maps (as ravel's trampoline stub would be without it).
  absl::StatusOr<std::vector<Frame>> from_rip = (*unwinder)->Unwind(tid, 32, before.rip);
  ASSERT_TRUE(from_rip.ok()) << from_rip.status();
  EXPECT_EQ(Describe(*from_rip), all);
  absl::StatusOr<std::vector<Frame>> from_nowhere = (*unwinder)->Unwind(tid, 32, 0x10);
  ASSERT_TRUE(from_nowhere.ok()) << from_nowhere.status();
  ASSERT_FALSE(from_nowhere->empty());
  EXPECT_EQ((*from_nowhere)[0].pc, 0x10u);
  EXPECT_EQ((*from_nowhere)[0].module, "");

  // The thread is exactly as it was: still traced by us, still stopped, same registers...
  absl::StatusOr<Registers> now = ptrace::GetRegs(tid);
  ASSERT_TRUE(now.ok()) << now.status();
  const user_regs_struct after = now->raw();
  EXPECT_EQ(after.rip, before.rip);
  EXPECT_EQ(after.rsp, before.rsp);
  EXPECT_EQ(after.orig_rax, static_cast<uint64_t>(SYS_write));
  // ...and runs on to its normal end when we let it.
  unwinder->reset();
  const int status = guest.ContinueToExit();
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 40 + kCount);
}

TEST(StackUnwinderTest, UnwindsASecondThreadByItsTid) {
  TracedGuest guest;
  ASSERT_NO_FATAL_FAILURE(guest.Start("thread", kCount));
  const pid_t tid = guest.RunToSyscallEntry(SYS_getppid, /*other_thread=*/true);
  ASSERT_GT(tid, 0);
  ASSERT_NE(tid, guest.pid());

  absl::StatusOr<std::unique_ptr<StackUnwinder>> unwinder = StackUnwinder::ForProcess(guest.pid(), Traced);
  ASSERT_TRUE(unwinder.ok()) << unwinder.status();
  absl::StatusOr<std::vector<Frame>> frames = (*unwinder)->Unwind(tid);
  ASSERT_TRUE(frames.ok()) << frames.status();
  const std::string all = Describe(*frames);

  const int worker_inner = FindFrame(*frames, "worker_inner");
  const int worker = FindFrame(*frames, "worker", worker_inner + 1);
  ASSERT_GT(worker_inner, 0) << all;
  ASSERT_EQ(worker, worker_inner + 1) << all;
  EXPECT_EQ((*frames)[worker_inner].line, MarkedLine("worker-inner-call")) << all;
  EXPECT_EQ((*frames)[worker].line, MarkedLine("worker-call")) << all;
  EXPECT_EQ(FindFrame(*frames, "main"), -1) << "a thread's stack does not reach main\n  " << all;

  absl::StatusOr<Registers> regs = ptrace::GetRegs(tid);
  ASSERT_TRUE(regs.ok()) << regs.status();
  EXPECT_EQ(regs->syscall_nr(), SYS_getppid);
}

TEST(StackUnwinderTest, SymbolizesAFunctionAddressAndSurvivesRefresh) {
  TracedGuest guest;
  ASSERT_NO_FATAL_FAILURE(guest.Start("main", kCount));
  const pid_t tid = guest.RunToSyscallEntry(SYS_write, /*other_thread=*/false, /*arg0=*/-1);
  ASSERT_EQ(tid, guest.pid());
  uint64_t inner_addr = 0, outer_addr = 0;
  ASSERT_NO_FATAL_FAILURE(guest.ReadAddresses(&inner_addr, &outer_addr));

  absl::StatusOr<std::unique_ptr<StackUnwinder>> unwinder = StackUnwinder::ForProcess(guest.pid(), Traced);
  ASSERT_TRUE(unwinder.ok()) << unwinder.status();
  StackUnwinder& u = **unwinder;

  const Frame f = u.Symbolize(inner_addr);
  EXPECT_EQ(f.pc, inner_addr);
  EXPECT_EQ(f.function, "inner");
  EXPECT_EQ(f.offset, 0u);
  EXPECT_EQ(f.module, "unwind_guest");
  EXPECT_EQ(SourceBasename(f.file), "unwind_guest.c");
  EXPECT_EQ(f.line, MarkedLine("inner-def"));
  const Frame g = u.Symbolize(outer_addr + 1);
  EXPECT_EQ(g.function, "outer");
  EXPECT_EQ(g.offset, 1u);
  EXPECT_EQ(u.Symbolize(0).module, "");  // no module maps page 0

  // Refresh keeps things working (same executable: incremental re-report).
  ASSERT_TRUE(u.Refresh().ok());
  EXPECT_EQ(u.Symbolize(inner_addr).function, "inner");
  absl::StatusOr<std::vector<Frame>> frames = u.Unwind(tid);
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_GT(FindFrame(*frames, "inner"), 0) << Describe(*frames);
}

TEST(StackUnwinderTest, UnwindOfAThreadThatIsNotThereIsAnError) {
  TracedGuest guest;
  ASSERT_NO_FATAL_FAILURE(guest.Start("main", kCount));
  const pid_t tid = guest.RunToSyscallEntry(SYS_write, /*other_thread=*/false, /*arg0=*/-1);
  ASSERT_EQ(tid, guest.pid());
  absl::StatusOr<std::unique_ptr<StackUnwinder>> unwinder = StackUnwinder::ForProcess(guest.pid(), Traced);
  ASSERT_TRUE(unwinder.ok()) << unwinder.status();

  // Above any pid_max: no such thread anywhere.
  absl::StatusOr<std::vector<Frame>> none = (*unwinder)->Unwind(0x3ffffff0);
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
  EXPECT_THAT(none.status().message(), HasSubstr(absl::StrCat(0x3ffffff0)));
  // A thread that exists, but in another process (this one).
  absl::StatusOr<std::vector<Frame>> stranger = (*unwinder)->Unwind(getpid());
  ASSERT_FALSE(stranger.ok());
  EXPECT_TRUE(absl::IsNotFound(stranger.status())) << stranger.status();

  // The failures leave the unwinder usable.
  absl::StatusOr<std::vector<Frame>> frames = (*unwinder)->Unwind(tid, /*max_frames=*/2);
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_EQ(frames->size(), 2u) << Describe(*frames);
}

TEST(StackUnwinderTest, ForProcessOfNoProcessIsAnError) {
  EXPECT_FALSE(StackUnwinder::ForProcess(0x3ffffff0, Traced).ok());
  EXPECT_FALSE(StackUnwinder::ForProcess(0, Traced).ok());
  EXPECT_FALSE(StackUnwinder::ForProcess(getpid(), nullptr).ok());
}

TEST(FormatFrameTest, PrintsTheBestThatIsKnown) {
  Frame f;
  f.pc = 0x7f3a1c2b4e5d;
  EXPECT_EQ(FormatFrame(f), "0x7f3a1c2b4e5d");
  f.module = "libc.so.6";
  EXPECT_EQ(FormatFrame(f), "0x7f3a1c2b4e5d [libc.so.6]");
  f.function = "withdraw";
  f.offset = 0x12;
  f.module = "lost_wakeup";
  EXPECT_EQ(FormatFrame(f), "withdraw()+0x12 [lost_wakeup]");
  f.file = "/src/bank/account.c";
  f.line = 17;
  EXPECT_EQ(FormatFrame(f), "withdraw() account.c:17");
  f.function = "Account::Withdraw(int) const";
  EXPECT_EQ(FormatFrame(f), "Account::Withdraw(int) const account.c:17");
}

TEST(SourceBasenameTest, KeepsTheLastComponent) {
  EXPECT_EQ(SourceBasename("/src/bank/account.c"), "account.c");
  EXPECT_EQ(SourceBasename("account.c"), "account.c");
  EXPECT_EQ(SourceBasename(""), "");
}

}  // namespace
}  // namespace ravel
