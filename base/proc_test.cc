#include "base/proc.h"

#include <elf.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "gtest/gtest.h"

namespace ravel {
namespace {

TEST(ParseProcStat, ReadsStateParentAndGroup) {
  // The command name may hold spaces and parentheses: the last ')' ends it.
  const struct {
    const char* text;
    char state;
    pid_t ppid, pgrp;
  } kCases[] = {
      {"1234 (sleep) S 1 1234 1234 0 -1 4194304 98 0 0 0", 'S', 1, 1234},
      {"77 (a (b) c) ) R 12 34 34 0", 'R', 12, 34},
  };
  for (const auto& c : kCases) {
    std::optional<ProcStat> s = ParseProcStat(c.text);
    ASSERT_TRUE(s.has_value()) << c.text;
    EXPECT_EQ(s->state, c.state) << c.text;
    EXPECT_EQ(s->ppid, c.ppid) << c.text;
    EXPECT_EQ(s->pgrp, c.pgrp) << c.text;
  }
}

TEST(ParseProcStat, RefusesWhatIsNotAStatLine) {
  EXPECT_FALSE(ParseProcStat("").has_value());
  EXPECT_FALSE(ParseProcStat("1234 sleep S 1 2").has_value());
  EXPECT_FALSE(ParseProcStat("1234 (sleep)").has_value());
  EXPECT_FALSE(ParseProcStat("1234 (sleep) S x 2").has_value());
}

TEST(ReadProcStat, AgreesWithGetppidAndGetpgrp) {
  std::optional<ProcStat> self = ReadProcStat(getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->state, 'R');  // reading its own stat
  EXPECT_EQ(self->ppid, getppid());
  EXPECT_EQ(self->pgrp, getpgrp());
  std::optional<ProcStat> thread = ReadProcStat(getpid(), gettid());
  ASSERT_TRUE(thread.has_value());
  EXPECT_EQ(thread->ppid, getppid());
}

TEST(ReadProcStat, AGoneProcessHasNone) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(ReadProcStat(child).has_value());
}

TEST(ChildrenOf, FindsAChildUntilItIsReaped) {
  const pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  std::vector<pid_t> children = ChildrenOf(getpid());
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_NE(std::find(children.begin(), children.end(), child), children.end());
  const std::vector<pid_t> after = ChildrenOf(getpid());
  EXPECT_EQ(std::find(after.begin(), after.end(), child), after.end());
}

TEST(ParseInnermostTid, TakesTheLastNamespacesId) {
  EXPECT_EQ(ParseInnermostTid("Name:\tx\nNSpid:\t4242\nNSpgid:\t1\n"), 4242);
  EXPECT_EQ(ParseInnermostTid("NSpid:\t4242\t17\n"), 17);  // in a pid namespace of its own
  EXPECT_FALSE(ParseInnermostTid("Name:\tx\nPid:\t4242\n").has_value());
  EXPECT_FALSE(ParseInnermostTid("NSpid:\t\n").has_value());
}

TEST(ReadInnermostTid, IsOursOutsideANamespace) {
  EXPECT_EQ(ReadInnermostTid(getpid(), getpid()), getpid());
}

TEST(ParseProcSignals, ReadsTheFiveMasks) {
  const char text[] =
      "Name:\tcat\nSigQ:\t0/94\nSigPnd:\t0000000000000100\nShdPnd:\t0000000000004000\n"
      "SigBlk:\tfffffffe7ffbfeff\nSigIgn:\t0000000000001000\nSigCgt:\t0000000180000000\nCapInh:\t0\n";
  std::optional<ProcSignals> s = ParseProcSignals(text);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->pending, 0x100u);
  EXPECT_EQ(s->shared_pending, 0x4000u);
  EXPECT_EQ(s->blocked, 0xfffffffe7ffbfeffu);
  EXPECT_EQ(s->ignored, 0x1000u);
  EXPECT_EQ(s->caught, 0x180000000u);
  EXPECT_FALSE(ParseProcSignals("SigPnd:\t0\nShdPnd:\t0\n").has_value());
}

TEST(ReadProcSignals, SeesABlockedSignalPendingOnThisThread) {
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr1, &old), 0);
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0);
  std::optional<ProcSignals> s = ReadProcSignals(getpid(), gettid());
  // Take it back before any assertion can return.
  int taken = 0;
  sigwait(&usr1, &taken);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(s.has_value());
  const uint64_t bit = 1ull << (SIGUSR1 - 1);
  EXPECT_EQ(s->pending & bit, bit);
  EXPECT_EQ(s->blocked & bit, bit);
  EXPECT_EQ(taken, SIGUSR1);
}

TEST(ReadProcAuxv, AgreesWithGetauxval) {
  absl::StatusOr<std::string> auxv = ReadProcAuxv(getpid());
  ASSERT_TRUE(auxv.ok()) << auxv.status();
  EXPECT_EQ(AuxvValue(*auxv, AT_ENTRY), getauxval(AT_ENTRY));
  EXPECT_EQ(AuxvValue(*auxv, AT_PAGESZ), getauxval(AT_PAGESZ));
  EXPECT_EQ(AuxvValue(*auxv, 9999), std::nullopt);
  EXPECT_EQ(AuxvValue(std::string(3, '\0'), AT_ENTRY), std::nullopt);  // shorter than a pair
  EXPECT_FALSE(ReadProcAuxv(-5).ok());
}

TEST(MonotonicSeconds, NeverGoesBack) {
  const double a = MonotonicSeconds();
  const double b = MonotonicSeconds();
  EXPECT_GT(a, 0);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace ravel
