// Deterministic randomness: the guest's fds on /dev/urandom and /dev/random, and the bytes
// their reads (and getrandom, and AT_RANDOM) get.
//
// The guest's randomness comes from the run's seeded generator (the strategy's data
// stream), so the same seed gives the guest the same bytes. For the reads of the random
// devices the scheduler has to know which fds are on them: RandomDevices keeps them per
// process from the opens the scheduler ran, as the kernel's fd table has them, for the
// events that change that table: a close, a fork (the child has copies of its parent's
// fds), an exec (close-on-exec fds are gone) and a process's end. Reads of other fds run
// as usual.
//
// Owns: per process, its fds on a random device and whether each is close-on-exec.
// Invariants: an fd is listed only between its open and its close (or an exec, when
// close-on-exec, or the process's end); a process with no such fd may still have an empty
// entry, which answers as none.
// Not tracked (as before this was a part): dup, dup2, dup3, fcntl(F_DUPFD) and close_range
// of such an fd; a duplicate reads the kernel's random bytes.
#ifndef RAVEL_SCHEDULER_RANDOM_DEVICES_H_
#define RAVEL_SCHEDULER_RANDOM_DEVICES_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace ravel {

// Bytes of one read or getrandom answered from the generator (the kernel also returns
// short reads of the random devices for huge requests).
inline constexpr uint64_t kMaxRandomRead = 1 << 20;

// Whether an open of `path` opens a random device.
bool IsRandomDevice(absl::string_view path);

// Fills `out` (`len` bytes) from a stream of 64-bit words (`next`, the strategy's NextU64):
// each word gives 8 bytes in memory order, the last one as many as are left. So the same
// stream gives the same bytes, and a read of n bytes draws ceil(n / 8) words.
void FillFromStream(absl::FunctionRef<uint64_t()> next, uint8_t* out, size_t len);

class RandomDevices {
 public:
  // Process `pid` opened `fd` on a random device; `close_on_exec`: with O_CLOEXEC.
  void Opened(pid_t pid, int fd, bool close_on_exec) { fds_[pid][fd] = close_on_exec; }
  void Closed(pid_t pid, int fd);
  // Process `child` was forked from `parent`: its fds are copies of the parent's.
  void Forked(pid_t parent, pid_t child);
  // Process `pid` exec'd: its close-on-exec fds are gone.
  void Execed(pid_t pid);
  // Process `pid` is gone.
  void Gone(pid_t pid) { fds_.erase(pid); }

  bool IsRandomFd(pid_t pid, int fd) const;

 private:
  absl::flat_hash_map<pid_t, std::map<int, bool>> fds_;  // fd -> close-on-exec
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_RANDOM_DEVICES_H_
