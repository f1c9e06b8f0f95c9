// Deterministic randomness: getrandom, and reads of /dev/urandom and /dev/random, come
// from the run's seeded generator (the strategy's data stream), so the same seed gives the
// guest the same bytes. Opens of the two devices are tracked per process (fds inherited by
// fork, close-on-exec ones dropped at exec); reads of other files run as usual.
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>

#include "scheduler/scheduler.h"

namespace ravel {
namespace {

// Bytes of one read answered from the generator (the kernel also returns short reads of
// the random devices for huge requests).
constexpr uint64_t kMaxRandomRead = 1 << 20;

bool IsRandomDevice(const std::string& path) { return path == "/dev/urandom" || path == "/dev/random"; }

}  // namespace

void Scheduler::FillRandom(uint8_t* out, size_t len) {
  for (size_t i = 0; i < len; i += 8) {
    uint64_t r = strategy_.NextU64();
    memcpy(out + i, &r, std::min<size_t>(8, len - i));
  }
}

SyscallResult Scheduler::Getrandom(Guest& guest, const Syscall& call) {
  size_t len = static_cast<size_t>(std::min<uint64_t>(call.args[1], kMaxRandomRead));
  std::vector<uint8_t> bytes(len);
  FillRandom(bytes.data(), len);
  if (len > 0 && !guest.memory().WriteArray(RemotePtr<uint8_t>(call.args[0]), bytes.data(), len).ok()) return -EFAULT;
  return static_cast<int64_t>(len);
}

bool Scheduler::IsRandomFd(pid_t pid, int fd) const {
  auto it = random_fds_.find(pid);
  return it != random_fds_.end() && it->second.contains(fd);
}

SyscallResult Scheduler::Open(Guest& guest, Thread& t, const Syscall& call) {
  const uint64_t path_addr = call.nr == SYS_open ? call.args[0] : call.args[1];
  const uint64_t flags = call.nr == SYS_open ? call.args[1] : call.args[2];
  absl::StatusOr<std::string> path = guest.memory().ReadCString(RemotePtr<char>(path_addr), 64);
  if (!path.ok() || !IsRandomDevice(*path)) return guest.TailInject(call);
  // Reads of the fd must stop from now on, also before the guest's first clone.
  if (absl::Status s = guest.StopAllSubscribed(); !s.ok()) return 0;
  absl::StatusOr<int64_t> fd = guest.Inject(call);
  if (!fd.ok()) return 0;
  if (*fd >= 0) random_fds_[t.pid][static_cast<int>(*fd)] = (flags & O_CLOEXEC) != 0;
  return *fd;
}

SyscallResult Scheduler::ReadRandom(Guest& guest, const Syscall& call, uint64_t buf, uint64_t len) {
  len = std::min(len, kMaxRandomRead);
  std::vector<uint8_t> bytes(len);
  FillRandom(bytes.data(), len);
  if (len > 0 && !guest.memory().WriteArray(RemotePtr<uint8_t>(buf), bytes.data(), len).ok()) return -EFAULT;
  Mix(len);
  return static_cast<int64_t>(len);
}

}  // namespace ravel
