// A failing seed's artifacts: its schedule and the guest's output, copied out of a
// worker's scratch files (before the worker's next run overwrites them) to
// DIR/NAME-seedS.{sched,stdout,stderr}, each whole or absent (base/atomic_file.h), and
// attached to the failure bucket whose first seed it is.
#ifndef RAVEL_STRESS_ARTIFACTS_H_
#define RAVEL_STRESS_ARTIFACTS_H_

#include <cstdint>
#include <string>

#include "stress/run_message.h"
#include "stress/stress_report.h"

namespace ravel {

struct Artifacts {
  std::string schedule, guest_stdout, guest_stderr, deadlock_report;
  std::string error;  // the first copy that failed, for the summary
  bool verified = false;           // --verify: what the second run showed
  std::string not_deterministic;
};

// Copies the files `msg` names. A copy that fails leaves its field empty and says why in
// `error` (so does a schedule the worker could not write).
Artifacts KeepArtifacts(const RunMessage& msg, const std::string& dir, const std::string& name, uint64_t seed);

// The bucket's artifacts become `a`.
void Attach(const Artifacts& a, FailureBucket& b);

// Deletes the copies (a failure above the lowest one, left out of the report).
void RemoveArtifacts(const Artifacts& a);

}  // namespace ravel

#endif  // RAVEL_STRESS_ARTIFACTS_H_
