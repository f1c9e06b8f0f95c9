#include "scheduler/thread_table.h"

#include <vector>

#include "gtest/gtest.h"

namespace ravel {
namespace {

struct FakeThread {
  ThreadId id = kNoThread;
  ThreadStateField state;
  int payload = 0;
};

std::vector<ThreadId> LiveIds(const ThreadTable<FakeThread>& table) {
  std::vector<ThreadId> ids;
  for (const FakeThread* t : table.live()) ids.push_back(t->id);
  return ids;
}

TEST(ThreadTable, NewThreadsGetDenseIdsAndCanRun) {
  ThreadTable<FakeThread> table;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(table.Add().id, i);
  EXPECT_EQ(table.size(), 4);
  EXPECT_EQ(table.runnable(), (std::vector<ThreadId>{0, 1, 2, 3}));
  EXPECT_TRUE(table.blocked().empty());
  EXPECT_EQ(LiveIds(table), (std::vector<ThreadId>{0, 1, 2, 3}));
  EXPECT_EQ(table.At(2).state, ThreadState::kRunnable);
  EXPECT_TRUE(table.Has(3));
  EXPECT_FALSE(table.Has(4));
  EXPECT_FALSE(table.Has(kNoThread));
}

TEST(ThreadTable, TheIndexesFollowEveryStateChange) {
  ThreadTable<FakeThread> table;
  for (int i = 0; i < 5; ++i) table.Add();
  table.SetState(table.At(3), ThreadState::kBlocked);
  table.SetState(table.At(1), ThreadState::kBlocked);
  table.SetState(table.At(0), ThreadState::kRunning);  // still can run
  table.SetState(table.At(4), ThreadState::kInKernel);
  EXPECT_EQ(table.runnable(), (std::vector<ThreadId>{0, 2}));
  EXPECT_EQ(table.blocked(), (std::vector<ThreadId>{1, 3}));
  table.SetState(table.At(3), ThreadState::kRunnable);
  table.SetState(table.At(4), ThreadState::kStopped);
  table.SetState(table.At(1), ThreadState::kBlocked);  // unchanged: no duplicate
  EXPECT_EQ(table.runnable(), (std::vector<ThreadId>{0, 2, 3}));
  EXPECT_EQ(table.blocked(), (std::vector<ThreadId>{1}));
  EXPECT_EQ(LiveIds(table), (std::vector<ThreadId>{0, 1, 2, 3, 4}));
}

TEST(ThreadTable, AnExitedThreadLeavesEveryIndexButStaysInTheTable) {
  ThreadTable<FakeThread> table;
  for (int i = 0; i < 4; ++i) table.Add();
  table.SetState(table.At(1), ThreadState::kBlocked);
  table.SetState(table.At(1), ThreadState::kExited);
  table.SetState(table.At(2), ThreadState::kExited);
  EXPECT_EQ(table.runnable(), (std::vector<ThreadId>{0, 3}));
  EXPECT_TRUE(table.blocked().empty());
  EXPECT_EQ(LiveIds(table), (std::vector<ThreadId>{0, 3}));
  EXPECT_EQ(table.all().size(), 4u);
  EXPECT_EQ(table.At(2).state, ThreadState::kExited);
  // A stop still on its way can make a thread marked exited (with its process) run again.
  table.SetState(table.At(2), ThreadState::kRunnable);
  EXPECT_EQ(LiveIds(table), (std::vector<ThreadId>{0, 2, 3}));
  EXPECT_EQ(table.runnable(), (std::vector<ThreadId>{0, 2, 3}));
}

TEST(ThreadTable, ReferencesStayValidAsTheTableGrows) {
  ThreadTable<FakeThread> table;
  FakeThread& first = table.Add();
  first.payload = 42;
  for (int i = 0; i < 10000; ++i) table.Add().payload = i;
  EXPECT_EQ(&first, &table.At(0));
  EXPECT_EQ(first.payload, 42);
  EXPECT_EQ(table.live().front(), &first);
  EXPECT_EQ(table.runnable().size(), 10001u);
}

// The indexes against a scan of every thread, over a long random sequence of changes.
TEST(ThreadTable, TheIndexesAlwaysMatchAScan) {
  ThreadTable<FakeThread> table;
  uint64_t x = 88172645463325252ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const ThreadState states[] = {ThreadState::kRunnable, ThreadState::kRunning, ThreadState::kBlocked,
                                ThreadState::kInKernel, ThreadState::kStopped, ThreadState::kExited};
  for (int round = 0; round < 20000; ++round) {
    if (table.size() == 0 || next() % 8 == 0) {
      table.Add();
    } else {
      table.SetState(table.At(static_cast<ThreadId>(next() % table.size())), states[next() % 6]);
    }
    if (round % 97 != 0) continue;
    std::vector<ThreadId> runnable, blocked, live;
    for (const FakeThread& t : table.all()) {
      if (CanRun(t.state)) runnable.push_back(t.id);
      if (t.state == ThreadState::kBlocked) blocked.push_back(t.id);
      if (t.state != ThreadState::kExited) live.push_back(t.id);
    }
    ASSERT_EQ(table.runnable(), runnable) << "round " << round;
    ASSERT_EQ(table.blocked(), blocked) << "round " << round;
    ASSERT_EQ(LiveIds(table), live) << "round " << round;
  }
}

}  // namespace
}  // namespace ravel
