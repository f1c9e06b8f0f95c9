// FdWaits: which threads wait for which fds of their process, and which of them wake.
//
// A read, write, send, receive, poll, select, epoll_wait or message queue call that would
// block waits in the scheduler, not in the kernel (blocking.cc): its thread is blocked on
// a set of fds (guest fd numbers with poll events) until one is ready, its deadline passes
// or a signal comes. This part keeps those sets and answers the scheduler's questions
// about them, through an FdWaitProbe (the host's /proc and poll, or a test's fake):
//  - Ready: the waiters a probe finds ready now, in id order, which is the order they are
//    woken in (part of the fingerprint);
//  - First: the lowest-id waiter, the one let into the kernel when only input from
//    outside can make progress;
//  - FedFromOutside: whether any waiter's fd might be made ready by the outside world.
//    When none can (a pipe or eventfd that no process outside the guest holds, an epoll
//    set of such fds), waiting for them is waiting for another guest thread.
//
// Owns: per waiting thread, its process and the fds it waits on. The scheduler owns the
// threads, their states and their wakes.
// Invariants: a thread is a waiter exactly while the scheduler has it blocked on fds
// (Block::kFd): Wait when it blocks, Remove when it wakes or exits. Waiters are kept in id
// order, so every answer is in id order whatever order they came in.
#ifndef RAVEL_SCHEDULER_FD_WAITS_H_
#define RAVEL_SCHEDULER_FD_WAITS_H_

#include <poll.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "strategies/strategy.h"

namespace ravel {

// What FdWaits reads of the host about guest fds: the functions of scheduler/fd_probe.h.
class FdWaitProbe {
 public:
  virtual ~FdWaitProbe() = default;
  // Whether one of `fds` of process `pid` is ready now (a bad fd or a gone process counts).
  virtual bool Ready(pid_t pid, const std::vector<pollfd>& fds) = 0;
  // What fd `fd` of `pid` is ("pipe:[123]", "anon_inode:[eventfd]", ...), "" when gone.
  virtual std::string Target(pid_t pid, int fd) = 0;
  // The values of fd `fd`'s fdinfo lines that start with `key`.
  virtual std::vector<std::string> InfoValues(pid_t pid, int fd, absl::string_view key) = 0;
  // Whether a process other than ravel and `guests` holds an fd for which `same` holds.
  virtual bool HeldOutside(const absl::flat_hash_set<pid_t>& guests,
                           const std::function<bool(pid_t pid, int fd, const std::string& target)>& same) = 0;
};

// The real one.
class HostFdWaitProbe : public FdWaitProbe {
 public:
  bool Ready(pid_t pid, const std::vector<pollfd>& fds) override;
  std::string Target(pid_t pid, int fd) override;
  std::vector<std::string> InfoValues(pid_t pid, int fd, absl::string_view key) override;
  bool HeldOutside(const absl::flat_hash_set<pid_t>& guests,
                   const std::function<bool(pid_t pid, int fd, const std::string& target)>& same) override;
};

class FdWaits {
 public:
  // `thread` of process `pid` waits until one of `fds` is ready.
  void Wait(ThreadId thread, pid_t pid, std::vector<pollfd> fds) { waiters_[thread] = Waiter{pid, std::move(fds)}; }
  // `thread` waits no more. (Idempotent.)
  void Remove(ThreadId thread) { waiters_.erase(thread); }
  // The fds `thread` waits on; none if it does not wait.
  const std::vector<pollfd>& FdsOf(ThreadId thread) const;
  // The lowest-id waiter; kNoThread when none waits.
  ThreadId First() const { return waiters_.empty() ? kNoThread : waiters_.begin()->first; }

  // The waiters that `probe` finds ready, ascending (one probe of each waiter).
  std::vector<ThreadId> Ready(FdWaitProbe& probe) const;
  // Whether the outside world might make some waiter ready: one waits on no fd at all, or
  // on an fd that processes other than `guests` (the live guest processes) may feed.
  bool FedFromOutside(FdWaitProbe& probe, const absl::flat_hash_set<pid_t>& guests) const;
  // Whether only the guest (`guests`) can make fd `fd` of process `pid` ready: a pipe or
  // an eventfd (told apart by its fdinfo eventfd-id, Linux 6.4 on) that no process outside
  // holds, or an epoll set of such fds (one level deep).
  static bool OnlyGuestFeeds(FdWaitProbe& probe, const absl::flat_hash_set<pid_t>& guests, pid_t pid, int fd,
                             int depth = 0);

 private:
  struct Waiter {
    pid_t pid = 0;
    std::vector<pollfd> fds;
  };
  std::map<ThreadId, Waiter> waiters_;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_FD_WAITS_H_
