// The search of `ravel minimize`: the fewest departures from the default schedule
// (replay/departures.h) that still fail the same way as a recorded run.
//
// Rounds of delta debugging (MinimizeSubset): guided runs of subsets of the departures,
// each recorded, keeping the smallest run that fails the same way (same outcome and
// signature); then that run is replayed with a DepartureTracker, which checks that it
// replays and gives its own departures, and those start the next round, while rounds make
// progress: dropping a departure can turn others into ones that no longer apply, and those
// are dropped for free.
#ifndef RAVEL_ENGINE_MINIMIZE_H_
#define RAVEL_ENGINE_MINIMIZE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "engine/prepared_replay.h"
#include "replay/departures.h"
#include "replay/schedule.h"

namespace ravel {

struct Minimized {
  enum class End {
    kDone,         // `schedule` is the best run's recording
    kNotRemade,    // the default schedule with every departure does not fail the same way
    kInterrupted,  // ravel was interrupted: exit with `exit_code`
  };
  End end = End::kDone;
  int exit_code = 0;
  Schedule schedule;
  std::vector<Departure> departures;  // the best run's
  size_t runs = 0;                    // of the guest, the first replay included
};

// Minimises the run `prepared` replays, whose departures (found by its first, tracked
// replay) are `departures` and which ended in `outcome` with `signature`. At most
// `max_runs` runs of the guest in all; -v prints each run's verdict.
Minimized MinimizeDepartures(PreparedReplay& prepared, std::vector<Departure> departures, const std::string& outcome,
                             const std::string& signature, size_t max_runs, bool verbose);

}  // namespace ravel

#endif  // RAVEL_ENGINE_MINIMIZE_H_
