#include "scheduler/deadlock_report.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ravel {
namespace {

ThreadWait Thread(ThreadId id, pid_t tid, pid_t pid, ThreadWait::On on) {
  ThreadWait w;
  w.id = id;
  w.tid = tid;
  w.pid = pid;
  w.on = on;
  return w;
}

TEST(DeadlockReport, TwoThreadsInALockOrderInversionNameEachOther) {
  ThreadWait t1 = Thread(1, 101, 100, ThreadWait::On::kFutex);
  t1.futex = 0x4040;
  t1.last_syscall = "futex";
  t1.held = {{"mutex", 0x4080, 12}};
  t1.acquiring = ThreadWait::Lock{"mutex", 0x4040, 0};
  ThreadWait t2 = Thread(2, 102, 100, ThreadWait::On::kFutex);
  t2.futex = 0x4080;
  t2.last_syscall = "futex";
  t2.held = {{"mutex", 0x4040, 14}};
  t2.acquiring = ThreadWait::Lock{"mutex", 0x4080, 0};
  EXPECT_EQ(DeadlockReport({t1, t2}),
            "  T1 (tid 101) waits on futex 0x4040; last syscall futex; holds mutex 0x4080 (acquired at step 12); "
            "waits for mutex 0x4040 held by T2\n"
            "  T2 (tid 102) waits on futex 0x4080; last syscall futex; holds mutex 0x4040 (acquired at step 14); "
            "waits for mutex 0x4080 held by T1\n");
}

TEST(DeadlockReport, ALockIsHeldOnlyByThreadsOfTheSameProcess) {
  ThreadWait waiter = Thread(0, 10, 10, ThreadWait::On::kFutex);
  waiter.futex = 0x1000;
  waiter.acquiring = ThreadWait::Lock{"rwlock", 0x1000, 0};
  ThreadWait elsewhere = Thread(3, 20, 20, ThreadWait::On::kChild);  // the same address, another process
  elsewhere.held = {{"rwlock", 0x1000, 5}};
  ThreadWait sibling = Thread(4, 11, 10, ThreadWait::On::kSleep);
  sibling.held = {{"rwlock", 0x1000, 7}};
  const std::string report = DeadlockReport({waiter, elsewhere, sibling});
  EXPECT_EQ(report,
            "  T0 (tid 10) waits on futex 0x1000; waits for rwlock 0x1000 held by T4\n"
            "  T3 (tid 20) waits on a child process; holds rwlock 0x1000 (acquired at step 5)\n"
            "  T4 (tid 11) waits on sleep; holds rwlock 0x1000 (acquired at step 7)\n");
}

TEST(DeadlockReport, EveryKindOfWaitHasItsWords) {
  ThreadWait fds = Thread(0, 1, 1, ThreadWait::On::kFds);
  fds.fds = {"3 (pipe:[77])", "5"};
  fds.timeout = true;
  ThreadWait fd = Thread(1, 2, 1, ThreadWait::On::kFds);
  fd.fds = {"0"};
  EXPECT_EQ(DeadlockReport({fds, fd, Thread(2, 3, 1, ThreadWait::On::kSignal), Thread(3, 4, 1, ThreadWait::On::kVfork),
                            Thread(4, 5, 1, ThreadWait::On::kStopped), Thread(5, 6, 1, ThreadWait::On::kNothing)}),
            "  T0 (tid 1) waits on fds 3 (pipe:[77]),5 (with a timeout)\n"
            "  T1 (tid 2) waits on fd 0\n"
            "  T2 (tid 3) waits on a signal\n"
            "  T3 (tid 4) waits on its vfork child (to exec or exit)\n"
            "  T4 (tid 5) waits on SIGCONT (stopped)\n"
            "  T5 (tid 6) waits on nothing (runnable)\n");
  EXPECT_EQ(DeadlockReport({}), "");
}

TEST(DeadlockReport, AWaitForALockNobodyHoldsSaysSo) {
  ThreadWait t = Thread(7, 70, 70, ThreadWait::On::kFutex);
  t.futex = 0xabc;
  t.acquiring = ThreadWait::Lock{"spinlock", 0xabc, 0};
  EXPECT_EQ(DeadlockReport({t}), "  T7 (tid 70) waits on futex 0xabc; waits for spinlock 0xabc\n");
}

}  // namespace
}  // namespace ravel
