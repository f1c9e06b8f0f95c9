// Status helpers for the ptrace boundary.
//
// Every call that touches the kernel on behalf of a guest thread returns absl::Status
// built from errno, naming the call and the thread it was made for, e.g.
//   "PTRACE_GETREGS(tid 4123): No such process".
// ESRCH is kept as absl::StatusCode::kNotFound so callers can treat a vanished tracee as
// the expected event it is (IsVanished()).
#ifndef RAVEL_INTERCEPT_STATUS_H_
#define RAVEL_INTERCEPT_STATUS_H_

#include <sys/types.h>

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace ravel {

// Status for a failed call `what` made for thread `tid` (0: not thread-specific), from errno `err`.
absl::Status ErrnoStatus(absl::string_view what, pid_t tid, int err);

// True when the status says the guest thread no longer exists (ESRCH).
bool IsVanished(const absl::Status& status);

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_STATUS_H_
