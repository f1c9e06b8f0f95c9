#include "base/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

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

namespace {

// The whole of a /proc file (they report a size of 0), or nullopt when it cannot be opened.
std::optional<std::string> ReadWhole(const char* path) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// The text of /proc/PID/task/TID/status; nullopt when the thread is gone.
std::optional<std::string> ReadThreadStatus(pid_t pid, pid_t tid) {
  char path[96];
  snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
  return ReadWhole(path);
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (const dirent* e = readdir(proc)) {
    char* end = nullptr;
    const long pid = strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::optional<ProcStat> stat = ReadProcStat(static_cast<pid_t>(pid));
    if (stat.has_value() && stat->ppid == parent) children.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return children;
}

std::optional<ProcSignals> ParseProcSignals(std::string_view text) {
  ProcSignals out;
  const std::pair<const char*, uint64_t*> fields[] = {{"SigPnd:", &out.pending},
                                                      {"ShdPnd:", &out.shared_pending},
                                                      {"SigBlk:", &out.blocked},
                                                      {"SigIgn:", &out.ignored},
                                                      {"SigCgt:", &out.caught}};
  int seen = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    for (const auto& [name, value] : fields) {
      if (line.substr(0, strlen(name)) != name) continue;
      const std::string rest(line.substr(strlen(name)));
      if (sscanf(rest.c_str(), " %" SCNx64, value) == 1) ++seen;
    }
  }
  if (seen != 5) return std::nullopt;
  return out;
}

std::optional<ProcSignals> ReadProcSignals(pid_t pid, pid_t tid) {
  std::optional<std::string> text = ReadThreadStatus(pid, tid);
  if (!text.has_value()) return std::nullopt;
  return ParseProcSignals(*text);
}

std::optional<pid_t> ParseInnermostTid(std::string_view status) {
  constexpr std::string_view kField = "NSpid:";
  while (!status.empty()) {
    const size_t end = status.find('\n');
    std::string_view line = status.substr(0, end);
    status.remove_prefix(end == std::string_view::npos ? status.size() : end + 1);
    if (line.substr(0, kField.size()) != kField) continue;
    line.remove_prefix(kField.size());
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    const size_t last = line.find_last_of(" \t");
    const std::string field(last == std::string_view::npos ? line : line.substr(last + 1));
    char* rest = nullptr;
    const long tid = strtol(field.c_str(), &rest, 10);
    if (field.empty() || *rest != '\0' || tid <= 0) return std::nullopt;
    return static_cast<pid_t>(tid);
  }
  return std::nullopt;
}

std::optional<pid_t> ReadInnermostTid(pid_t pid, pid_t tid) {
  std::optional<std::string> text = ReadThreadStatus(pid, tid);
  if (!text.has_value()) return std::nullopt;
  return ParseInnermostTid(*text);
}

absl::StatusOr<std::string> ReadProcAuxv(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/auxv");
  errno = 0;
  std::optional<std::string> bytes = ReadWhole(path.c_str());
  if (!bytes.has_value()) return absl::UnavailableError(absl::StrCat("open ", path, ": ", strerror(errno)));
  return *bytes;
}

std::optional<uint64_t> AuxvValue(std::string_view auxv, uint64_t type) {
  for (size_t at = 0; at + 2 * sizeof(uint64_t) <= auxv.size(); at += 2 * sizeof(uint64_t)) {
    uint64_t pair[2];
    memcpy(pair, auxv.data() + at, sizeof(pair));
    if (pair[0] == 0) break;  // AT_NULL
    if (pair[0] == type) return pair[1];
  }
  return std::nullopt;
}

double MonotonicSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace ravel
