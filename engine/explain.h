// What `ravel explain` tells about a (minimised) failing schedule, gathered by two replays:
// the first finds the departures from the default schedule and their steps
// (DepartureTracker); the second stops nothing but, at just the steps the story needs
// (each departure's, where the picked thread was waiting, each thread's last), decodes the
// step's call and unwinds its thread (a RunObserver over unwind/stack.h). A replay is
// deterministic, so the second run passes the same steps. The telling is cli's.
#ifndef RAVEL_ENGINE_EXPLAIN_H_
#define RAVEL_ENGINE_EXPLAIN_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/prepared_replay.h"
#include "engine/scheduled_run.h"
#include "replay/departures.h"
#include "scheduler/scheduler.h"
#include "unwind/stack.h"

namespace ravel {

// What a thread was about to do at a step, and where.
struct Moment {
  std::string op;             // "write(1, "x", 1)", "mutex_lock(0x...)", "an atomic instruction"
  bool instruction = false;   // the point is an instruction (rdtsc, atomic, spin, preempt), not a call
  std::vector<Frame> frames;  // innermost first; empty when it could not be unwound
  std::string unwind_error;
};

struct Story {
  ScheduleResult first;               // the first replay: the outcome
  ScheduleResult second;              // the second: what --trace describes
  std::vector<Departure> departures;  // with the step of each
  std::map<uint64_t, Moment> moments;      // at the steps the story needs
  std::map<ThreadId, uint64_t> last_step;  // each thread's last step

  // The moment at `step`, if one was taken there.
  const Moment* At(std::optional<uint64_t> step) const;
};

// The two replays of `prepared`'s schedule, with stacks of up to `frames` frames of the
// program (a few more are unwound: library frames are skipped when told); `trace`, when
// not null, watches the second. The exit code of a replay that could not start, was
// interrupted or diverged (said on stderr: "ravel: cannot explain: ..."), or nullopt.
std::optional<int> GatherStory(PreparedReplay& prepared, size_t frames, RunObserver* trace, Story& story);

// The last step at or before `step` made by `thread`, if any.
std::optional<uint64_t> LastStepOf(const Schedule& s, ThreadId thread, uint64_t step);

// "T2 made 5 steps (write > futex > ... > exit_group)": who ran from step `from` up to `to`.
std::string WhoRan(const Schedule& s, uint64_t from, uint64_t to);

}  // namespace ravel

#endif  // RAVEL_ENGINE_EXPLAIN_H_
