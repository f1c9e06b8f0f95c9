#include "scheduler/fd_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace ravel {
namespace {

TEST(FdsReady, AnEmptyPipeIsNotReadyAndAFullOneIs) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_FALSE(FdsReady(getpid(), {pollfd{p[0], POLLIN, 0}}));
  ASSERT_EQ(write(p[1], "x", 1), 1);
  EXPECT_TRUE(FdsReady(getpid(), {pollfd{p[0], POLLIN, 0}}));
  close(p[0]);
  close(p[1]);
}

TEST(FdsReady, ABadFdCountsAsReady) { EXPECT_TRUE(FdsReady(getpid(), {pollfd{987654, POLLIN, 0}})); }

volatile sig_atomic_t ticks = 0;

// The tracer's own timer (a SIGALRM handler without SA_RESTART) ticking while it probes:
// an interrupted probe must not read as "ready".
TEST(FdsReady, ATimerTickDuringTheProbeIsNoReadiness) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  struct sigaction sa = {}, old = {};
  sa.sa_handler = [](int) { ticks = ticks + 1; };
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGALRM, &sa, &old), 0);
  itimerval every = {{0, 20}, {0, 20}}, off = {};
  ASSERT_EQ(setitimer(ITIMER_REAL, &every, nullptr), 0);
  int false_ready = 0, probes = 0;
  // Until enough ticks came during probes (bounded: each probe takes microseconds).
  for (; probes < 2000000 && ticks < 2000; ++probes) {
    if (FdsReady(getpid(), {pollfd{p[0], POLLIN, 0}})) ++false_ready;
  }
  setitimer(ITIMER_REAL, &off, nullptr);
  sigaction(SIGALRM, &old, nullptr);
  EXPECT_GT(ticks, 0);
  EXPECT_EQ(false_ready, 0) << "of " << probes << " probes, with " << ticks << " timer ticks";
  close(p[0]);
  close(p[1]);
}

TEST(FdTarget, NamesWhatTheFdIs) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_EQ(FdTarget(getpid(), p[0]).rfind("pipe:[", 0), 0u) << FdTarget(getpid(), p[0]);
  EXPECT_EQ(FdTarget(getpid(), 987654), "");
  close(p[0]);
  close(p[1]);
}

TEST(FdInfoValues, ReadsAnEventfdsId) {
  const int efd = eventfd(0, EFD_CLOEXEC);
  ASSERT_GE(efd, 0);
  const std::vector<std::string> flags = FdInfoValues(getpid(), efd, "flags:");
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_FALSE(flags[0].empty());
  EXPECT_TRUE(FdInfoValues(getpid(), efd, "no-such-key:").empty());
  close(efd);
}

TEST(HeldOutside, FindsAPipeThatAChildHoldsAndNotOneOnlyWeHold) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  const std::string target = FdTarget(getpid(), p[0]);
  auto same = [&](pid_t, int, const std::string& other) { return other == target; };
  // Only this process (ravel's place here) holds it.
  EXPECT_FALSE(HeldOutside({}, same));
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    ssize_t unused = write(ready[1], "x", 1);
    (void)unused;
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_TRUE(HeldOutside({}, same));        // the child, outside
  EXPECT_FALSE(HeldOutside({child}, same));  // the child, a guest
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  for (int fd : {p[0], p[1], ready[0], ready[1]}) close(fd);
}

TEST(FdNonBlocking, ReadsTheStatusFlags) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_FALSE(FdNonBlocking(getpid(), p[0]));
  ASSERT_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
  EXPECT_TRUE(FdNonBlocking(getpid(), p[0]));
  close(p[0]);
  close(p[1]);
}

}  // namespace
}  // namespace ravel
