#include "tests/e2e/harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace ravel::testing {
namespace {

void ReadAll(int out_fd, int err_fd, std::string* out, std::string* err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? out : err)->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
}

std::string Describe(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  size_t close_paren = line.rfind(')');
  std::string state = close_paren != std::string::npos && close_paren + 2 < line.size()
                          ? line.substr(close_paren + 2, 1) : "?";
  size_t open_paren = line.find('(');
  std::string comm = open_paren != std::string::npos && close_paren != std::string::npos
                         ? line.substr(open_paren + 1, close_paren - open_paren - 1) : "?";
  return absl::StrCat("pid ", pid, " (", comm, ") state ", state);
}

// Children of this process, from /proc/self/task/*/children.
}  // namespace

std::vector<pid_t> Children() {
  std::vector<pid_t> kids;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return kids;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(absl::StrCat("/proc/self/task/", e->d_name, "/children"));
    pid_t p;
    while (f >> p) kids.push_back(p);
  }
  closedir(dir);
  return kids;
}

namespace {
}  // namespace

RunOutput RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  static bool subreaper = [] { return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }();
  EXPECT_TRUE(subreaper);
  RunOutput result;
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(in_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << strerror(errno);
    return result;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (const std::string& e : options.env) putenv(const_cast<char*>(e.c_str()));
    execv(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!options.stdin_data.empty()) {
    ssize_t unused = write(in_pipe[1], options.stdin_data.data(), options.stdin_data.size());
    (void)unused;
  }
  close(in_pipe[1]);
  if (options.while_running) options.while_running(pid);
  ReadAll(out_pipe[0], err_pipe[0], &result.out, &result.err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // Anything still our child now was started by the run and outlived it. Every run of
  // every test checks this.
  for (pid_t kid : Children()) {
    result.leftovers.push_back(Describe(kid));
    kill(kid, SIGKILL);
  }
  EXPECT_TRUE(result.leftovers.empty()) << "left behind by " << argv[0] << ": " << absl::StrJoin(result.leftovers, "; ");
  while (true) {
    pid_t r = waitpid(-1, &status, __WALL | WNOHANG);
    if (r <= 0) break;
  }
  return result;
}

std::string RavelBinary() { return RAVEL_BIN; }
std::string GuestPath(const std::string& name) { return absl::StrCat(GUEST_DIR, "/", name); }

namespace {

std::string& TempDirOfThisProcess() {
  static std::string dir;
  return dir;
}

// At exit: a passing test process leaves nothing in /tmp; a failing one keeps its files
// (schedules, artifacts) for a look.
void RemoveTempDirIfPassed() {
  const std::string& dir = TempDirOfThisProcess();
  if (dir.empty() || !::testing::UnitTest::GetInstance()->Passed()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace

std::string TempPath(const std::string& name) {
  // One directory per test process: gtest_discover_tests runs each test in its own.
  static const std::string dir = [] {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string tag = info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name()) : "test";
    for (char& c : tag) {
      if (c == '/') c = '_';
    }
    std::string base = absl::StrCat(::testing::TempDir(), "ravel-", tag, "-", getpid());
    mkdir(base.c_str(), 0755);
    TempDirOfThisProcess() = base;
    std::atexit(RemoveTempDirIfPassed);
    return base;
  }();
  return absl::StrCat(dir, "/", name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

int64_t SyncSteps(const std::string& schedule, int thread) { return StepCount(schedule, "sync", thread); }

int64_t StepCount(const std::string& schedule, absl::string_view what, int thread) {
  const std::string suffix = absl::StrCat(":", what);
  int64_t count = 0;
  bool in_steps = false;
  for (absl::string_view line : absl::StrSplit(schedule, '\n')) {
    if (absl::StartsWith(line, "steps ")) {
      in_steps = true;
      continue;
    }
    if (!in_steps) continue;
    if (!absl::StartsWith(line, " ")) break;
    for (absl::string_view token : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      std::vector<absl::string_view> parts = absl::StrSplit(token, '*');
      if (thread < 0 ? !absl::EndsWith(parts[0], suffix) : parts[0] != absl::StrCat(thread, suffix)) continue;
      int64_t n = 1;
      if (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &n)) return -1;
      count += n;
    }
  }
  return count;
}

std::string FindInOrder(const std::string& expected, const std::string& trace) {
  std::vector<std::string> lines = absl::StrSplit(trace, '\n');
  size_t pos = 0;
  for (absl::string_view want : absl::StrSplit(expected, '\n', absl::SkipEmpty())) {
    bool is_regex = absl::StartsWith(want, "re:");
    std::regex re;
    if (is_regex) re = std::regex(std::string(want.substr(3)));
    bool found = false;
    for (; pos < lines.size(); ++pos) {
      if (is_regex ? std::regex_match(lines[pos], re) : lines[pos] == want) {
        found = true;
        ++pos;
        break;
      }
    }
    if (!found) return absl::StrCat("expected line not found (in order): ", want);
  }
  return "";
}

bool WaitForChild(pid_t pid, int max_ms) {
  for (int waited = 0; waited < max_ms; waited += 10) {
    std::ifstream f(absl::StrCat("/proc/", pid, "/task/", pid, "/children"));
    pid_t kid;
    if (f >> kid) return true;
    usleep(10000);
  }
  return false;
}

}  // namespace ravel::testing
