#include "intercept/status.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ravel {

absl::Status ErrnoStatus(absl::string_view what, pid_t tid, int err) {
  std::string message = tid > 0 ? absl::StrCat(what, "(tid ", tid, "): ", std::strerror(err))
                                : absl::StrCat(what, ": ", std::strerror(err));
  if (err == ESRCH) return absl::NotFoundError(message);
  return absl::Status(absl::ErrnoToStatusCode(err), message);
}

bool IsVanished(const absl::Status& status) { return absl::IsNotFound(status); }

}  // namespace ravel
