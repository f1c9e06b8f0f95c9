#include "scheduler/fd_probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace ravel {

bool FdsReady(pid_t pid, const std::vector<pollfd>& fds) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return true;
  std::vector<pollfd> local;
  bool ready = false;
  for (const pollfd& p : fds) {
    const int dup = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, p.fd, 0));
    if (dup < 0) {
      ready = true;  // a bad fd: the call fails or reports POLLNVAL at once
      break;
    }
    local.push_back(pollfd{dup, p.events, 0});
  }
  close(pidfd);
  if (!ready && !local.empty()) {
    // poll with a zero timeout still returns EINTR when a handler runs, and the tracer's
    // SIGALRM ticks every 20 ms: an interrupted probe says nothing, so it is made again
    // (counting it as "ready" made a seed's decisions depend on when the tick came).
    int n;
    do {
      n = poll(local.data(), local.size(), 0);
    } while (n < 0 && errno == EINTR);
    ready = n != 0;
  }
  for (const pollfd& p : local) close(p.fd);
  return ready;
}

std::string FdTarget(pid_t pid, int fd) {
  char path[64], link[256];
  snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
  const ssize_t n = readlink(path, link, sizeof(link) - 1);
  return n > 0 ? std::string(link, static_cast<size_t>(n)) : std::string();
}

bool FdNonBlocking(pid_t pid, int fd) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return false;
  const int dup = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  close(pidfd);
  if (dup < 0) return false;
  // The duplicate shares the guest's open file description, and so its status flags.
  const int flags = fcntl(dup, F_GETFL);
  close(dup);
  return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

std::vector<std::string> FdInfoValues(pid_t pid, int fd, absl::string_view key) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
  std::vector<std::string> values;
  FILE* f = fopen(path, "re");
  if (f == nullptr) return values;
  char line[512];
  while (fgets(line, sizeof(line), f) != nullptr) {
    absl::string_view l(line);
    if (absl::ConsumePrefix(&l, key)) values.emplace_back(absl::StripAsciiWhitespace(l));
  }
  fclose(f);
  return values;
}

bool HeldOutside(const absl::flat_hash_set<pid_t>& guests,
                 const std::function<bool(pid_t pid, int fd, const std::string& target)>& same) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return true;
  const pid_t self = getpid();
  bool held = false;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == self || guests.contains(static_cast<pid_t>(pid))) continue;
    char dir_path[64];
    snprintf(dir_path, sizeof(dir_path), "/proc/%ld/fd", pid);
    DIR* fds = opendir(dir_path);
    if (fds == nullptr) {
      if (errno == ENOENT) continue;  // gone meanwhile
      held = true;                    // not ours to read: cannot tell
      break;
    }
    while (dirent* fd_entry = readdir(fds)) {
      const long fd = strtol(fd_entry->d_name, &end, 10);
      if (fd_entry->d_name[0] == '.' || *end != '\0') continue;
      const std::string target = FdTarget(static_cast<pid_t>(pid), static_cast<int>(fd));
      if (!target.empty() && same(static_cast<pid_t>(pid), static_cast<int>(fd), target)) {
        held = true;
        break;
      }
    }
    closedir(fds);
    if (held) break;
  }
  closedir(proc);
  return held;
}

}  // namespace ravel
