// The gdb server against the real gdb: a PtraceTarget serves testdata/gdb_guest.c to
// `gdb -batch`, and gdb's own output shows whether breakpoints, registers, memory,
// stepping and exit reporting worked.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gdb/ptrace_target.h"
#include "gdb/server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel::gdb {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kGdb[] = "/usr/bin/gdb";

struct GdbRun {
  std::string output;  // stdout and stderr, interleaved
  int status = -1;
  bool timed_out = false;
};

// Runs gdb with `args`, killing it after `limit`.
GdbRun RunGdb(const std::vector<std::string>& args, absl::Duration limit) {
  GdbRun run;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return run;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(kGdb));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    unsetenv("DEBUGINFOD_URLS");  // no network look-ups for the system libraries
    execv(kGdb, argv.data());
    _exit(127);
  }
  close(out[1]);
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(limit);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{out[0], POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(out[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    run.output.append(buffer, static_cast<size_t>(n));
  }
  close(out[0]);
  waitpid(pid, &run.status, 0);
  return run;
}

// The server side of one debugging session, on its own thread (the ptrace tracer):
// spawns the guest, waits for gdb, and relays between Serve and the PtraceTarget until
// gdb kills, detaches, the guest exits, or the connection drops.
class DebugSession {
 public:
  DebugSession() {
    listened_ = server_.Listen("0");
    if (!listened_.ok()) return;
    thread_ = std::thread([this] { Run(); });
  }
  ~DebugSession() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  const absl::Status& listened() const { return listened_; }
  int port() const { return server_.port(); }

  // After Join():
  absl::Status end;                       // why serving stopped
  std::vector<Resume::Kind> resumes;
  std::vector<StopReport> stops;
  std::atomic<pid_t> guest_pid{0};
  bool guest_left_alive = false;

 private:
  void Run() {
    absl::StatusOr<std::unique_ptr<PtraceTarget>> target = PtraceTarget::Spawn(GDB_GUEST);
    if (!target.ok()) {
      end = target.status();
      return;
    }
    guest_pid = (*target)->Pid();
    if (absl::Status s = server_.Accept(absl::Seconds(30)); !s.ok()) {
      end = s;
      return;
    }
    StopReport stop{StopReport::kSignal, (*target)->Pid(), SIGTRAP};
    for (int turn = 0; turn < 100000; ++turn) {
      absl::StatusOr<Resume> resume = server_.Serve(stop, **target);
      if (!resume.ok()) {
        end = resume.status();
        break;
      }
      resumes.push_back(resume->kind);
      if (resume->kind == Resume::kKill || resume->kind == Resume::kDetach) {
        end = absl::OkStatus();
        break;
      }
      absl::StatusOr<StopReport> next = (*target)->Run(*resume);
      if (!next.ok()) {
        end = next.status();
        break;
      }
      stop = *next;
      stops.push_back(stop);
    }
    guest_left_alive = (*target)->alive();
    // ~PtraceTarget kills and reaps the guest whatever happened.
  }

  Server server_;
  absl::Status listened_;
  std::thread thread_;
};

std::vector<std::string> GdbArgs(int port, const std::vector<std::string>& commands) {
  std::vector<std::string> args = {"-batch", "-nx", "-iex", "set debuginfod enabled off",
                                   "-ex", absl::StrCat("target remote 127.0.0.1:", port)};
  for (const std::string& c : commands) {
    args.push_back("-ex");
    args.push_back(c);
  }
  return args;
}

class GdbE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kGdb, X_OK) != 0) GTEST_SKIP() << kGdb << " is not installed";
  }
};

void ExpectNoProtocolTrouble(const std::string& output) {
  EXPECT_THAT(output, Not(HasSubstr("rejected target-supplied description")));
  EXPECT_THAT(output, Not(HasSubstr("'g' packet")));
  EXPECT_THAT(output, Not(HasSubstr("Remote failure reply")));
  EXPECT_THAT(output, Not(HasSubstr("Cannot access memory")));
  EXPECT_THAT(output, Not(HasSubstr("Remote connection closed")));
}

TEST_F(GdbE2eTest, BreakPrintNextContinueToExit) {
  DebugSession session;
  ASSERT_TRUE(session.listened().ok()) << session.listened();
  const GdbRun run = RunGdb(GdbArgs(session.port(), {"break work", "continue", "print x",
                                                     "info threads", "next",
                                                     "print global_var", "continue"}),
                            absl::Seconds(60));
  session.Join();
  SCOPED_TRACE(run.output);
  ASSERT_FALSE(run.timed_out);
  EXPECT_THAT(run.output, ContainsRegex("Breakpoint 1 at 0x[0-9a-f]+: file .*gdb_guest.c"));
  EXPECT_THAT(run.output, ContainsRegex("Breakpoint 1, work \\(x=21\\) at .*gdb_guest.c:7"));
  EXPECT_THAT(run.output, HasSubstr("$1 = 21"));
  const pid_t pid = session.guest_pid;
  // gdb pads the Target Id column: the spaces before the frame depend on the pid's digits.
  EXPECT_THAT(run.output, ContainsRegex(absl::StrCat("\\* 1 +Thread ", pid, "\\.", pid,
                                                     " +work \\(x=21\\)")));
  EXPECT_THAT(run.output, ContainsRegex("\n8\t +return x \\* 2;"));  // `next` reached line 8
  EXPECT_THAT(run.output, HasSubstr("$2 = 121"));
  EXPECT_THAT(run.output,
              HasSubstr(absl::StrCat("[Inferior 1 (process ", pid, ") exited with code 03]")));
  ExpectNoProtocolTrouble(run.output);
  EXPECT_TRUE(session.end.ok()) << session.end;
  ASSERT_FALSE(session.stops.empty());
  EXPECT_EQ(session.stops.back().kind, StopReport::kExited);
  EXPECT_EQ(session.stops.back().exit_status, 3);
  // The breakpoint in work() was hit as an int3 and reported as such.
  bool breakpoint_hit = false;
  for (const StopReport& s : session.stops) breakpoint_hit |= s.breakpoint;
  EXPECT_TRUE(breakpoint_hit);
  EXPECT_FALSE(session.guest_left_alive);
}

TEST_F(GdbE2eTest, RegistersMemoryFinishAndKill) {
  DebugSession session;
  ASSERT_TRUE(session.listened().ok()) << session.listened();
  const GdbRun run = RunGdb(
      GdbArgs(session.port(),
              {"break work", "continue", "set var global_var = 1000", "print global_var",
               "print x = 50", "print $pc == $rip", "print/x $eflags & 0x2",
               "print $mxcsr", "print $st0", "set var $xmm1.v4_int32[2] = 0x12345678",
               "print/x $xmm1.v4_int32[2]", "print $orig_rax", "print $fs_base != 0",
               "set var $r12 = 0xfeedface", "print/x $r12", "info registers rip", "finish",
               "kill"}),
      absl::Seconds(60));
  session.Join();
  SCOPED_TRACE(run.output);
  ASSERT_FALSE(run.timed_out);
  EXPECT_THAT(run.output, HasSubstr("$1 = 1000"));          // M/X write, then m read
  EXPECT_THAT(run.output, HasSubstr("$2 = 50"));            // a stack write
  EXPECT_THAT(run.output, HasSubstr("$3 = 1"));
  EXPECT_THAT(run.output, HasSubstr("$4 = 0x2"));           // eflags bit 1 is always set
  EXPECT_THAT(run.output, ContainsRegex("\\$5 = \\[ [A-Z ]*IM DM ZM OM UM PM ?\\]"));
  EXPECT_THAT(run.output, HasSubstr("$6 = 0"));             // an empty x87 stack
  EXPECT_THAT(run.output, HasSubstr("$7 = 0x12345678"));   // P on an SSE register
  EXPECT_THAT(run.output, HasSubstr("$8 = -1"));            // orig_rax: not in a syscall
  EXPECT_THAT(run.output, HasSubstr("$9 = 1"));             // fs_base: TLS is set up
  EXPECT_THAT(run.output, HasSubstr("$10 = 0xfeedface"));   // P on a general register
  EXPECT_THAT(run.output, ContainsRegex("rip +0x[0-9a-f]+ +0x[0-9a-f]+ <work\\+[0-9]+>"));
  EXPECT_THAT(run.output, ContainsRegex("Value returned is \\$11 = 100"));  // work(50)
  EXPECT_THAT(run.output, HasSubstr("[Inferior 1 (process"));
  ExpectNoProtocolTrouble(run.output);
  EXPECT_TRUE(session.end.ok()) << session.end;
  ASSERT_FALSE(session.resumes.empty());
  EXPECT_EQ(session.resumes.back(), Resume::kKill);
}

}  // namespace
}  // namespace ravel::gdb
