// `ravel strace` end to end, strace's test style: each guest prints the lines the tracer
// must print for its syscalls; the test runs it under ravel and finds them in the trace.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

struct GuestCase {
  const char* guest;
  std::vector<std::string> strace_args;
  int exit_code = 0;
  bool any_order = false;  // expected lines may appear in any order (threads)
};

void PrintTo(const GuestCase& c, std::ostream* os) { *os << c.guest; }

class GuestTrace : public ::testing::TestWithParam<GuestCase> {};

TEST_P(GuestTrace, PrintsWhatTheGuestExpects) {
  const GuestCase& c = GetParam();
  std::string trace_file = TempPath("trace.txt");
  std::vector<std::string> argv = {RavelBinary(), "strace", "-o", trace_file};
  argv.insert(argv.end(), c.strace_args.begin(), c.strace_args.end());
  argv.push_back("--");
  argv.push_back(GuestPath(c.guest));
  RunOutput out = RunCommand(argv);
  std::string trace = ReadFile(trace_file);
  EXPECT_EQ(out.exit_code, c.exit_code) << out.err;
  EXPECT_TRUE(out.leftovers.empty()) << absl::StrJoin(out.leftovers, "; ");
  ASSERT_FALSE(out.out.empty()) << "guest printed no expectations";
  if (c.any_order) {
    for (absl::string_view line : absl::StrSplit(out.out, '\n', absl::SkipEmpty())) {
      EXPECT_EQ(FindInOrder(std::string(line), trace), "") << "trace:\n" << trace;
    }
  } else {
    EXPECT_EQ(FindInOrder(out.out, trace), "") << "trace:\n" << trace;
  }
}

// One line per guest: name, strace options, expected exit status.
INSTANTIATE_TEST_SUITE_P(
    Guests, GuestTrace,
    ::testing::Values(
        GuestCase{"io", {"-e", "trace=openat,pipe2,write,read,close"}},
        GuestCase{"threads", {"-f", "-e", "trace=write"}, 0, true},
        GuestCase{"fork", {"-f", "-e", "trace=write,wait4,exit_group"}},
        GuestCase{"spawn", {"-f", "-e", "trace=execve,wait4"}},
        GuestCase{"signals", {"-e", "trace=rt_sigaction,tgkill"}}),
    [](const ::testing::TestParamInfo<GuestCase>& info) { return std::string(info.param.guest); });

TEST(Strace, EchoShowsExecveAndWrite) {
  std::string trace_file = TempPath("echo.txt");
  RunOutput out = RunCommand({RavelBinary(), "strace", "-o", trace_file, "--", "/bin/echo", "hi"});
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.out, "hi\n");
  std::string trace = ReadFile(trace_file);
  EXPECT_EQ(FindInOrder("re:execve\\(\"/bin/echo\", \\[\"/bin/echo\", \"hi\"\\], .*\\) = 0\n"
                        "write(1, \"hi\\n\", 3) = 3\n"
                        "exit_group(0) = ?\n"
                        "+++ exited with 0 +++\n",
                        trace),
            "")
      << trace;
  EXPECT_TRUE(out.leftovers.empty());
}

TEST(Strace, TraceGoesToStderrByDefault) {
  RunOutput out = RunCommand({RavelBinary(), "strace", "-e", "trace=write", "--", "/bin/echo", "hi"});
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.out, "hi\n");  // guest output untouched
  EXPECT_TRUE(absl::StrContains(out.err, "write(1, \"hi\\n\", 3) = 3")) << out.err;
}

TEST(Strace, FollowsBothChildrenOfAPipeline) {
  std::string trace_file = TempPath("pipe.txt");
  RunOutput out = RunCommand({RavelBinary(), "strace", "-f", "-o", trace_file, "--", "sh", "-c", "ls / | wc -l"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_GT(std::stoi(out.out), 3);
  std::string trace = ReadFile(trace_file);
  EXPECT_EQ(FindInOrder("re:\\[pid \\d+\\] execve\\(\"/usr/bin/ls\", \\[\"ls\", \"/\"\\], .*\\) = 0\n", trace), "") << trace;
  EXPECT_EQ(FindInOrder("re:\\[pid \\d+\\] execve\\(\"/usr/bin/wc\", \\[\"wc\", \"-l\"\\], .*\\) = 0\n", trace), "") << trace;
  EXPECT_EQ(FindInOrder("re:\\[pid \\d+\\] write\\(1, .*\\) = \\d+\n", trace), "") << trace;
  EXPECT_TRUE(out.leftovers.empty());
}

TEST(Strace, ExitStatusOfTheShellPassesThrough) {
  RunOutput out = RunCommand({RavelBinary(), "strace", "-o", "/dev/null", "--", "sh", "-c", "exit 17"});
  EXPECT_EQ(out.exit_code, 17);
}

TEST(Strace, GuestKilledBySignal) {
  std::string trace_file = TempPath("segv.txt");
  RunOutput out = RunCommand({RavelBinary(), "strace", "-o", trace_file, "--", "sh", "-c", "kill -SEGV $$"});
  EXPECT_EQ(out.exit_code, 139);
  EXPECT_TRUE(absl::StrContains(out.err, "killed by SIGSEGV")) << out.err;
  std::string trace = ReadFile(trace_file);
  EXPECT_TRUE(absl::StrContains(trace, "--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_USER")) << trace;
  EXPECT_TRUE(absl::StrContains(trace, "+++ killed by SIGSEGV")) << trace;
  EXPECT_TRUE(out.leftovers.empty());
}

TEST(Strace, ExecFromANonMainThread) {
  std::string trace_file = TempPath("exec.txt");
  RunOutput out = RunCommand({RavelBinary(), "strace", "-f", "-o", trace_file, "--", GuestPath("exec_thread")});
  EXPECT_EQ(out.exit_code, 42) << out.err;
  EXPECT_TRUE(absl::StartsWith(out.out, "stage2 pid=")) << out.out;
  std::string trace = ReadFile(trace_file);
  EXPECT_EQ(FindInOrder("re:\\[pid \\d+\\] execve\\(\"/proc/self/exe\", .*\\) = 0\n"
                        "re:\\[pid \\d+\\] \\+\\+\\+ exited with 42 \\+\\+\\+\n", trace), "") << trace;
  EXPECT_TRUE(out.leftovers.empty());
}

TEST(Strace, ExitGroupWithRunningThreads) {
  std::string trace_file = TempPath("exit.txt");
  RunOutput out = RunCommand({RavelBinary(), "strace", "-f", "-e", "trace=exit_group", "-o", trace_file, "--",
                              GuestPath("exit_group")});
  EXPECT_EQ(out.exit_code, 3);
  std::string trace = ReadFile(trace_file);
  EXPECT_EQ(FindInOrder("re:(\\[pid \\d+\\] )?exit_group\\(3\\) = \\?\n"
                        "re:(\\[pid \\d+\\] )?\\+\\+\\+ exited with 3 \\+\\+\\+\n", trace), "") << trace;
  EXPECT_TRUE(out.leftovers.empty());
}

TEST(Strace, JobControlStopAndContinue) {
  std::string trace_file = TempPath("jobs.txt");
  RunOutput out = RunCommand({RavelBinary(), "strace", "-f", "-o", trace_file, "--", GuestPath("jobcontrol")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "stopped by 19\nexited 5\n");
  std::string trace = ReadFile(trace_file);
  EXPECT_EQ(FindInOrder("re:\\[pid \\d+\\] --- SIGSTOP \\{si_signo=SIGSTOP, si_code=SI_TKILL.*\n"
                        "re:\\[pid \\d+\\] --- SIGCONT \\{si_signo=SIGCONT, si_code=SI_USER.*\n", trace), "") << trace;
  EXPECT_TRUE(out.leftovers.empty());
}

TEST(Strace, UnfollowedChildrenStillRunNormally) {
  // Without -f the children are traced (the filter is inherited) but not printed.
  std::string trace_file = TempPath("nofollow.txt");
  RunOutput out = RunCommand({RavelBinary(), "strace", "-o", trace_file, "--", "sh", "-c", "echo a; echo b | cat"});
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.out, "a\nb\n");
  EXPECT_FALSE(absl::StrContains(ReadFile(trace_file), "[pid "));
}

}  // namespace
}  // namespace ravel::testing
