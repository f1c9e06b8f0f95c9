#include "scheduler/fd_waits.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "scheduler/fd_probe.h"

namespace ravel {

bool HostFdWaitProbe::Ready(pid_t pid, const std::vector<pollfd>& fds) { return FdsReady(pid, fds); }

std::string HostFdWaitProbe::Target(pid_t pid, int fd) { return FdTarget(pid, fd); }

std::vector<std::string> HostFdWaitProbe::InfoValues(pid_t pid, int fd, absl::string_view key) {
  return FdInfoValues(pid, fd, key);
}

bool HostFdWaitProbe::HeldOutside(const absl::flat_hash_set<pid_t>& guests,
                                  const std::function<bool(pid_t pid, int fd, const std::string& target)>& same) {
  return ravel::HeldOutside(guests, same);
}

const std::vector<pollfd>& FdWaits::FdsOf(ThreadId thread) const {
  static const std::vector<pollfd> kNone;
  auto it = waiters_.find(thread);
  return it != waiters_.end() ? it->second.fds : kNone;
}

std::vector<ThreadId> FdWaits::Ready(FdWaitProbe& probe) const {
  std::vector<ThreadId> ready;
  for (const auto& [thread, waiter] : waiters_) {
    if (probe.Ready(waiter.pid, waiter.fds)) ready.push_back(thread);
  }
  return ready;
}

bool FdWaits::FedFromOutside(FdWaitProbe& probe, const absl::flat_hash_set<pid_t>& guests) const {
  for (const auto& [thread, waiter] : waiters_) {
    if (waiter.fds.empty()) return true;
    for (const pollfd& p : waiter.fds) {
      if (!OnlyGuestFeeds(probe, guests, waiter.pid, p.fd)) return true;
    }
  }
  return false;
}

bool FdWaits::OnlyGuestFeeds(FdWaitProbe& probe, const absl::flat_hash_set<pid_t>& guests, pid_t pid, int fd,
                             int depth) {
  const std::string link = probe.Target(pid, fd);
  if (absl::StartsWith(link, "pipe:[")) {
    // Its other end is the guest's unless a process outside holds the pipe.
    return !probe.HeldOutside(guests, [&](pid_t, int, const std::string& other) { return other == link; });
  }
  if (link == "anon_inode:[eventfd]") {
    // Only a holder writes to it; eventfds are told apart by their id (Linux 6.4 and
    // later). Without one, nothing is proven.
    const std::vector<std::string> id = probe.InfoValues(pid, fd, "eventfd-id:");
    if (id.size() != 1) return false;
    return !probe.HeldOutside(guests, [&](pid_t other_pid, int other_fd, const std::string& other) {
      return other == link && probe.InfoValues(other_pid, other_fd, "eventfd-id:") == id;
    });
  }
  if (link == "anon_inode:[eventpoll]" && depth == 0) {
    // Ready when one of the fds it watches is.
    const std::vector<std::string> targets = probe.InfoValues(pid, fd, "tfd:");
    if (targets.empty()) return false;
    for (const std::string& target : targets) {
      int target_fd = -1;
      if (!absl::SimpleAtoi(absl::string_view(target).substr(0, target.find(' ')), &target_fd) ||
          !OnlyGuestFeeds(probe, guests, pid, target_fd, depth + 1)) {
        return false;
      }
    }
    return true;
  }
  // A socket, a tty, a file, a timerfd (real time), a signalfd (signals from anyone),
  // inotify, ...: the outside world may make it ready.
  return false;
}

}  // namespace ravel
