// `ravel run` and `ravel replay`: one scheduled run of a command, with the summary line and
// exit codes of ../shared/DESIGN.md ("Command line").
#ifndef RAVEL_CLI_RUN_COMMAND_H_
#define RAVEL_CLI_RUN_COMMAND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/flags.h"
#include "engine/preempt.h"
#include "engine/run_text.h"
#include "engine/scheduled_run.h"

namespace ravel {

std::unique_ptr<Subcommand> MakeRunSubcommand(CLI::App& parent);
std::unique_ptr<Subcommand> MakeReplaySubcommand(CLI::App& parent);

// `ravel run`'s settings without flags: pct, seed 1, the default points, no time limit.
inline ScheduleSettings RunDefaults() {
  ScheduleSettings s;
  s.preempt = kDefaultPreempt;
  return s;
}

struct RunOptions {
  // The flags' (cli/flags.h's ScheduleFlags); preempt is --preempt's list as given.
  ScheduleSettings settings = RunDefaults();
  std::string json_path;
  std::string record_path;  // write the run's schedule here
  std::string trace_path;           // --trace: the run's timeline (engine/trace.h)
  std::string gdbserver;            // --gdbserver [HOST:]PORT (engine/gdb_debugger.h)
  // --verify: run the seed twice and compare step by step (engine/verify_seed.h); exit 7 when the
  // runs differ. --record, --json and --trace describe the first run.
  bool verify = false;
  bool verbose = false;
};

// Runs `command` under the scheduler; prints
//   ravel: <outcome> steps=N threads=T fingerprint=<16 hex> seed=S strategy=X
// on stderr and returns the exit code: the guest's status (128+signal), 3 for a deadlock,
// 4 for a timeout, 2 for bad options, 127/126 when the command cannot be run, 6 when the
// run passed but --record, --json or --trace could not be written (a failed run keeps its
// status; the error is printed either way). With --verify: then
//   ravel: verified: 2 runs of seed S took the same N steps (fingerprint <16 hex>)
// and the same exit code, or the first divergent step and its likely cause, exit 7.
int RunScheduled(const std::vector<std::string>& command, const RunOptions& options);

struct ReplayOptions {
  std::string schedule_path;
  std::string json_path;
  std::string trace_path;  // --trace: the replay's timeline (engine/trace.h)
  std::string gdbserver;   // --gdbserver [HOST:]PORT (engine/gdb_debugger.h)
  double timeout_seconds = 0;  // --timeout: when the schedule records none (0: none)
  // --expect-command -- ARGV...: refuse a schedule whose recorded argv differs (argv[0]
  // may be the recorded argv[0] or the recorded executable's absolute path).
  std::vector<std::string> expected_command;
  bool verbose = false;
};

// Replays a recorded schedule: the same command, in the recorded directory, following the
// recorded decisions and checking every step. First prints the command it runs
// ("ravel: replaying: CMD ARGS... (in DIR)"): a schedule is a command line, to be trusted
// as much as a shell script. Prints "ravel: reproduced <outcome> ..." and exits with the
// guest's status, or "ravel: replay diverged at step N: ..." and exits 5. A schedule that
// cannot be read, whose executable changed, or whose command is not expected_command
// (when given), is an error (exit 2). An output that cannot be written: as RunScheduled.
int Replay(const ReplayOptions& options);

class TraceObserver;
// Writes a --trace timeline and says where on stderr; the error ("cannot write PATH:
// reason") when it could not be written.
absl::Status WriteTrace(TraceObserver& trace, const std::string& path, const ScheduleResult& result, uint64_t seed,
                        const std::string& strategy, const std::vector<std::string>& command);

// Writes the run's fields as a JSON object (the --json of run and replay), whole or not at
// all (base/atomic_file.h).
absl::Status WriteRunJson(const std::string& path, const ScheduleResult& result, uint64_t seed,
                          const std::string& strategy, const std::vector<std::string>& command);

}  // namespace ravel

#endif  // RAVEL_CLI_RUN_COMMAND_H_
