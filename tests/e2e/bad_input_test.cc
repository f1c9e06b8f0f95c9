// Bad input and interruptions: one-line errors, distinct exit codes, nothing left behind.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

int Lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

TEST(BadInput, CommandNotFound) {
  RunOutput out = RunCommand({RavelBinary(), "strace", "--", "/nonexistent/prog"});
  EXPECT_EQ(out.exit_code, 127);
  EXPECT_EQ(out.err, "ravel: /nonexistent/prog: No such file or directory\n");
  EXPECT_TRUE(out.leftovers.empty());
  out = RunCommand({RavelBinary(), "count", "--", "no-such-command-ravel"});
  EXPECT_EQ(out.exit_code, 127);
  EXPECT_EQ(out.err, "ravel: no-such-command-ravel: command not found\n");
}

TEST(BadInput, CommandNotExecutable) {
  std::string path = TempPath("not-executable");
  std::ofstream(path) << "#!/bin/sh\necho hi\n";
  chmod(path.c_str(), 0644);
  RunOutput out = RunCommand({RavelBinary(), "strace", "--", path});
  EXPECT_EQ(out.exit_code, 126);
  EXPECT_EQ(Lines(out.err), 1) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "Permission denied")) << out.err;
  out = RunCommand({RavelBinary(), "strace", "--", "/tmp"});
  EXPECT_EQ(out.exit_code, 126);
}

TEST(BadInput, UnknownSyscallInSet) {
  RunOutput out = RunCommand({RavelBinary(), "strace", "-e", "trace=openat,frobnicate", "--", "true"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(Lines(out.err), 1) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "frobnicate")) << out.err;
  out = RunCommand({RavelBinary(), "inject", "--fail", "frobnicate=EIO", "--", "true"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(out.err, "frobnicate")) << out.err;
}

TEST(BadInput, BadFaultSpecs) {
  for (const char* spec : {"openat", "openat=ENOTANERRNO", "openat=ENOENT@2", "openat=ENOENT@0", "openat=ENOENT@x"}) {
    RunOutput out = RunCommand({RavelBinary(), "inject", "--fail", spec, "--", "true"});
    EXPECT_EQ(out.exit_code, 2) << spec;
    EXPECT_EQ(Lines(out.err), 1) << spec << ": " << out.err;
  }
}

TEST(BadInput, MissingCommandAndUnknownSubcommand) {
  RunOutput out = RunCommand({RavelBinary(), "strace"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(Lines(out.err), 1) << out.err;
  out = RunCommand({RavelBinary(), "frobnicate"});
  EXPECT_EQ(out.exit_code, 2);
  out = RunCommand({RavelBinary()});
  EXPECT_EQ(out.exit_code, 2);
}

TEST(BadInput, HelpTeaches) {
  RunOutput out = RunCommand({RavelBinary(), "--help"});
  EXPECT_EQ(out.exit_code, 0);
  for (const char* word : {"strace", "count", "inject"}) EXPECT_TRUE(absl::StrContains(out.out, word)) << word;
  out = RunCommand({RavelBinary(), "inject", "--help"});
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(out.out, "Example: ravel inject")) << out.out;
}

void InterruptTest(int sig, int expected_exit) {
  RunOptions options;
  options.while_running = [sig](pid_t ravel) {
    // The guest is running once ravel has a child; then interrupt ravel.
    ASSERT_TRUE(WaitForChild(ravel, 20000));
    usleep(50000);
    kill(ravel, sig);
  };
  RunOutput out = RunCommand({RavelBinary(), "strace", "-f", "-o", "/dev/null", "--", "sh", "-c",
                              std::string(GuestPath("sleeper")) + " 100 & " + GuestPath("sleeper") + " 100"},
                             options);
  EXPECT_EQ(out.exit_code, expected_exit) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "interrupted")) << out.err;
  EXPECT_TRUE(out.leftovers.empty()) << absl::StrJoin(out.leftovers, "; ");
}

TEST(Interrupt, SigintKillsAndReapsTheGuestTree) { InterruptTest(SIGINT, 130); }
TEST(Interrupt, SigtermKillsAndReapsTheGuestTree) { InterruptTest(SIGTERM, 143); }

TEST(Interrupt, GuestCrashLeavesNothingBehind) {
  RunOutput out = RunCommand({RavelBinary(), "count", "--", "sh", "-c",
                              std::string(GuestPath("sleeper")) + " 100 & kill -ABRT $$"});
  EXPECT_EQ(out.exit_code, 134);
  EXPECT_TRUE(absl::StrContains(out.err, "killed by SIGABRT")) << out.err;
  // The background sleeper outlives sh: ravel kills it once the command it ran is gone.
  EXPECT_TRUE(out.leftovers.empty()) << absl::StrJoin(out.leftovers, "; ");
}

}  // namespace
}  // namespace ravel::testing
