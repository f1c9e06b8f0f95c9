// --verify for `ravel run` and `ravel stress`: one seed run twice and compared step by step
// (replay/verify.h), so that a seed that does not reproduce says so, where, and why.
//
// Both runs get the same stdio (the kinds of file the guest writes to change what glibc
// does), so a verified `run` shows the guest's output twice. Each run keeps its steps, the
// rolling fingerprint after every step, its external events and ravel's warnings; the
// machine's RDTSC trapping and the RDTSC instructions of the executable are the facts
// beside them.
#ifndef RAVEL_ENGINE_VERIFY_SEED_H_
#define RAVEL_ENGINE_VERIFY_SEED_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/scheduled_run.h"
#include "replay/verify.h"

namespace ravel {

// `ravel run --verify`: the two runs took different steps or ended differently.
inline constexpr int kExitNotDeterministic = 7;

// One run with what a comparison needs beside its schedule.
struct RecordedRun {
  ScheduleResult result;  // recorded (result.schedule filled in)
  std::vector<uint64_t> step_fingerprints;
  std::vector<RunWarning> warnings;
};

// RunSchedule of `spec` with recording, step fingerprints and warnings switched on.
RecordedRun RunRecorded(const ScheduleConfig& spec);

// CompareRuns of two recorded runs, with this machine's facts about the executable.
VerifyVerdict CompareRecorded(const RecordedRun& first, const RecordedRun& second);

struct VerifiedRuns {
  ScheduleResult first, second;  // both recorded (schedule filled in)
  VerifyVerdict verdict;         // meaningful when both runs ran (error ok)
  // Not OK when a run could not start or was interrupted: that run's error and exit code.
  absl::Status error;
  int exit_code = 0;
};

// Runs `spec` (record, step fingerprints and warnings switched on) and then again, and
// compares the runs. `between` is called with the first run's result before the second
// starts (e.g. to say so on stderr, or to set the first run's output files aside).
VerifiedRuns VerifySeed(const ScheduleConfig& spec,
                        const std::function<void(const ScheduleResult& first)>& between = {});

// RDTSC and RDTSCP instructions in the executable sections of the x86-64 ELF file at
// `path` (link-time addresses, ascending); InvalidArgument when it is not one.
absl::StatusOr<std::vector<uint64_t>> FindRdtscInstructions(const std::string& path);

// The facts for CompareRuns: whether this machine traps RDTSC, and the executable's.
RunFacts MachineFacts(const std::string& executable);

// For stress's summary, after "seed N ": "failed once but not on a second run: not
// deterministic (step 12: ...; likely cause: ...)" (or "failed again, but ..." when the
// second run failed too); empty when the runs are the same.
std::string NotReproducedPhrase(const VerifyVerdict& verdict);

// "ravel: verified: 2 runs of seed 4 took the same 29 steps (fingerprint bc5791cc691a4954)".
std::string VerifiedLine(const VerifyVerdict& verdict, uint64_t seed);

// The lines that explain a difference, each "ravel: ..." and newline-terminated: the
// first divergent step, the likely cause, the other candidates.
std::string NotDeterministicReport(const VerifyVerdict& verdict, uint64_t seed);

// One phrase: the most likely cause ("an untrapped RDTSC: ..."), for stress's summary.
std::string LikelyCause(const VerifyVerdict& verdict);

}  // namespace ravel

#endif  // RAVEL_ENGINE_VERIFY_SEED_H_
