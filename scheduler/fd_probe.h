// Probes of a guest's fds from the tracer, without touching them: duplicates taken with
// pidfd_getfd, polled with timeout 0 (nothing is read or consumed).
#ifndef RAVEL_SCHEDULER_FD_PROBE_H_
#define RAVEL_SCHEDULER_FD_PROBE_H_

#include <poll.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace ravel {

// Whether one of `fds` (the guest's fd numbers and events, as poll takes them) of process
// `pid` is ready now. A bad fd counts as ready (the call fails or reports POLLNVAL at
// once), as does a process that is gone. A signal to the tracer during the probe (its own
// timer ticks) does not: the probe is made again.
bool FdsReady(pid_t pid, const std::vector<pollfd>& fds);

// Whether fd `fd` of process `pid` has O_NONBLOCK set (its calls never wait).
bool FdNonBlocking(pid_t pid, int fd);

// What fd `fd` of process `pid` is, as /proc/PID/fd/FD links it ("pipe:[123]",
// "anon_inode:[eventfd]", "socket:[456]", a path), or "" when it is gone.
std::string FdTarget(pid_t pid, int fd);

// The lines of /proc/PID/fdinfo/FD that start with `key` ("eventfd-id:", "tfd:"), the key
// and surrounding blanks stripped.
std::vector<std::string> FdInfoValues(pid_t pid, int fd, absl::string_view key);

// Whether a process other than ravel and those in `guests` has an fd for which
// `same(pid, fd, target)` holds (target as FdTarget gives it). True as well when some
// process's fds cannot be read: then nothing is proven.
bool HeldOutside(const absl::flat_hash_set<pid_t>& guests,
                 const std::function<bool(pid_t pid, int fd, const std::string& target)>& same);

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_FD_PROBE_H_
