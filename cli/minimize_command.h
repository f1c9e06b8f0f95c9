// `ravel minimize FILE -o OUT`: shrinks a failing schedule to the fewest departures from
// the default schedule (replay/departures.h: the preemptions, and wakes and time jumps of
// other than the default) that still fail the same way, and writes a schedule of that run.
//
// How: the schedule is replayed once to find its departures and how it fails (outcome
// and signature: what the failing thread did last). Then delta debugging (ddmin) runs the
// default schedule with subsets of them (GuidedStrategy, the recorded seed's random data)
// until no single departure can be dropped; each run that fails the same way and has
// fewer departures than the best so far is kept. The result is written with `option
// minimized <departures before>`, and replayed once to check that it reproduces.
#ifndef RAVEL_CLI_MINIMIZE_COMMAND_H_
#define RAVEL_CLI_MINIMIZE_COMMAND_H_

#include <cstddef>
#include <memory>
#include <string>

#include "cli/flags.h"

namespace ravel {

std::unique_ptr<Subcommand> MakeMinimizeSubcommand(CLI::App& parent);

struct MinimizeOptions {
  std::string schedule_path;
  std::string out_path;
  size_t max_runs = 300;         // runs of the guest at most, the first replay included
  double timeout_seconds = 30;   // per run, unless the schedule records its own
  bool verbose = false;
};

// Exit codes: 0 written (and it replays); 1 the minimised schedule did not replay; 2 bad
// input (unreadable schedule, a schedule that passes, an OUT whose directory cannot take
// a file); 5 the schedule itself does not replay; 6 OUT could not be written after the
// runs (a full disk: nothing is left at OUT); 127/126/130 as for every command.
int Minimize(const MinimizeOptions& options);

}  // namespace ravel

#endif  // RAVEL_CLI_MINIMIZE_COMMAND_H_
