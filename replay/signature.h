// A failing run's signature: what failures of one bug share, so that stress buckets them
// and minimize keeps a run that "fails the same way".
//
// The outcome, and what the thread that made the last step did in its last few steps
// ("fail(exit 1) after futex > write > exit_group"); for a deadlock, the last step of
// every thread, sorted ("deadlock after futex > futex"). Thread ids are left out: the same
// bug may strike another worker thread. A run that had one thread all along says so
// instead ("... in a single-threaded run"): its few scheduling points (most of them the
// dynamic loader's) name nothing. Pure code: the names of steps come from the caller.
//
// Usage:
//   SignatureTracker signature;
//   on each step:  signature.OnStep(thread, what);
//   at the end:    std::string s = signature.Signature(outcome, threads, name);
#ifndef RAVEL_REPLAY_SIGNATURE_H_
#define RAVEL_REPLAY_SIGNATURE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "replay/verify.h"
#include "strategies/strategy.h"

namespace ravel {

// Steps of the last thread that make up a failure's signature.
inline constexpr size_t kSignatureSteps = 3;

class SignatureTracker {
 public:
  // A step of `thread` (`what`: its call or StepWhat code), in the order of the run.
  void OnStep(ThreadId thread, int64_t what);

  // The signature of a run that ended in `outcome` after starting `threads` threads.
  std::string Signature(const std::string& outcome, int threads, WhatNamer name) const;

 private:
  std::map<ThreadId, std::deque<int64_t>> recent_;  // the last kSignatureSteps of each thread
  ThreadId last_thread_ = kNoThread;
};

}  // namespace ravel

#endif  // RAVEL_REPLAY_SIGNATURE_H_
