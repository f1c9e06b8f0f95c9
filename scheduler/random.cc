// Deterministic randomness: getrandom, and reads of /dev/urandom and /dev/random, come
// from the run's seeded generator (the strategy's data stream); which fds are on the
// devices, and how a stream of words becomes bytes, is scheduler/random_devices.h.
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>

#include <algorithm>

#include "scheduler/scheduler.h"

namespace ravel {

void Scheduler::FillRandom(uint8_t* out, size_t len) {
  FillFromStream([this] { return strategy_.NextU64(); }, out, len);
}

SyscallResult Scheduler::Getrandom(Guest& guest, const Syscall& call) {
  size_t len = static_cast<size_t>(std::min<uint64_t>(call.args[1], kMaxRandomRead));
  std::vector<uint8_t> bytes(len);
  FillRandom(bytes.data(), len);
  if (len > 0 && !guest.memory().WriteArray(RemotePtr<uint8_t>(call.args[0]), bytes.data(), len).ok()) return -EFAULT;
  return static_cast<int64_t>(len);
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
  if (*fd >= 0) random_devices_.Opened(t.pid, static_cast<int>(*fd), (flags & O_CLOEXEC) != 0);
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
