#include "scheduler/lock_holdings.h"

#include <sys/syscall.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "preempt/sync_marker.h"

namespace ravel {
namespace {

constexpr uint64_t kMutex = 0x4040;
constexpr uint64_t kOther = 0x4080;

// What the deadlock report would say of `thread`: "kind 0xaddr@step" per holding, then
// "-> kind 0xaddr" for the lock it is acquiring.
std::string Held(const LockHoldings& locks, ThreadId thread) {
  ThreadWait w;
  locks.Describe(thread, w);
  std::string out;
  for (const ThreadWait::Lock& h : w.held) {
    out += h.kind + " " + std::to_string(h.object) + "@" + std::to_string(h.step) + " ";
  }
  if (w.acquiring.has_value()) out += "-> " + w.acquiring->kind + " " + std::to_string(w.acquiring->object);
  return out;
}

// A marker that is a point, made at `step`.
void Point(LockHoldings& locks, ThreadId thread, int op, uint64_t object, uint64_t other, uint64_t step) {
  ASSERT_TRUE(locks.OnMarker(thread, op, object, other));
  locks.OnPoint(thread, op, other, step);
}

Syscall Futex(uint64_t addr) {
  Syscall call(SYS_futex);
  call.args[0] = addr;
  return call;
}

TEST(LockHoldings, AReportedAcquisitionIsHeldFromTheLockCallsStepAndIsNoPoint) {
  LockHoldings locks;
  Point(locks, 1, RAVEL_SYNC_RWLOCK_WRLOCK, kMutex, 0, 7);
  EXPECT_EQ(Held(locks, 1), "-> rwlock 16448");
  EXPECT_FALSE(locks.OnMarker(1, RAVEL_SYNC_RWLOCK_WRITE_ACQUIRED, kMutex, 0));
  EXPECT_EQ(Held(locks, 1), "rwlock 16448@7 ");
  Point(locks, 1, RAVEL_SYNC_RWLOCK_UNLOCK, kMutex, 0, 9);
  EXPECT_EQ(Held(locks, 1), "");
  EXPECT_EQ(Held(locks, 2), "");  // a thread never seen
}

TEST(LockHoldings, AnUnreportedMutexLockIsHeldAtTheNextStepUnlessItWaitsOnTheMutex) {
  LockHoldings locks;
  Point(locks, 1, RAVEL_SYNC_MUTEX_LOCK, kMutex, RAVEL_SYNC_UNREPORTED, 3);
  const Syscall wait_on_it = Futex(kMutex);
  locks.Settle(1, &wait_on_it);  // contended: still acquiring
  EXPECT_EQ(Held(locks, 1), "-> mutex 16448");
  const Syscall wait_elsewhere = Futex(kOther);
  locks.Settle(1, &wait_elsewhere);
  EXPECT_EQ(Held(locks, 1), "mutex 16448@3 ");
  locks.Settle(1, nullptr);  // settled once
  EXPECT_EQ(Held(locks, 1), "mutex 16448@3 ");
}

TEST(LockHoldings, APointThatIsNoSyscallOrTheNextMarkerSettlesItToo) {
  LockHoldings locks;
  Point(locks, 1, RAVEL_SYNC_MUTEX_LOCK, kMutex, RAVEL_SYNC_UNREPORTED, 3);
  locks.Settle(1, nullptr);
  EXPECT_EQ(Held(locks, 1), "mutex 16448@3 ");

  Point(locks, 2, RAVEL_SYNC_MUTEX_LOCK, kOther, RAVEL_SYNC_UNREPORTED, 4);
  Point(locks, 2, RAVEL_SYNC_MUTEX_LOCK, kMutex, RAVEL_SYNC_UNREPORTED, 6);
  EXPECT_EQ(Held(locks, 2), "mutex 16512@4 -> mutex 16448");
  EXPECT_EQ(Held(locks, 1), "mutex 16448@3 ");  // each thread its own
}

TEST(LockHoldings, AReportedMutexLockWaitsForItsReport) {
  LockHoldings locks;
  Point(locks, 1, RAVEL_SYNC_MUTEX_LOCK, kMutex, 0, 3);  // e.g. a process-shared mutex
  locks.Settle(1, nullptr);
  EXPECT_EQ(Held(locks, 1), "-> mutex 16448");
  EXPECT_FALSE(locks.OnMarker(1, RAVEL_SYNC_MUTEX_ACQUIRED, kMutex, 0));
  EXPECT_EQ(Held(locks, 1), "mutex 16448@3 ");
}

TEST(LockHoldings, AnUnlockLetsGoOfTheLatestHoldingOfItsLock) {
  LockHoldings locks;
  Point(locks, 1, RAVEL_SYNC_SPIN_LOCK, kMutex, 0, 1);
  locks.OnMarker(1, RAVEL_SYNC_SPIN_ACQUIRED, kMutex, 0);
  Point(locks, 1, RAVEL_SYNC_RWLOCK_RDLOCK, kOther, 0, 2);
  locks.OnMarker(1, RAVEL_SYNC_RWLOCK_READ_ACQUIRED, kOther, 0);
  Point(locks, 1, RAVEL_SYNC_RWLOCK_RDLOCK, kOther, 0, 3);  // a second read lock
  locks.OnMarker(1, RAVEL_SYNC_RWLOCK_READ_ACQUIRED, kOther, 0);
  EXPECT_EQ(Held(locks, 1), "spinlock 16448@1 rwlock 16512@2 rwlock 16512@3 ");
  Point(locks, 1, RAVEL_SYNC_RWLOCK_UNLOCK, kOther, 0, 4);
  EXPECT_EQ(Held(locks, 1), "spinlock 16448@1 rwlock 16512@2 ");
  Point(locks, 1, RAVEL_SYNC_MUTEX_UNLOCK, 0x9999, 0, 5);  // not held: nothing
  EXPECT_EQ(Held(locks, 1), "spinlock 16448@1 rwlock 16512@2 ");
}

TEST(LockHoldings, AConditionWaitReleasesItsMutexAndItsReportTakesItBack) {
  LockHoldings locks;
  Point(locks, 1, RAVEL_SYNC_MUTEX_LOCK, kMutex, RAVEL_SYNC_UNREPORTED, 2);
  locks.Settle(1, nullptr);
  Point(locks, 1, RAVEL_SYNC_COND_WAIT, /*cond=*/kOther, /*mutex=*/kMutex, 5);
  EXPECT_EQ(Held(locks, 1), "");
  EXPECT_FALSE(locks.OnMarker(1, RAVEL_SYNC_MUTEX_ACQUIRED, kMutex, 0));
  EXPECT_EQ(Held(locks, 1), "mutex 16448@5 ");
}

TEST(LockHoldings, AnyOtherMarkerEndsAnAcquisition) {
  LockHoldings locks;
  Point(locks, 1, RAVEL_SYNC_MUTEX_TRYLOCK, kMutex, 0, 2);  // a trylock is no wait
  EXPECT_EQ(Held(locks, 1), "");
  Point(locks, 1, RAVEL_SYNC_SPIN_LOCK, kMutex, 0, 3);
  EXPECT_EQ(Held(locks, 1), "-> spinlock 16448");
  Point(locks, 1, RAVEL_SYNC_SEM_POST, kOther, 0, 4);
  EXPECT_EQ(Held(locks, 1), "");
}

}  // namespace
}  // namespace ravel
