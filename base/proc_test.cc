#include "base/proc.h"

#include <sys/wait.h>
#include <unistd.h>

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

TEST(MonotonicSeconds, NeverGoesBack) {
  const double a = MonotonicSeconds();
  const double b = MonotonicSeconds();
  EXPECT_GT(a, 0);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace ravel
