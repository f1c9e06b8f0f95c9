// `ravel explain FILE`: the story of a (minimised) failing schedule. For each departure
// from the default schedule (replay/departures.h) it names the step, the threads
// involved, what each was about to do (the syscall with its decoded arguments, the sync
// operation, the atomic instruction) and where in the source (function, file and line,
// from the DWARF of the program: elfutils libdw), and what ran until the next one; then
// the failure itself, with the failing thread's stack.
//
// How: two replays of the schedule. The first finds the departures and their steps
// (DepartureTracker); the second stops nothing but, at just the steps the story needs,
// decodes the step's call and unwinds its thread (a RunObserver). A replay is
// deterministic, so the second run passes the same steps.
#ifndef RAVEL_CLI_EXPLAIN_COMMAND_H_
#define RAVEL_CLI_EXPLAIN_COMMAND_H_

#include <memory>
#include <string>

#include "cli/flags.h"

namespace ravel {

std::unique_ptr<Subcommand> MakeExplainSubcommand(CLI::App& parent);

struct ExplainOptions {
  std::string schedule_path;
  std::string trace_path;  // --trace: also write the replay's timeline (Chrome trace JSON)
  size_t frames = 6;       // frames of each stack shown
  double timeout_seconds = 0;  // --timeout: when the schedule records none (0: none)
  bool verbose = false;
};

// Exit codes: 0 told; 2 bad input (unreadable schedule, changed executable); 5 the
// schedule does not replay; 127/126/130 as for every command.
int Explain(const ExplainOptions& options);

}  // namespace ravel

#endif  // RAVEL_CLI_EXPLAIN_COMMAND_H_
