// ReplayChecker: a replay compared with its recording while it runs, so that a run that
// leaves the recorded one is stopped at the step where it does and says how.
//
// At each step: the thread and the call (or StepWhat code) must be the recorded ones, the
// decisions must still match (ReplayStrategy), and at each recorded checkpoint the rolling
// fingerprint must be the recorded one. When the run ends with every step matched, it must
// also end where and as the recording did: the same number of steps, every recorded
// decision taken, the same outcome, fingerprint and number of threads.
//
// Each check returns the divergence as one line that starts with the step ("step 12:
// recorded T1 futex(...), now T2 write(...)"), or nullopt while the run matches. Pure
// code: the names of steps come from the caller.
//
// Usage:
//   ReplayChecker checker(schedule, replayer);
//   on each step:  if (auto d = checker.CheckStep(step, thread, what, fingerprint, name)) stop with *d;
//   at the end:    if (auto d = checker.CheckEnd(ReplayEnd{...}, name)) the run diverged;
#ifndef RAVEL_REPLAY_REPLAY_CHECK_H_
#define RAVEL_REPLAY_REPLAY_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "replay/recording.h"
#include "replay/schedule.h"
#include "replay/verify.h"

namespace ravel {

// How a replay ended, for ReplayChecker::CheckEnd.
struct ReplayEnd {
  uint64_t steps = 0;
  std::string outcome;
  uint64_t fingerprint = 0;
  int threads = 0;
};

class ReplayChecker {
 public:
  // `recorded` and `replayer` (the strategy that follows its decisions) must outlive the
  // checker.
  ReplayChecker(const Schedule& recorded, const ReplayStrategy& replayer)
      : recorded_(recorded), replayer_(replayer) {}

  // Step `step` of the replay, made by `thread` (`what`: its call or StepWhat code), with
  // the rolling fingerprint after it. Steps come in order, each once.
  std::optional<std::string> CheckStep(uint64_t step, ThreadId thread, int64_t what, uint64_t fingerprint,
                                       WhatNamer name);

  // After a run whose every step matched: whether it ended where and as recorded.
  std::optional<std::string> CheckEnd(const ReplayEnd& end, WhatNamer name) const;

 private:
  const Schedule& recorded_;
  const ReplayStrategy& replayer_;
  size_t next_checkpoint_ = 0;
};

// "T1 futex(...)", "T0 sync": a step for a divergence message.
std::string DescribeStep(ThreadId thread, int64_t what, WhatNamer name);

}  // namespace ravel

#endif  // RAVEL_REPLAY_REPLAY_CHECK_H_
