// Running a guest command under a Tool from the command line: the shared error handling
// and exit-code contract of every `ravel` subcommand.
//
// Exit codes: the guest's own status (128+signal when it was killed by one); 127/126 when
// the command cannot be found/executed; 2 for usage and environment errors; 130/143/129
// when ravel was interrupted by SIGINT/SIGTERM/SIGHUP (the guest tree is killed first).
#ifndef RAVEL_CLI_RUN_TOOL_H_
#define RAVEL_CLI_RUN_TOOL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "intercept/tool.h"
#include "intercept/tracer.h"

namespace ravel {

inline constexpr int kExitUsage = 2;

// Runs `command` under `tool`, prints ravel's one-line diagnostics (command not found,
// killed by a signal, interrupted) on stderr, and returns ravel's exit code.
int RunUnderTool(Tool& tool, const std::vector<std::string>& command,
                 const TracerOptions& options = {});

// Prints "ravel: <message>" on stderr and returns kExitUsage.
int UsageError(const std::string& message);

// The outcomes every command reports the same way: the command could not be started,
// ravel was interrupted, or exec failed. Prints the one-line message and returns the exit
// code; nullopt when the run went its course and the command reports it.
std::optional<int> ReportUnfinishedRun(const absl::StatusOr<RunResult>& result,
                                       const std::vector<std::string>& command);

}  // namespace ravel

#endif  // RAVEL_CLI_RUN_TOOL_H_
