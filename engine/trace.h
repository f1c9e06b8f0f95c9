// --trace FILE.json: a run's timeline in the Chrome trace event format, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open.
//
// The clock is the run's step count, one step per microsecond, so that the same schedule
// always draws the same picture (real time would vary from run to run). Layout:
//   - one track per logical thread (pid 1, tid = the thread's id; named "T1 (tid 4242)");
//   - a complete event ("X", category "run") for each stretch in which a thread held the
//     baton, from the step it got it to the step it gave it up;
//   - an instant event ("i", categories "syscall", "sync", "atomic", "preempt") at each
//     step of the thread that made it, named after the call, with the step and the
//     decoded call in args;
//   - a flow ("s" on the waker's track, "f" on the wakee's where it next runs, category
//     "wake") from each futex wake to the thread it released.
// `otherData` holds the command, seed, strategy and outcome.
#ifndef RAVEL_ENGINE_TRACE_H_
#define RAVEL_ENGINE_TRACE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "scheduler/scheduler.h"

namespace ravel {

class TraceObserver : public RunObserver {
 public:
  void OnThreadStart(Guest& guest, ThreadId thread) override;
  void OnStep(Guest& guest, uint64_t step, ThreadId thread, int64_t what, const Syscall* call) override;
  void OnBaton(uint64_t steps, ThreadId from, ThreadId to) override;
  void OnWake(uint64_t steps, ThreadId waker, ThreadId wakee) override;
  void OnThreadExit(ThreadId thread) override;

  // Ends open stretches at `steps` and writes the file. `about`: key/value pairs for
  // otherData (command, seed, outcome, ...).
  absl::Status Write(const std::string& path, uint64_t steps, const std::map<std::string, std::string>& about);

 private:
  void EndStretch(ThreadId thread, uint64_t steps);

  std::vector<nlohmann::json> events_;
  std::map<ThreadId, uint64_t> running_since_;         // open stretches
  std::map<ThreadId, std::vector<uint64_t>> flows_in_;  // wakes not yet arrived, by wakee
  uint64_t next_flow_ = 1;
  uint64_t last_steps_ = 0;
};

// Whether `path` can be written (CheckOutputPath: a file can be made beside it; `path`
// itself is not touched): checked before a run, so that a bad --trace path is an error up
// front rather than after the run. Write() itself is whole-or-absent (base/atomic_file.h).
absl::Status CheckTracePath(const std::string& path);

// `write(1, "hello\n", 6)`, `read(3, ...)`: a call at its entry, arguments decoded as
// strace does (those the kernel fills in are not known yet: "...").
std::string DescribeCallAtEntry(Guest& guest, const Syscall& call);

// What a step (RunObserver::OnStep's arguments) was about to do, for people:
// `write(1, "x", 1)`, `mutex_lock(0x5555...)`, "an atomic instruction", ...
std::string DescribeStepAt(Guest& guest, int64_t what, const Syscall* call);

// Names a sync operation of the shim (preempt/sync_marker.h): "mutex_lock", "cond_wait", ...
std::string SyncOpName(int op);

}  // namespace ravel

#endif  // RAVEL_ENGINE_TRACE_H_
