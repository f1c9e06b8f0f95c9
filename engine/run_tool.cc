#include "engine/run_tool.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/atomic_file.h"
#include "intercept/spawn.h"
#include "intercept/syscall_table.h"

namespace ravel {

int UsageError(const std::string& message) {
  fprintf(stderr, "ravel: %s\n", message.c_str());
  return kExitUsage;
}

int OutputError(int code, const absl::Status& error) {
  fprintf(stderr, "ravel: %s\n", std::string(error.message()).c_str());
  return code == 0 ? kExitOutput : code;
}

absl::Status CheckOutputPath(const std::string& path) {
  // The writer is made (a temporary file beside `path`) and abandoned.
  absl::StatusOr<AtomicFileWriter> probe = AtomicFileWriter::Create(path);
  return probe.status();
}

std::optional<int> ReportUnfinishedRun(const absl::StatusOr<RunResult>& result,
                                       const std::vector<std::string>& command) {
  if (!result.ok()) {
    const absl::Status& s = result.status();
    if (absl::IsNotFound(s) || absl::IsPermissionDenied(s)) {
      fprintf(stderr, "ravel: %s\n", std::string(s.message()).c_str());
      return ExitCodeForSpawnError(s);
    }
    fprintf(stderr, "ravel: cannot trace %s: %s\n", command[0].c_str(), std::string(s.message()).c_str());
    return kExitUsage;
  }
  if (result->interrupted_by != 0) {
    fprintf(stderr, "ravel: interrupted by %s; the guest was killed\n",
            std::string(SignalName(result->interrupted_by)).c_str());
    return result->ExitCode();
  }
  if (result->exec_errno != 0) {
    fprintf(stderr, "ravel: cannot execute %s: %s\n", command[0].c_str(), strerror(result->exec_errno));
    return result->exec_errno == ENOENT ? 127 : 126;
  }
  return std::nullopt;
}

int RunUnderTool(Tool& tool, const std::vector<std::string>& command, const TracerOptions& options) {
  if (command.empty()) return UsageError("no command given (put it after --, e.g. ravel strace -- ls)");
  Tracer tracer(tool, options);
  absl::StatusOr<RunResult> result = tracer.Run(command);
  if (std::optional<int> code = ReportUnfinishedRun(result, command)) return *code;
  int status = result->main_status;
  if (WIFSIGNALED(status)) {
    fprintf(stderr, "ravel: %s killed by %s%s\n", command[0].c_str(),
            std::string(SignalName(WTERMSIG(status))).c_str(), WCOREDUMP(status) ? " (core dumped)" : "");
  }
  return result->ExitCode();
}

}  // namespace ravel
