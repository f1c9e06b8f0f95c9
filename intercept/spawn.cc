#include "intercept/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "intercept/owned_kill.h"
#include "intercept/ptrace.h"
#include "intercept/seccomp_filter.h"
#include "intercept/status.h"

namespace ravel {
namespace {

enum class Access { kMissing, kNotExecutable, kOk };

Access Check(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Access::kMissing;
  if (S_ISDIR(st.st_mode) || access(path.c_str(), X_OK) != 0) return Access::kNotExecutable;
  return Access::kOk;
}

}  // namespace

absl::StatusOr<std::string> ResolveCommand(const std::string& name) {
  if (name.empty()) return absl::NotFoundError("empty command name");
  if (name.find('/') != std::string::npos) {
    switch (Check(name)) {
      case Access::kOk: return name;
      case Access::kMissing: return absl::NotFoundError(absl::StrCat(name, ": No such file or directory"));
      case Access::kNotExecutable: return absl::PermissionDeniedError(absl::StrCat(name, ": Permission denied"));
    }
  }
  const char* env_path = getenv("PATH");
  std::string path_list = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  bool found_not_executable = false;
  for (absl::string_view dir : absl::StrSplit(path_list, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    switch (Check(candidate)) {
      case Access::kOk: return candidate;
      case Access::kNotExecutable: found_not_executable = true; break;
      case Access::kMissing: break;
    }
  }
  if (found_not_executable) return absl::PermissionDeniedError(absl::StrCat(name, ": Permission denied"));
  return absl::NotFoundError(absl::StrCat(name, ": command not found"));
}

int ExitCodeForSpawnError(const absl::Status& status) {
  return absl::IsPermissionDenied(status) ? 126 : 127;
}

absl::StatusOr<Spawned> SpawnTraced(const SpawnRequest& request) {
  // Everything the child needs is prepared before fork: it may only make raw syscalls.
  std::vector<char*> argv;
  for (const std::string& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int go[2], err[2];
  if (pipe2(go, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", 0, errno);
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(go[0]); close(go[1]);
    return ErrnoStatus("pipe2", 0, errno);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(go[0]); close(go[1]); close(err[0]); close(err[1]);
    return ErrnoStatus("fork", 0, e);
  }
  if (pid == 0) {
    close(go[1]);
    close(err[0]);
    // Signals ravel handles for itself go back to their defaults for the guest.
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Wait until the tracer has seized us, so that exec is traced.
    char byte;
    while (read(go[0], &byte, 1) < 0 && errno == EINTR) {}
    close(go[0]);
    int e = 0;
    for (int fd = 0; fd < 3 && e == 0; ++fd) {
      if (request.stdio[fd] >= 0 && request.stdio[fd] != fd && dup2(request.stdio[fd], fd) < 0) e = errno;
    }
    // A guest that cannot be bound runs where ravel may: slower, the same run.
    if (e == 0 && request.cpus.has_value()) sched_setaffinity(0, sizeof(*request.cpus), &*request.cpus);
    if (e == 0 && request.disable_aslr && personality(ADDR_NO_RANDOMIZE) == -1) e = errno;
    if (e == 0 && InstallSeccompFilter(request.filter) != 0) e = errno;
    if (e == 0) {
      execv(request.path.c_str(), argv.data());
      e = errno;
    }
    ssize_t unused = write(err[1], &e, sizeof(e));
    (void)unused;
    _exit(e == ENOENT ? 127 : 126);
  }
  close(go[0]);
  close(err[1]);
  if (absl::Status seized = ptrace::Seize(pid, request.ptrace_options); !seized.ok()) {
    SignalOwned(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(go[1]);
    close(err[0]);
    return seized;
  }
  char byte = 1;
  ssize_t unused = write(go[1], &byte, 1);
  (void)unused;
  close(go[1]);
  return Spawned{pid, err[0]};
}

}  // namespace ravel
