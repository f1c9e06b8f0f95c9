// --preempt LIST: which scheduling points a run has beyond syscalls, and what the guest
// needs for them (the sync shim preloaded).
#ifndef RAVEL_ENGINE_PREEMPT_H_
#define RAVEL_ENGINE_PREEMPT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ravel {

struct Preempt {
  bool sync = false;  // pthread synchronisation calls (the preloaded sync shim)
  bool time = false;  // time chaos: the virtual clock may jump while threads can run
  bool atomic = false;  // atomic instructions of the executable (int3 on each)
  bool spin = false;    // spin loops of the executable (int3 on each loop's head)

  // The canonical list, e.g. "syscall,sync,time": what a schedule records.
  std::string ToString() const;
  bool operator==(const Preempt&) const = default;
};

// What a run gets without --preempt: syscall, sync and atomic points and time chaos.
// Measured on the corpus and corpora/classic (bench/RESULTS.md, "Choosing the defaults
// again"): with syscall points alone no lock- or atomic-level bug is found (their windows
// hold no syscall); with these, stress (surw) found all 40 bug programs, each within 100
// schedules. The cost is a stop per pthread call and per atomic instruction of the
// executable.
inline constexpr char kDefaultPreempt[] = "syscall,sync,time,atomic";

// Time chaos: at a point where a thread waits for a deadline, the chance in percent that
// the virtual clock jumps to it first.
inline constexpr int kTimeChaosPercent = 10;

// "syscall", "sync", "time", "syscall,sync,time", ... (comma-separated, any order). Syscall points are
// always on; naming them is allowed. InvalidArgument naming the unknown item and the valid
// ones.
absl::StatusOr<Preempt> ParsePreempt(const std::string& list);

// --preempt LIST with --preempt-modules MODULES: ParsePreempt, and InvalidArgument when
// modules are named without atomic points (they name libraries for those).
absl::StatusOr<Preempt> ParsePreemptFlags(const std::string& list, const std::string& modules);

// Makes every guest ravel starts from now on get what `preempt` needs: for sync points,
// LD_PRELOAD gets the sync shim (ahead of what it held). Warns once, on stderr, when
// `command` names a statically linked program, which no shim can reach (the run goes on
// at syscall granularity). NotFound when the shim cannot be found.
absl::Status PrepareGuests(const Preempt& preempt, const std::vector<std::string>& command);

// Where libravel-sync.so is: $RAVEL_SYNC_LIBRARY, else beside the installed ravel
// (../lib/ravel/), else in the build tree ravel was built in.
absl::StatusOr<std::string> SyncShimPath();

}  // namespace ravel

#endif  // RAVEL_ENGINE_PREEMPT_H_
