#include "engine/run_text.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "intercept/syscall_table.h"
#include "replay/schedule.h"

namespace ravel {

std::string WhatName(int64_t what) {
  if (what >= 0) return std::string(Syscall(what).name());
  absl::string_view name = StepWhatName(static_cast<int32_t>(what));
  return name.empty() ? absl::StrCat("event", what) : std::string(name);
}

std::string FdKind(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return "closed";
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISFIFO(st.st_mode)) return "pipe";
  if (S_ISSOCK(st.st_mode)) return "socket";
  if (S_ISDIR(st.st_mode)) return "dir";
  if (S_ISCHR(st.st_mode)) return isatty(fd) ? "tty" : "chr";
  return "other";
}

std::string ShellQuote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789@%+=:,./_-") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string ReplayCommandLine(const std::string& schedule_path) {
  return absl::StrCat("ravel replay ", ShellQuote(schedule_path));
}

std::string ProgramName(const std::vector<std::string>& command) {
  std::string name = command.empty() ? "program" : command[0];
  if (size_t slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  for (const std::string& arg : command) {
    if (absl::StartsWith(arg, "--gtest_filter=")) absl::StrAppend(&name, "-", arg.substr(15));
  }
  // Only characters that are safe in a file name.
  for (char& c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  }
  return name.empty() ? "program" : name;
}

std::string SummaryLine(const ScheduleResult& result, uint64_t seed, const std::string& strategy) {
  std::string line = absl::StrFormat("ravel: %s steps=%d threads=%d fingerprint=%016x seed=%d strategy=%s",
                                     result.outcome, result.steps, result.threads, result.fingerprint, seed, strategy);
  // RDTSC: how many reads were points, or that this machine lets the guest read the host's
  // counter (PR_SET_TSC has no effect here), so a run may depend on it.
  if (!result.virtual_tsc) {
    absl::StrAppend(&line, " rdtsc=host");
  } else if (result.rdtsc_points > 0) {
    absl::StrAppend(&line, " rdtsc=", result.rdtsc_points);
  }
  return line;
}

}  // namespace ravel
