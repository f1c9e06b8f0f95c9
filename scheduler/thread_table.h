// The scheduler's threads by logical id, and the indexes a step reads.
//
// A step needs the threads that can run, and the blocked ones for deadlines and fd waits;
// visiting every thread ever started instead made each step cost more with each thread
// (GLib's threadtests starts 5000). The table keeps, beside the threads:
//   - the live ones (not exited), in id order;
//   - the ids of those that can run (kRunnable or kRunning), ascending;
//   - the ids of the blocked ones, ascending.
// A thread's state can only change through SetState, which keeps the indexes in step:
// the state field converts to ThreadState for reading but cannot be assigned.
//
// Threads are never removed: a T& stays valid for the table's life (the scheduler holds
// one in a handler that is parked while other threads come and go). Ids are dense, given
// in order by Add.
#ifndef RAVEL_SCHEDULER_THREAD_TABLE_H_
#define RAVEL_SCHEDULER_THREAD_TABLE_H_

#include <algorithm>
#include <deque>
#include <vector>

#include "base/logging.h"
#include "strategies/strategy.h"

namespace ravel {

// kInKernel: running outside the baton (a call the scheduler does not model, or a thread
// just continued after a stop); it rejoins at its next point. kStopped: job control.
enum class ThreadState { kRunnable, kRunning, kBlocked, kInKernel, kStopped, kExited };

inline bool CanRun(ThreadState state) { return state == ThreadState::kRunnable || state == ThreadState::kRunning; }

template <typename T>
class ThreadTable;

// A thread's state: reads as a ThreadState; changed only by its ThreadTable.
class ThreadStateField {
 public:
  operator ThreadState() const { return value_; }  // NOLINT: reads as the state it holds

 private:
  template <typename T>
  friend class ThreadTable;
  ThreadState value_ = ThreadState::kRunnable;
};

// T: a thread record with `ThreadId id` and `ThreadStateField state`.
template <typename T>
class ThreadTable {
 public:
  // A new thread, kRunnable, with the next id.
  T& Add() {
    T& t = threads_.emplace_back();
    t.id = static_cast<ThreadId>(threads_.size() - 1);
    live_.push_back(&t);        // ids only grow: both stay in order
    runnable_.push_back(t.id);
    return t;
  }
  // The thread with logical id `id`, which must exist.
  T& At(ThreadId id) {
    CHECK(Has(id)) << "no scheduler thread T" << id;
    return threads_[static_cast<size_t>(id)];
  }
  const T& At(ThreadId id) const {
    CHECK(Has(id)) << "no scheduler thread T" << id;
    return threads_[static_cast<size_t>(id)];
  }
  bool Has(ThreadId id) const { return id >= 0 && static_cast<size_t>(id) < threads_.size(); }
  int size() const { return static_cast<int>(threads_.size()); }

  void SetState(T& t, ThreadState state) {
    const ThreadState was = t.state;
    if (CanRun(was) != CanRun(state)) {
      if (CanRun(state)) {
        Insert(runnable_, t.id);
      } else {
        Erase(runnable_, t.id);
      }
    }
    if ((was == ThreadState::kBlocked) != (state == ThreadState::kBlocked)) {
      if (state == ThreadState::kBlocked) {
        Insert(blocked_, t.id);
      } else {
        Erase(blocked_, t.id);
      }
    }
    if ((was == ThreadState::kExited) != (state == ThreadState::kExited)) {
      // (A thread marked exited with its process can still have a stop on its way, and be
      // made runnable by it: live again.)
      auto at = std::lower_bound(live_.begin(), live_.end(), t.id,
                                 [](const T* entry, ThreadId id) { return entry->id < id; });
      if (state == ThreadState::kExited) {
        if (at != live_.end() && *at == &t) live_.erase(at);
      } else if (at == live_.end() || *at != &t) {
        live_.insert(at, &t);
      }
    }
    t.state.value_ = state;
  }

  // Not exited, in id order. (Not to be walked across a call that may add a thread or
  // end one: iterate a copy of the ids then.)
  const std::vector<T*>& live() const { return live_; }
  // kRunnable or kRunning, ascending.
  const std::vector<ThreadId>& runnable() const { return runnable_; }
  // kBlocked, ascending.
  const std::vector<ThreadId>& blocked() const { return blocked_; }
  // Every thread ever added, exited ones too, in id order.
  std::deque<T>& all() { return threads_; }
  const std::deque<T>& all() const { return threads_; }

 private:
  static void Insert(std::vector<ThreadId>& ids, ThreadId id) {
    auto at = std::lower_bound(ids.begin(), ids.end(), id);
    if (at == ids.end() || *at != id) ids.insert(at, id);
  }
  static void Erase(std::vector<ThreadId>& ids, ThreadId id) {
    auto at = std::lower_bound(ids.begin(), ids.end(), id);
    if (at != ids.end() && *at == id) ids.erase(at);
  }

  std::deque<T> threads_;  // by id; a deque keeps references valid as it grows
  std::vector<T*> live_;
  std::vector<ThreadId> runnable_;
  std::vector<ThreadId> blocked_;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_THREAD_TABLE_H_
