// Running a guest command under a Tool from the command line: the shared error handling
// and exit-code contract of every `ravel` subcommand.
//
// Exit codes: the guest's own status (128+signal when it was killed by one); 127/126 when
// the command cannot be found/executed; 2 for usage and environment errors; 130/143/129
// when ravel was interrupted by SIGINT/SIGTERM/SIGHUP (the guest tree is killed first);
// 6 when the run went its course but an output ravel writes (-o, --record, --json,
// --junit, --trace, stress artifacts) could not be written. A run that failed keeps its
// own status then (the failure matters more); the error line is printed either way.
#ifndef RAVEL_ENGINE_RUN_TOOL_H_
#define RAVEL_ENGINE_RUN_TOOL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "intercept/tool.h"
#include "intercept/tracer.h"

namespace ravel {

inline constexpr int kExitUsage = 2;
// An output could not be written (a full disk, an I/O error, a vanished directory).
inline constexpr int kExitOutput = 6;

// Runs `command` under `tool`, prints ravel's one-line diagnostics (command not found,
// killed by a signal, interrupted) on stderr, and returns ravel's exit code.
int RunUnderTool(Tool& tool, const std::vector<std::string>& command,
                 const TracerOptions& options = {});

// Prints "ravel: <message>" on stderr and returns kExitUsage.
int UsageError(const std::string& message);

// After the run: prints "ravel: <error>" (one line: "cannot write PATH: reason") and
// returns the exit code. `code` is what the command would have returned: 0 becomes
// kExitOutput, a failure's status is kept.
int OutputError(int code, const absl::Status& error);

// Before a run: whether `path` can be written at all (its directory exists and takes a
// new file), without touching `path` itself. The error names the path and the reason.
absl::Status CheckOutputPath(const std::string& path);

// The outcomes every command reports the same way: the command could not be started,
// ravel was interrupted, or exec failed. Prints the one-line message and returns the exit
// code; nullopt when the run went its course and the command reports it.
std::optional<int> ReportUnfinishedRun(const absl::StatusOr<RunResult>& result,
                                       const std::vector<std::string>& command);

}  // namespace ravel

#endif  // RAVEL_ENGINE_RUN_TOOL_H_
