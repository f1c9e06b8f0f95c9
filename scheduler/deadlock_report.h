// DeadlockReport: the lines a deadlocked run prints, one per thread, from what each thread
// waits on and which locks it holds.
//
//   T0 (tid 4123) waits on futex 0x7f..; last syscall futex; holds mutex 0x4040 (acquired
//   at step 12); waits for mutex 0x4080 held by T1
//
// Pure code: the scheduler describes its threads (ThreadWait) and this formats them; the
// holders of a lock a thread waits for are found here, among the threads of its process.
#ifndef RAVEL_SCHEDULER_DEADLOCK_REPORT_H_
#define RAVEL_SCHEDULER_DEADLOCK_REPORT_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strategies/strategy.h"

namespace ravel {

struct ThreadWait {
  enum class On { kNothing, kStopped, kFutex, kSleep, kFds, kChild, kSignal, kVfork };
  struct Lock {
    std::string kind;   // "mutex", "rwlock", ...
    uint64_t object = 0;
    uint64_t step = 0;  // when it was acquired (held locks)
  };

  ThreadId id = kNoThread;
  pid_t tid = 0;
  pid_t pid = 0;
  On on = On::kNothing;
  uint64_t futex = 0;              // kFutex: the word, as the guest named it
  std::vector<std::string> fds;    // kFds: each fd, with what it is if known ("3 (pipe:[123])")
  bool timeout = false;            // kFds: the wait has a deadline
  std::string last_syscall;        // "" when not worth naming
  std::vector<Lock> held;          // in acquisition order
  std::optional<Lock> acquiring;   // the lock it is about to take
};

// One line per thread, each ending in a newline, in the order given.
std::string DeadlockReport(const std::vector<ThreadWait>& threads);

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_DEADLOCK_REPORT_H_
