// FutexTable: who waits on which futex, in the order they started waiting.
//
// The scheduler emulates futex waits (futex.cc): a waiting thread parks in the scheduler,
// and a wake asks this table for the waiters of a key. It owns the queues; the scheduler
// owns the threads and the decision of who is woken (the strategy's ChooseWakees).
//
// Invariants:
//  - A thread waits on at most one set of keys at a time: one key (FUTEX_WAIT), or up to
//    128 (futex_waitv), each queued once however often the call names it.
//  - Within a key, waiters come out in the order of their `seq` (FIFO); seqs are unique.
//  - Requeue moves only single-key waiters (the kernel cannot requeue a futex_waitv
//    waiter either), keeping their seq, so they stay in order among the new key's.
//  - Remove is idempotent; a thread that is not waiting is not in any queue.
#ifndef RAVEL_SCHEDULER_FUTEX_TABLE_H_
#define RAVEL_SCHEDULER_FUTEX_TABLE_H_

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "strategies/strategy.h"

namespace ravel {

// A futex as the kernel keys it: a private one by address space and address, a shared
// one by the mapped object (device, inode) and offset, so that waiters in different
// processes sharing a mapping meet.
struct FutexKey {
  uint64_t space = 0;   // the process (private), or the device (shared)
  uint64_t object = 0;  // 0 (private), or the inode (shared)
  uint64_t offset = 0;  // the address (private), or the offset in the object (shared)
  bool operator==(const FutexKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const FutexKey& k) {
    return H::combine(std::move(h), k.space, k.object, k.offset);
  }
};

class FutexTable {
 public:
  // A waiter a wake may release: the thread, and the position among the keys it waits on
  // of the key that was woken (futex_waitv returns it; 0 for a single-key wait).
  struct Wakeable {
    ThreadId thread = kNoThread;
    int index = 0;
    bool operator==(const Wakeable&) const = default;
  };

  // `thread` starts waiting on `keys` (not empty) for the wakes whose bitset meets
  // `bitset`; `seq` orders it among every waiter. A thread already waiting is moved.
  void Wait(ThreadId thread, const std::vector<FutexKey>& keys, uint32_t bitset, uint64_t seq);
  // `thread` waits no more (woken, timed out, interrupted, gone).
  void Remove(ThreadId thread);
  bool Waiting(ThreadId thread) const { return by_thread_.contains(thread); }

  // The waiters on `key` a wake with `bitset` may release, first come first.
  std::vector<Wakeable> Waiters(const FutexKey& key, uint32_t bitset) const;
  // Moves up to `n` single-key waiters from `from` to `to`, first come first; returns them.
  std::vector<ThreadId> Requeue(const FutexKey& from, const FutexKey& to, int n);
  // Calls f(key, waiters) for each key that has waiters, in no particular order.
  template <typename F>
  void ForEachKey(F&& f) const {
    for (const auto& [key, queue] : by_key_) f(key, queue.size());
  }

 private:
  struct Entry {
    ThreadId thread = kNoThread;
    uint32_t bitset = 0;
    int index = 0;
  };
  struct Queued {
    std::vector<FutexKey> keys;  // each once, in the call's order of first mention
    uint64_t seq = 0;
  };
  absl::flat_hash_map<FutexKey, std::map<uint64_t, Entry>> by_key_;  // seq -> waiter
  absl::flat_hash_map<ThreadId, Queued> by_thread_;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_FUTEX_TABLE_H_
