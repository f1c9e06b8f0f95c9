// Starting the guest: resolve the command like a shell would, fork, let the tracer
// PTRACE_SEIZE the child, then in the child set the process up (personality, no-new-privs,
// the seccomp filter) and exec.
#ifndef RAVEL_INTERCEPT_SPAWN_H_
#define RAVEL_INTERCEPT_SPAWN_H_

#include <linux/filter.h>
#include <sched.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ravel {

// The executable `name` names: a path when it contains '/', else the first match on $PATH.
// NotFoundError "NAME: command not found" / "NAME: No such file or directory";
// PermissionDeniedError "NAME: Permission denied" (exists, not executable, or a directory).
absl::StatusOr<std::string> ResolveCommand(const std::string& name);

// Exit code a shell gives for a ResolveCommand error: 127 not found, 126 not executable.
int ExitCodeForSpawnError(const absl::Status& status);

struct SpawnRequest {
  std::string path;                  // resolved executable
  std::vector<std::string> argv;     // argv[0] as the user wrote it
  std::vector<sock_filter> filter;   // seccomp program
  bool disable_aslr = false;
  unsigned long ptrace_options = 0;  // PTRACE_O_* for PTRACE_SEIZE
  // The guest's stdin, stdout and stderr: these fds of the caller, or -1 to inherit.
  int stdio[3] = {-1, -1, -1};
  // The CPUs the guest may run on (sched_setaffinity before exec); unset: the caller's.
  std::optional<cpu_set_t> cpus;
};

struct Spawned {
  pid_t pid;
  int exec_error_fd;  // read end: receives the child's errno if exec fails (EOF on success)
};

// Forks and seizes the child; the child runs until its execve, which the tracer sees as
// a seccomp stop or PTRACE_EVENT_EXEC.
absl::StatusOr<Spawned> SpawnTraced(const SpawnRequest& request);

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_SPAWN_H_
