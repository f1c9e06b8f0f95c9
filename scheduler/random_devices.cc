#include "scheduler/random_devices.h"

#include <algorithm>
#include <cstring>

#include "scheduler/per_process.h"

namespace ravel {

bool IsRandomDevice(absl::string_view path) { return path == "/dev/urandom" || path == "/dev/random"; }

void FillFromStream(absl::FunctionRef<uint64_t()> next, uint8_t* out, size_t len) {
  for (size_t i = 0; i < len; i += 8) {
    const uint64_t word = next();
    memcpy(out + i, &word, std::min<size_t>(8, len - i));
  }
}

void RandomDevices::Closed(pid_t pid, int fd) {
  if (auto it = fds_.find(pid); it != fds_.end()) it->second.erase(fd);
}

void RandomDevices::Forked(pid_t parent, pid_t child) { CopyToForkedChild(fds_, parent, child); }

void RandomDevices::Execed(pid_t pid) {
  if (auto it = fds_.find(pid); it != fds_.end()) {
    std::erase_if(it->second, [](const auto& entry) { return entry.second; });
  }
}

bool RandomDevices::IsRandomFd(pid_t pid, int fd) const {
  auto it = fds_.find(pid);
  return it != fds_.end() && it->second.contains(fd);
}

}  // namespace ravel
