#include "stress/gtest_list.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/proc.h"
#include "intercept/owned_kill.h"

namespace ravel {
namespace {

// Ends whatever the listing left running: its descendants come back to this process (a
// child subreaper) as their parents end, and each is killed and reaped, until none is
// left. Every child of this process is the listing's: stress lists before it starts
// anything else.
void EndLeftovers() {
  for (std::vector<pid_t> left = ChildrenOf(getpid()); !left.empty(); left = ChildrenOf(getpid())) {
    for (pid_t pid : left) SignalOwned(pid, SIGKILL);
    for (pid_t pid : left) {
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {}
    }
  }
}

}  // namespace

std::vector<std::string> ParseGtestList(const std::string& text) {
  std::vector<std::string> tests;
  std::string suite;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(line);
    if (trimmed.empty()) continue;
    if (trimmed[0] != ' ') {
      suite = std::string(trimmed);  // "Suite." with its dot
      continue;
    }
    std::string name = std::string(absl::StripLeadingAsciiWhitespace(trimmed));
    if (absl::StartsWith(suite, "DISABLED_") || absl::StartsWith(name, "DISABLED_")) continue;
    tests.push_back(suite + name);
  }
  return tests;
}

absl::StatusOr<std::vector<std::string>> ListGtestTests(const std::vector<std::string>& command,
                                                        absl::Duration limit) {
  // What the listing starts and leaves behind comes back here when its parent ends.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("fork");
  }
  if (pid == 0) {
    dup2(out[1], 1);
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    std::vector<std::string> args = command;
    args.push_back("--gtest_list_tests");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  const absl::Time deadline = absl::Now() + limit;
  auto left_ms = [&] { return static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()))); };
  std::string text;
  char buf[4096];
  bool timed_out = false;
  while (true) {
    pollfd p{out[0], POLLIN, 0};
    const int ready = poll(&p, 1, left_ms());
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      timed_out = true;
      break;
    }
    const ssize_t n = read(out[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  // (Its output may end before it does: it still has until the deadline.)
  while (!timed_out) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (left_ms() == 0) {
      timed_out = true;
      break;
    }
    usleep(1000);
  }
  if (timed_out) {
    SignalOwned(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  }
  EndLeftovers();
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(command[0], " --gtest_list_tests did not finish within ",
                                                    absl::FormatDuration(limit),
                                                    ": --per-test needs a GoogleTest binary"));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(command[0], " --gtest_list_tests failed (status ", status,
                                                   "): --per-test needs a GoogleTest binary"));
  }
  std::vector<std::string> tests = ParseGtestList(text);
  if (tests.empty()) return absl::InvalidArgumentError(absl::StrCat(command[0], " lists no tests"));
  return tests;
}

}  // namespace ravel
