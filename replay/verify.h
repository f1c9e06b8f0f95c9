// Verification: two runs of one seed compared step by step, and, when they differ, the
// first step where they do and the likely reason why.
//
// `ravel run --verify` runs a seed twice. Under ravel a program whose inputs ravel controls
// takes the same steps (thread, syscall or StepWhat code) with the same rolling fingerprint
// every time; a difference means something ravel does not control reached the program.
// CompareRuns finds the first difference; the cause is chosen from what the runs themselves
// recorded, in this order:
//   1. the earliest event outside the scheduler's control at or before that step, in either
//      run: a call that blocked in the kernel with the baton ("blocked-in-kernel": the
//      watchdog moved on after real time passed), a thread let into the kernel to wait for
//      outside input ("external-input"), a liveness preemption ("preempt": where a spinning
//      thread was interrupted depends on real time), or a warning of a call that "is not
//      modelled" and ran in the kernel while others went on;
//   2. RDTSC that the machine does not trap (RunFacts: the time stamp counter is read for
//      real, so anything computed from it differs);
//   3. System V shared memory (shmget/shmat steps): memory another process may write;
//   4. a real-time --timeout that ended one run;
//   5. otherwise unknown: an input ravel does not control that left no trace (a file the
//      program changed for its next run, the environment, memory shared with an untraced
//      process).
// Every candidate found is kept (CauseCandidate list, most likely first), so a report can
// name the first and mention the others.
//
// Pure code: steps are compared as recorded, syscall names come from the caller.
//
// Usage:
//   VerifyVerdict v = CompareRuns(first, second, facts);
//   if (!v.same) puts(DescribeDivergence(v, name_of).c_str());
#ifndef RAVEL_REPLAY_VERIFY_H_
#define RAVEL_REPLAY_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "replay/schedule.h"

namespace ravel {

// A warning ravel printed during a run ("futex operation 6 ... is not modelled"), with the
// step it was printed at (the last step the run had made).
struct RunWarning {
  uint64_t step = 0;
  std::string text;

  bool operator==(const RunWarning&) const = default;
};

// One run as the comparison sees it.
struct VerifyRun {
  // steps, external, checkpoints, outcome, fingerprint are used.
  Schedule schedule;
  // The rolling fingerprint after each step (same length as schedule.steps), when the
  // run kept it; empty: only the checkpoints are compared.
  std::vector<uint64_t> step_fingerprints;
  std::vector<RunWarning> warnings;
};

// What is known about the program and the machine, beside the runs.
struct RunFacts {
  // The machine cannot trap RDTSC (Guest::HasRdtscInterception() false).
  bool rdtsc_untrapped = false;
  // RDTSC/RDTSCP instructions found in the executable (link-time addresses); empty when
  // none were found or it was not scanned.
  std::vector<uint64_t> rdtsc_sites;
};

enum class CauseKind {
  kBlockedInKernel,  // the watchdog moved the baton on from a call asleep in the kernel
  kExternalInput,    // a thread waited in the kernel for input from outside
  kUnmodelledCall,   // a warning: a call ravel does not model ran in the kernel
  kLivenessPreemption,
  kRdtsc,
  kSharedMemory,
  kTimeout,
  kUnknown,
};

struct CauseCandidate {
  CauseKind kind = CauseKind::kUnknown;
  // The step and thread of the event, when it was recorded at one.
  std::optional<uint64_t> step;
  ThreadId thread = kNoThread;
  int run = 0;          // 1 or 2: which run recorded it (0: both or neither)
  std::string detail;   // the call's name, the warning's text, the RDTSC sites

  bool operator==(const CauseCandidate&) const = default;
};

// How the two runs differ, at the first step where they do.
struct RunDifference {
  enum class Kind {
    kStep,         // the step's thread or call differs
    kFingerprint,  // same steps, but what the scheduler saw of them differs (results, registers)
    kLength,       // one run ended at `step`, the other went on
    kOutcome,      // every step equal, the outcomes differ
  };
  Kind kind = Kind::kStep;
  uint64_t step = 0;
  // The step in each run; nullopt when that run had ended.
  std::optional<StepEvent> first, second;
  // kFingerprint: the earliest step since which the difference may have arisen (the last
  // equal fingerprint's step + 1; with checkpoints only, the previous checkpoint's).
  uint64_t since = 0;
};

struct VerifyVerdict {
  bool same = false;
  uint64_t steps = 0;        // of the first run
  uint64_t fingerprint = 0;  // of the first run
  std::string outcome;       // of the first run
  std::string second_outcome;
  std::optional<RunDifference> difference;  // when !same
  std::vector<CauseCandidate> causes;       // when !same: most likely first; never empty
};

VerifyVerdict CompareRuns(const VerifyRun& first, const VerifyRun& second, const RunFacts& facts);

// Names a step's `what` (a syscall number or a StepWhat code), e.g. "futex", "sync".
using WhatNamer = absl::FunctionRef<std::string(int32_t what)>;

// "T1 getpid", "T0 sync", "nothing (the run had ended)".
std::string DescribeStepEvent(const std::optional<StepEvent>& step, WhatNamer name_of);

// The first difference, one line: "step 41: first run T1 getpid, second run T1 getppid".
std::string DescribeDifference(const RunDifference& d, const VerifyVerdict& v, WhatNamer name_of);

// One cause as a phrase: "an untrapped RDTSC: the executable reads the time stamp counter
// (2 RDTSC instructions, first at 0x1139), which this machine does not trap".
std::string DescribeCause(const CauseCandidate& c, WhatNamer name_of);

}  // namespace ravel

#endif  // RAVEL_REPLAY_VERIFY_H_
