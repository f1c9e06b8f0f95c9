#include "scheduler/futex_table.h"

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace ravel {
namespace {

constexpr uint32_t kAny = ~0u;
const FutexKey kA{1, 0, 0x1000};
const FutexKey kB{1, 0, 0x2000};
const FutexKey kShared{0x801, 42, 0x1000};  // the same offset as kA, in a shared object

std::vector<ThreadId> Threads(const std::vector<FutexTable::Wakeable>& waiters) {
  std::vector<ThreadId> out;
  for (const FutexTable::Wakeable& w : waiters) out.push_back(w.thread);
  return out;
}

TEST(FutexTable, WaitersComeOutFirstComeFirstWhateverTheirIds) {
  FutexTable table;
  table.Wait(5, {kA}, kAny, 10);
  table.Wait(2, {kA}, kAny, 11);
  table.Wait(9, {kA}, kAny, 12);
  table.Wait(1, {kB}, kAny, 13);
  EXPECT_EQ(Threads(table.Waiters(kA, kAny)), (std::vector<ThreadId>{5, 2, 9}));
  EXPECT_EQ(Threads(table.Waiters(kB, kAny)), (std::vector<ThreadId>{1}));
  EXPECT_TRUE(table.Waiters(kShared, kAny).empty()) << "a shared key is another futex";
}

TEST(FutexTable, AWakeReleasesOnlyWaitersWhoseBitsetItMeets) {
  FutexTable table;
  table.Wait(1, {kA}, 0b01, 1);
  table.Wait(2, {kA}, 0b10, 2);
  table.Wait(3, {kA}, kAny, 3);
  EXPECT_EQ(Threads(table.Waiters(kA, 0b10)), (std::vector<ThreadId>{2, 3}));
  EXPECT_EQ(Threads(table.Waiters(kA, 0b01)), (std::vector<ThreadId>{1, 3}));
  EXPECT_EQ(Threads(table.Waiters(kA, kAny)), (std::vector<ThreadId>{1, 2, 3}));
}

TEST(FutexTable, AWaitvWaiterIsWokenByAnyOfItsKeysAndSaysWhich) {
  FutexTable table;
  table.Wait(7, {kB, kA, kB}, kAny, 4);  // kB named twice: its first mention counts
  const std::vector<FutexTable::Wakeable> on_a = table.Waiters(kA, kAny);
  const std::vector<FutexTable::Wakeable> on_b = table.Waiters(kB, kAny);
  ASSERT_EQ(on_a.size(), 1u);
  ASSERT_EQ(on_b.size(), 1u);
  EXPECT_EQ(on_a[0], (FutexTable::Wakeable{7, 1}));
  EXPECT_EQ(on_b[0], (FutexTable::Wakeable{7, 0}));
  table.Remove(7);
  EXPECT_TRUE(table.Waiters(kA, kAny).empty());
  EXPECT_TRUE(table.Waiters(kB, kAny).empty());
  EXPECT_FALSE(table.Waiting(7));
  table.Remove(7);  // again: nothing happens
}

TEST(FutexTable, RequeueMovesSingleKeyWaitersInOrderAndKeepsTheirPlace) {
  FutexTable table;
  table.Wait(1, {kA}, kAny, 1);
  table.Wait(2, {kA, kB}, kAny, 2);  // futex_waitv: stays
  table.Wait(3, {kA}, kAny, 3);
  table.Wait(4, {kA}, kAny, 4);
  table.Wait(5, {kB}, kAny, 0);  // on the target already, and first
  table.Wait(6, {kB}, kAny, 5);
  EXPECT_EQ(table.Requeue(kA, kB, 2), (std::vector<ThreadId>{1, 3}));
  EXPECT_EQ(Threads(table.Waiters(kA, kAny)), (std::vector<ThreadId>{2, 4}));
  EXPECT_EQ(Threads(table.Waiters(kB, kAny)), (std::vector<ThreadId>{5, 1, 2, 3, 6}));
  // A requeued thread is removed from its new key.
  table.Remove(1);
  EXPECT_EQ(Threads(table.Waiters(kB, kAny)), (std::vector<ThreadId>{5, 2, 3, 6}));
  EXPECT_TRUE(table.Requeue(kA, kB, 0).empty());
  EXPECT_TRUE(table.Requeue(kShared, kB, 3).empty());
}

TEST(FutexTable, RequeueOntoTheSameFutexCountsButMovesNothing) {
  FutexTable table;
  table.Wait(1, {kA}, kAny, 1);
  table.Wait(2, {kA}, kAny, 2);
  EXPECT_EQ(table.Requeue(kA, kA, 5), (std::vector<ThreadId>{1, 2}));
  EXPECT_EQ(Threads(table.Waiters(kA, kAny)), (std::vector<ThreadId>{1, 2}));
}

TEST(FutexTable, WaitingAgainReplacesTheEarlierWait) {
  FutexTable table;
  table.Wait(1, {kA}, kAny, 1);
  table.Wait(1, {kB}, kAny, 2);
  EXPECT_TRUE(table.Waiters(kA, kAny).empty());
  EXPECT_EQ(Threads(table.Waiters(kB, kAny)), (std::vector<ThreadId>{1}));
}

// The table against the scan it replaced: every blocked waiter's keys and seq kept per
// thread, waiters found by a pass over all of them, sorted by seq. Random waits, removes,
// wakes and requeues over a few keys and threads.
TEST(FutexTable, AgreesWithAScanOverEveryWaiter) {
  struct Model {
    std::vector<FutexKey> keys;
    uint32_t bitset;
    uint64_t seq;
  };
  const FutexKey keys[] = {kA, kB, kShared};
  uint64_t state = 12345;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  FutexTable table;
  std::map<ThreadId, Model> model;
  uint64_t seq = 0;
  for (int op = 0; op < 20000; ++op) {
    const ThreadId thread = static_cast<ThreadId>(next() % 12);
    const FutexKey& key = keys[next() % 3];
    switch (next() % 4) {
      case 0: {
        std::vector<FutexKey> waits_on = {key};
        if (next() % 4 == 0) waits_on.push_back(keys[next() % 3]);
        const uint32_t bitset = next() % 3 == 0 ? static_cast<uint32_t>(1 + next() % 3) : kAny;
        table.Wait(thread, waits_on, bitset, seq);
        std::vector<FutexKey> unique;
        for (const FutexKey& k : waits_on) {
          if (std::find(unique.begin(), unique.end(), k) == unique.end()) unique.push_back(k);
        }
        model[thread] = Model{unique, bitset, seq++};
        break;
      }
      case 1:
        table.Remove(thread);
        model.erase(thread);
        break;
      case 2: {
        const int to = static_cast<int>(next() % 3);
        const int n = static_cast<int>(next() % 4);
        std::vector<std::pair<uint64_t, ThreadId>> expected;
        for (const auto& [id, m] : model) {
          if (m.keys.size() == 1 && m.keys[0] == key) expected.emplace_back(m.seq, id);
        }
        std::sort(expected.begin(), expected.end());
        if (static_cast<int>(expected.size()) > n) expected.resize(static_cast<size_t>(n));
        std::vector<ThreadId> moved;
        for (const auto& [s, id] : expected) {
          moved.push_back(id);
          model[id].keys[0] = keys[to];
        }
        ASSERT_EQ(table.Requeue(key, keys[to], n), moved) << "op " << op;
        break;
      }
      default: {
        const uint32_t bitset = next() % 3 == 0 ? static_cast<uint32_t>(1 + next() % 3) : kAny;
        std::vector<std::pair<uint64_t, FutexTable::Wakeable>> expected;
        for (const auto& [id, m] : model) {
          auto it = std::find(m.keys.begin(), m.keys.end(), key);
          if (it != m.keys.end() && (m.bitset & bitset) != 0) {
            expected.push_back({m.seq, FutexTable::Wakeable{id, static_cast<int>(it - m.keys.begin())}});
          }
        }
        std::sort(expected.begin(), expected.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<FutexTable::Wakeable> want;
        for (const auto& [s, w] : expected) want.push_back(w);
        ASSERT_EQ(table.Waiters(key, bitset), want) << "op " << op;
        break;
      }
    }
  }
}

}  // namespace
}  // namespace ravel
