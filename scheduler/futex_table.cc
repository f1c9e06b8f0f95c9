#include "scheduler/futex_table.h"

#include <algorithm>

#include "base/logging.h"

namespace ravel {

void FutexTable::Wait(ThreadId thread, const std::vector<FutexKey>& keys, uint32_t bitset, uint64_t seq) {
  CHECK(!keys.empty()) << "T" << thread << " waits on no futex";
  Remove(thread);
  Queued& w = by_thread_[thread];
  w.seq = seq;
  for (size_t i = 0; i < keys.size(); ++i) {
    // futex_waitv may name one futex twice: a wake on it reports the first mention.
    if (std::find(w.keys.begin(), w.keys.end(), keys[i]) != w.keys.end()) continue;
    w.keys.push_back(keys[i]);
    const bool inserted =
        by_key_[keys[i]].emplace(seq, Entry{thread, bitset, static_cast<int>(i)}).second;
    CHECK(inserted) << "T" << thread << " waits with seq " << seq << ", which another waiter has";
  }
}

void FutexTable::Remove(ThreadId thread) {
  auto it = by_thread_.find(thread);
  if (it == by_thread_.end()) return;
  for (const FutexKey& key : it->second.keys) {
    auto queue = by_key_.find(key);
    if (queue == by_key_.end()) continue;
    queue->second.erase(it->second.seq);
    if (queue->second.empty()) by_key_.erase(queue);
  }
  by_thread_.erase(it);
}

std::vector<FutexTable::Wakeable> FutexTable::Waiters(const FutexKey& key, uint32_t bitset) const {
  std::vector<Wakeable> out;
  auto queue = by_key_.find(key);
  if (queue == by_key_.end()) return out;
  for (const auto& [seq, entry] : queue->second) {
    if ((entry.bitset & bitset) != 0) out.push_back(Wakeable{entry.thread, entry.index});
  }
  return out;
}

std::vector<ThreadId> FutexTable::Requeue(const FutexKey& from, const FutexKey& to, int n) {
  std::vector<ThreadId> moved;
  auto queue = by_key_.find(from);
  if (n <= 0 || queue == by_key_.end()) return moved;
  std::vector<std::pair<uint64_t, Entry>> taken;
  for (const auto& [seq, entry] : queue->second) {
    if (static_cast<int>(taken.size()) >= n) break;
    if (by_thread_.at(entry.thread).keys.size() == 1) taken.emplace_back(seq, entry);
  }
  for (const auto& [seq, entry] : taken) moved.push_back(entry.thread);
  if (from == to) return moved;  // counted as moved, as the kernel counts them
  for (const auto& [seq, entry] : taken) queue->second.erase(seq);
  if (queue->second.empty()) by_key_.erase(queue);
  std::map<uint64_t, Entry>& target = by_key_[to];
  for (const auto& [seq, entry] : taken) {
    target.emplace(seq, entry);
    by_thread_.at(entry.thread).keys[0] = to;
  }
  return moved;
}

}  // namespace ravel
