#include "intercept/owned_kill.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace ravel {
namespace {

// The decimal number after "Name:" at the start of a line of `text`, or -1.
long FieldOf(const char* text, const char* name) {
  const size_t name_len = strlen(name);
  for (const char* line = text; line != nullptr && *line != '\0';) {
    if (strncmp(line, name, name_len) == 0) {
      const char* p = line + name_len;
      while (*p == ' ' || *p == '\t') ++p;
      long value = 0;
      bool digits = false;
      while (*p >= '0' && *p <= '9') {
        value = value * 10 + (*p - '0');
        digits = true;
        ++p;
      }
      return digits ? value : -1;
    }
    line = strchr(line, '\n');
    if (line != nullptr) ++line;
  }
  return -1;
}

// Writes "/proc/<pid>/status" into `out` (no snprintf: it is not async-signal-safe).
void StatusPath(pid_t pid, char* out) {
  char digits[16];
  int n = 0;
  for (long v = pid; v > 0 && n < 15; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
  char* p = out;
  for (const char* s = "/proc/"; *s != '\0'; ++s) *p++ = *s;
  while (n > 0) *p++ = digits[--n];
  for (const char* s = "/status"; *s != '\0'; ++s) *p++ = *s;
  *p = '\0';
}

enum class Ownership { kOwned, kGone, kNotOwned };

Ownership Owner(pid_t pid) {
  if (pid <= 0) return Ownership::kNotOwned;
  char path[48];
  StatusPath(pid, path);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ESRCH ? Ownership::kGone : Ownership::kNotOwned;
  // The fields needed (Tgid, PPid, TracerPid) are within the first kilobyte.
  char buf[2048];
  size_t have = 0;
  while (have < sizeof(buf) - 1) {
    ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  close(fd);
  buf[have] = '\0';
  if (have == 0) return Ownership::kGone;
  const long self = getpid();
  // (A thread's tid names its /proc entry too: a thread of a tracee is a tracee.)
  if (FieldOf(buf, "PPid:") == self || FieldOf(buf, "TracerPid:") == self) return Ownership::kOwned;
  return Ownership::kNotOwned;
}

SignalResult Sent(long r) {
  if (r == 0) return SignalResult::kSent;
  return errno == ESRCH ? SignalResult::kGone : SignalResult::kRefused;
}

}  // namespace

bool OwnsProcess(pid_t pid) { return Owner(pid) == Ownership::kOwned; }

SignalResult SignalOwned(pid_t pid, int sig) {
  const int saved = errno;  // (a signal handler must leave errno as it found it)
  SignalResult r = SignalResult::kRefused;
  switch (Owner(pid)) {
    case Ownership::kGone: r = SignalResult::kGone; break;
    case Ownership::kNotOwned: r = SignalResult::kRefused; break;
    case Ownership::kOwned: r = Sent(kill(pid, sig)); break;
  }
  errno = saved;
  return r;
}

SignalResult SignalOwnedThread(pid_t pid, pid_t tid, int sig) {
  if (tid <= 0) return SignalResult::kRefused;
  const int saved = errno;
  SignalResult r = SignalResult::kRefused;
  switch (Owner(pid)) {
    case Ownership::kGone: r = SignalResult::kGone; break;
    case Ownership::kNotOwned: r = SignalResult::kRefused; break;
    case Ownership::kOwned: r = Sent(syscall(SYS_tgkill, pid, tid, sig)); break;
  }
  errno = saved;
  return r;
}

SignalResult QueueSignalOwned(pid_t pid, pid_t tid, const siginfo_t& info) {
  if (tid < 0 || info.si_code >= 0) return SignalResult::kRefused;
  const int saved = errno;
  SignalResult r = SignalResult::kRefused;
  siginfo_t copy = info;  // (the kernel reads it; the calls take a non-const pointer)
  switch (Owner(pid)) {
    case Ownership::kGone: r = SignalResult::kGone; break;
    case Ownership::kNotOwned: r = SignalResult::kRefused; break;
    case Ownership::kOwned:
      r = Sent(tid > 0 ? syscall(SYS_rt_tgsigqueueinfo, pid, tid, info.si_signo, &copy)
                       : syscall(SYS_rt_sigqueueinfo, pid, info.si_signo, &copy));
      break;
  }
  errno = saved;
  return r;
}

}  // namespace ravel
