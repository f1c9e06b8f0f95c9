// `ravel run`: one scheduled run of a command, with the summary line and exit codes of
// ../shared/DESIGN.md ("Command line").
#ifndef RAVEL_CLI_RUN_COMMAND_H_
#define RAVEL_CLI_RUN_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ravel {

inline constexpr int kExitDeadlock = 3;
inline constexpr int kExitTimeout = 4;

struct RunOptions {
  std::string strategy = "pct";
  uint64_t seed = 1;
  int pct_depth = 3;
  uint64_t pct_steps = 0;  // 0: the strategy's default
  double timeout_seconds = 0;
  std::string json_path;
  bool verbose = false;
};

// Runs `command` under the scheduler; prints
//   ravel: <outcome> steps=N threads=T fingerprint=<16 hex> seed=S strategy=X
// on stderr and returns the exit code: the guest's status (128+signal), 3 for a deadlock,
// 4 for a timeout, 2 for bad options, 127/126 when the command cannot be run.
int RunScheduled(const std::vector<std::string>& command, const RunOptions& options);

}  // namespace ravel

#endif  // RAVEL_CLI_RUN_COMMAND_H_
