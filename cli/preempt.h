// --preempt LIST: which scheduling points a run has beyond syscalls, and what the guest
// needs for them (the sync shim preloaded).
#ifndef RAVEL_CLI_PREEMPT_H_
#define RAVEL_CLI_PREEMPT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ravel {

struct Preempt {
  bool sync = false;  // pthread synchronisation calls (the preloaded sync shim)

  // The canonical list, e.g. "syscall,sync": what a schedule records and --help shows.
  std::string ToString() const;
  bool operator==(const Preempt&) const = default;
};

// "syscall", "sync", "syscall,sync", ... (comma-separated, any order). Syscall points are
// always on; naming them is allowed. InvalidArgument naming the unknown item and the valid
// ones.
absl::StatusOr<Preempt> ParsePreempt(const std::string& list);

// Makes every guest ravel starts from now on get what `preempt` needs: for sync points,
// LD_PRELOAD gets the sync shim (ahead of what it held). Warns once, on stderr, when
// `command` names a statically linked program, which no shim can reach (the run goes on
// at syscall granularity). NotFound when the shim cannot be found.
absl::Status PrepareGuests(const Preempt& preempt, const std::vector<std::string>& command);

// Where libravel-sync.so is: $RAVEL_SYNC_LIBRARY, else beside the installed ravel
// (../lib/ravel/), else in the build tree ravel was built in.
absl::StatusOr<std::string> SyncShimPath();

}  // namespace ravel

#endif  // RAVEL_CLI_PREEMPT_H_
