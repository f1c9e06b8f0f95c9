#include "replay/replay_check.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ravel {

std::string DescribeStep(ThreadId thread, int64_t what, WhatNamer name) {
  return absl::StrCat("T", thread, " ", name(static_cast<int32_t>(what)), what >= 0 ? "(...)" : "");
}

std::optional<std::string> ReplayChecker::CheckStep(uint64_t step, ThreadId thread, int64_t what,
                                                    uint64_t fingerprint, WhatNamer name) {
  if (replayer_.diverged()) return absl::StrCat("step ", step, ": ", replayer_.divergence());
  if (step >= recorded_.steps.size()) {
    return absl::StrCat("step ", step, ": the recorded run had ended (", recorded_.steps.size(), " steps), now ",
                        DescribeStep(thread, what, name));
  }
  const StepEvent& want = recorded_.steps[step];
  if (want.thread != thread || want.what != what) {
    return absl::StrCat("step ", step, ": recorded ", DescribeStep(want.thread, want.what, name), ", now ",
                        DescribeStep(thread, what, name));
  }
  const std::vector<Checkpoint>& checkpoints = recorded_.checkpoints;
  while (next_checkpoint_ < checkpoints.size() && checkpoints[next_checkpoint_].step < step) ++next_checkpoint_;
  if (next_checkpoint_ < checkpoints.size() && checkpoints[next_checkpoint_].step == step) {
    const uint64_t recorded = checkpoints[next_checkpoint_].hash;
    if (recorded != fingerprint) {
      const uint64_t since = next_checkpoint_ == 0 ? 0 : checkpoints[next_checkpoint_ - 1].step + 1;
      return absl::StrFormat(
          "step %d: %s as recorded, but the arguments or results of a step since step %d differ "
          "(fingerprint %016x, recorded %016x)",
          step, DescribeStep(thread, what, name), since, fingerprint, recorded);
    }
    ++next_checkpoint_;
  }
  return std::nullopt;
}

std::optional<std::string> ReplayChecker::CheckEnd(const ReplayEnd& end, WhatNamer name) const {
  if (replayer_.diverged()) return absl::StrCat("step ", end.steps, ": ", replayer_.divergence());
  if (end.steps < recorded_.steps.size()) {
    const StepEvent& want = recorded_.steps[end.steps];
    return absl::StrCat("step ", end.steps, ": recorded ", DescribeStep(want.thread, want.what, name),
                        ", now the run ended (", end.outcome, ")");
  }
  if (!replayer_.finished()) {
    return absl::StrCat("step ", end.steps, ": the run ended with recorded decisions left (", replayer_.consumed(),
                        " of ", recorded_.decisions.size(), " taken)");
  }
  if (end.outcome != recorded_.outcome) {
    return absl::StrCat("step ", end.steps, ": recorded outcome ", recorded_.outcome, ", now ", end.outcome);
  }
  if (end.fingerprint != recorded_.fingerprint) {
    return absl::StrFormat("step %d: fingerprint %016x, recorded %016x", end.steps, end.fingerprint,
                           recorded_.fingerprint);
  }
  if (recorded_.threads > 0 && end.threads != recorded_.threads) {
    return absl::StrCat("step ", end.steps, ": the recorded run had ", recorded_.threads, " threads, this one ",
                        end.threads);
  }
  return std::nullopt;
}

}  // namespace ravel
