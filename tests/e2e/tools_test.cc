// `ravel count` and `ravel inject` end to end.
#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

TEST(Count, CountsCallsAndErrorsAcrossThreads) {
  // syscall_loop: one getppid first, then 1000 more and 10 open+close of /dev/null.
  RunOutput out = RunCommand({RavelBinary(), "count", "-e", "trace=getppid,openat,close", "--",
                              GuestPath("syscall_loop"), "1000", "100"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "done 1000 wrong 0\n");
  EXPECT_TRUE(absl::StrContains(out.err, "      1001            getppid\n")) << out.err;
  EXPECT_TRUE(out.leftovers.empty());
}

TEST(Count, CountsErrors) {
  // io: the loader opens ld.so.cache and libc, the guest a missing file and /dev/null.
  RunOutput out = RunCommand({RavelBinary(), "count", "-e", "trace=openat", "--", GuestPath("io")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "         4          1 openat\n")) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "         4          1 total")) << out.err;
}

TEST(Count, ThreadedGuest) {
  RunOutput out = RunCommand({RavelBinary(), "count", "-e", "trace=write", "--", GuestPath("threads")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  // Two threads write once each to /dev/null; main writes its report once.
  EXPECT_TRUE(absl::StrContains(out.err, "         3            write\n")) << out.err;
}

TEST(Inject, FailsOpenatLikeAMissingFile) {
  RunOutput out = RunCommand({RavelBinary(), "inject", "--fail", "openat=ENOENT@1", "--", "cat", "/etc/hostname"});
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(out.err, "cat: /etc/hostname: No such file or directory")) << out.err;
  // cat's own opens all fail (its locale files first, then /etc/hostname); the loader's don't.
  EXPECT_TRUE(std::regex_search(out.err, std::regex("ravel: inject: openat=ENOENT@1: failed ([1-9][0-9]*) of \\1 calls")))
      << out.err;
  EXPECT_TRUE(out.out.empty());
  EXPECT_TRUE(out.leftovers.empty());
}

TEST(Inject, StartupIncludedBreaksTheLoader) {
  RunOutput out = RunCommand({RavelBinary(), "inject", "--include-startup", "--fail", "openat=ENOENT", "--",
                              "cat", "/etc/hostname"});
  EXPECT_EQ(out.exit_code, 127);
  EXPECT_TRUE(absl::StrContains(out.err, "error while loading shared libraries")) << out.err;
}

TEST(Inject, SameSeedSameFailures) {
  auto run = [](const std::string& seed) {
    return RunCommand({RavelBinary(), "inject", "--fail", "getppid=EPERM@0.3", "--seed", seed, "--",
                       GuestPath("syscall_loop"), "200", "0"});
  };
  RunOutput a = run("5"), b = run("5"), c = run("6");
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.err, b.err);
  EXPECT_NE(a.err, c.err);  // another seed fails other calls (200 draws at p=0.3)
  EXPECT_TRUE(absl::StrContains(a.err, "getppid=EPERM@0.3: failed ")) << a.err;
  EXPECT_EQ(a.exit_code, 1);  // some getppid calls returned an error
}

}  // namespace
}  // namespace ravel::testing
