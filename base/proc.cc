#include "base/proc.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace ravel {

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  const size_t close_paren = text.rfind(')');
  if (close_paren == std::string_view::npos || text.find('(') == std::string_view::npos) return std::nullopt;
  const std::string rest(text.substr(close_paren + 1));
  ProcStat stat;
  int ppid = 0, pgrp = 0;
  if (sscanf(rest.c_str(), " %c %d %d", &stat.state, &ppid, &pgrp) != 3) return std::nullopt;
  stat.ppid = static_cast<pid_t>(ppid);
  stat.pgrp = static_cast<pid_t>(pgrp);
  return stat;
}

std::optional<ProcStat> ReadProcStat(pid_t pid, pid_t tid) {
  char path[96];
  if (tid > 0) {
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
  } else {
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  }
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // The fields ravel reads come right after the command name (at most 64 bytes with its
  // parentheses), well within the first 512 bytes.
  char buf[512];
  const ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  if (n <= 0) return std::nullopt;
  return ParseProcStat(std::string_view(buf, static_cast<size_t>(n)));
}

double MonotonicSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace ravel
