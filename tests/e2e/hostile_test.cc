// Hostile guests cannot freeze ravel: a guest that tries to ptrace ravel (or anything
// outside its own tree) is refused, and guests that stop themselves, block every signal or
// fork 200 processes leave ravel ending on SIGINT and SIGTERM, with nothing left behind
// (RunCommand fails the test on any process left: running, stopped or zombie).
//
// Every run is bounded: a ravel that does not end in time is killed and the test fails
// (a hang guard, not a speed requirement: the bounds are far above a normal run's time).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

// Hang guards, in milliseconds.
constexpr int kRunBoundMs = 120000;    // a whole run of a guest that ends by itself
constexpr int kReadyBoundMs = 60000;   // until the guest is in its hostile state
constexpr int kEndBoundMs = 30000;     // from the signal to ravel's end

// Waits (bounded) until `pid`, a child of this process, has ended, without reaping it
// (RunCommand reaps it and reads its status).
bool WaitForExit(pid_t pid, int max_ms) {
  for (int waited = 0; waited <= max_ms; waited += 10) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
      return true;
    }
    usleep(10000);
  }
  return false;
}

bool WaitForFile(const std::string& path, int max_ms) {
  struct stat st {};
  for (int waited = 0; waited <= max_ms; waited += 10) {
    if (stat(path.c_str(), &st) == 0) return true;
    usleep(10000);
  }
  return false;
}

// Runs a ravel command that must end by itself, killing it if it does not end in time.
RunOutput RunBounded(const std::vector<std::string>& argv) {
  RunOptions options;
  options.while_running = [](pid_t ravel) {
    if (!WaitForExit(ravel, kRunBoundMs)) {
      ADD_FAILURE() << "ravel did not end within " << kRunBoundMs << " ms; killed";
      kill(ravel, SIGKILL);
    }
  };
  return RunCommand(argv, options);
}

// Runs a ravel command whose guest creates `ready` once it is in its hostile state, then
// sends ravel `sig`; ravel must end within kEndBoundMs.
RunOutput RunAndSignal(const std::vector<std::string>& argv, const std::string& ready, int sig) {
  RunOptions options;
  options.while_running = [&ready, sig](pid_t ravel) {
    if (!WaitForFile(ready, kReadyBoundMs)) {
      ADD_FAILURE() << "the guest did not get ready within " << kReadyBoundMs << " ms";
      kill(ravel, SIGKILL);
      return;
    }
    kill(ravel, sig);
    if (!WaitForExit(ravel, kEndBoundMs)) {
      ADD_FAILURE() << "ravel did not end within " << kEndBoundMs << " ms of " << strsignal(sig) << "; killed";
      kill(ravel, SIGKILL);
    }
  };
  return RunCommand(argv, options);
}

// ---- 1. ptrace of what ravel did not start ----

constexpr char kPtraceEscapeOutput[] =
    "attach parent: EPERM\n"
    "seize parent: EPERM\n"
    "attach init: EPERM\n"
    "interrupt parent: ESRCH\n"
    "thread: attach parent: EPERM\n"
    "thread: seize parent: EPERM\n"
    "thread: attach init: EPERM\n"
    "thread: interrupt parent: ESRCH\n"
    "child: traceme: EPERM\n"
    "attach child: EPERM\n"
    "done\n";

TEST(Hostile, AGuestAttachingToRavelOrInitIsRefusedUnderRun) {
  RunOutput out = RunBounded({RavelBinary(), "run", "--seed", "1", "--", GuestPath("ptrace_escape")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, kPtraceEscapeOutput) << out.err;
}

TEST(Hostile, AGuestAttachingToRavelOrInitIsRefusedUnderEveryStrategy) {
  for (const char* strategy : {"pct", "random", "rr"}) {
    RunOutput out = RunBounded({RavelBinary(), "run", "--strategy", strategy, "--seed", "7", "--",
                                GuestPath("ptrace_escape")});
    EXPECT_EQ(out.exit_code, 0) << strategy << ": " << out.err;
    EXPECT_EQ(out.out, kPtraceEscapeOutput) << strategy;
  }
}

TEST(Hostile, AGuestAttachingToRavelOrInitIsRefusedUnderStrace) {
  const std::string trace = TempPath("escape.trace");
  RunOutput out = RunBounded({RavelBinary(), "strace", "-f", "-o", trace, "--", GuestPath("ptrace_escape")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, kPtraceEscapeOutput) << out.err;
  // The refusals are the layer's, before any tool: strace never shows them as made. The
  // calls that ran (TRACEME, the attach of a guest child) it does.
  const std::string text = ReadFile(trace);
  EXPECT_TRUE(absl::StrContains(text, "PTRACE_TRACEME")) << text;
}

TEST(Hostile, AGuestAttachingToRavelOrInitIsRefusedUnderStress) {
  RunOutput out = RunBounded({RavelBinary(), "stress", "--runs", "5", "--artifacts", TempPath("a"), "--",
                              GuestPath("ptrace_escape")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
}

TEST(Hostile, AGuestAttachingToRavelIsRefusedWithoutASubscription) {
  // `ravel inject` here subscribes to one call the guest never makes: the refusal does not
  // depend on what the tool asked for.
  RunOutput out = RunBounded({RavelBinary(), "inject", "--fail", "getuid=EIO", "--", GuestPath("ptrace_escape")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, kPtraceEscapeOutput) << out.err;
}

// CLONE_UNTRACED would make a child ravel does not trace (unscheduled, unwatched, left
// running after the run): the layer takes the flag out, whatever the tool subscribes to.
TEST(Hostile, ACloneUntracedChildIsTracedAllTheSame) {
  const std::string want =
      "clone child traced: yes\nclone child exit 7\nclone3 child traced: yes\nclone3 child exit 7\n";
  const std::vector<std::vector<std::string>> tools = {
      {"run", "--seed", "1"},
      {"run", "--strategy", "random", "--seed", "2"},
      {"strace", "-f", "-o", TempPath("untraced.trace")},
      {"inject", "--fail", "getuid=EIO"},  // subscribes to neither clone nor clone3
  };
  for (const std::vector<std::string>& tool : tools) {
    std::vector<std::string> command = {RavelBinary()};
    command.insert(command.end(), tool.begin(), tool.end());
    command.push_back("--");
    command.push_back(GuestPath("untraced_clone"));
    RunOutput out = RunBounded(command);
    EXPECT_EQ(out.exit_code, 0) << tool[0] << ": " << out.err;
    EXPECT_EQ(out.out, want) << tool[0] << ": " << out.err;
  }
}

// ---- 2. guests that stop themselves, block signals, fork many ----

struct Hostile {
  const char* name;
  std::vector<std::string> args;  // before the ready file
};

struct Case {
  Hostile guest;
  std::vector<std::string> ravel;  // the ravel command before "--"
  int sig;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = absl::StrCat(info.param.guest.name);
  for (const std::string& a : info.param.guest.args) absl::StrAppend(&name, "_", a);
  absl::StrAppend(&name, "_", info.param.ravel[0], "_", info.param.sig == SIGINT ? "SIGINT" : "SIGTERM");
  return name;
}

class HostileGuest : public ::testing::TestWithParam<Case> {};

TEST_P(HostileGuest, RavelEndsOnTheSignalAndLeavesNothingBehind) {
  const Case& c = GetParam();
  // One file per case: the cases of one test process share its temporary directory.
  const std::string ready = TempPath(absl::StrCat(CaseName({c, 0}), ".ready"));
  unlink(ready.c_str());
  std::vector<std::string> argv = {RavelBinary()};
  argv.insert(argv.end(), c.ravel.begin(), c.ravel.end());
  argv.push_back("--");
  argv.push_back(GuestPath(c.guest.name));
  argv.insert(argv.end(), c.guest.args.begin(), c.guest.args.end());
  argv.push_back(ready);
  RunOutput out = RunAndSignal(argv, ready, c.sig);
  EXPECT_EQ(out.exit_code, 128 + c.sig) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "interrupted by")) << out.err;
  // RunCommand has failed the test for anything left behind.
  EXPECT_TRUE(out.leftovers.empty());
}

std::vector<Case> Cases() {
  const std::vector<Hostile> guests = {
      {"self_stop", {"partner"}}, {"block_signals", {"spin"}}, {"block_signals", {"sleep"}}, {"fork_tree", {}}};
  const std::vector<std::vector<std::string>> commands = {{"run", "--seed", "1"}, {"strace", "-f", "-o", "/dev/null"}};
  std::vector<Case> cases;
  for (const Hostile& g : guests) {
    for (const auto& cmd : commands) {
      for (int sig : {SIGINT, SIGTERM}) cases.push_back({g, cmd, sig});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Hostile, HostileGuest, ::testing::ValuesIn(Cases()), CaseName);

// Alone, a guest that stops itself (nothing will continue it) does not hang a scheduled
// run: no thread can run and nothing can wake one, which ravel reports as a deadlock.
TEST(Hostile, ARunOfAGuestThatStopsItselfEnds) {
  RunOutput out = RunBounded({RavelBinary(), "run", "--seed", "1", "--", GuestPath("self_stop"), "alone"});
  EXPECT_EQ(out.exit_code, 3) << out.err;
  EXPECT_EQ(out.out, "");
}

}  // namespace
}  // namespace ravel::testing
