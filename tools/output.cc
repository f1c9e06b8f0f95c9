#include "tools/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"

namespace ravel {

absl::StatusOr<Output> Output::Open(const std::string& path) {
  if (path.empty() || path == "-") return Output();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InvalidArgumentError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  return Output(fd, true, path);
}

Output::Output(Output&& other) noexcept
    : fd_(other.fd_), owned_(std::exchange(other.owned_, false)), path_(std::move(other.path_)),
      status_(std::move(other.status_)) {}

Output& Output::operator=(Output&& other) noexcept {
  if (this != &other) {
    if (owned_) close(fd_);
    fd_ = other.fd_;
    owned_ = std::exchange(other.owned_, false);
    path_ = std::move(other.path_);
    status_ = std::move(other.status_);
  }
  return *this;
}

Output::~Output() {
  if (owned_) close(fd_);
}

void Output::Line(absl::string_view text) {
  if (!status_.ok() || fd_ < 0) return;
  std::string line = absl::StrCat(text, "\n");
  absl::Status s = WriteAllToFd(fd_, line, path_.empty() ? "stderr" : path_);
  if (owned_) status_ = std::move(s);  // stderr's errors have nowhere to go
}

absl::Status Output::Close() {
  if (!owned_) return status_;
  owned_ = false;
  const int fd = std::exchange(fd_, -1);
  // ENOSPC and EIO of buffered writes surface at fsync; a pipe or device cannot be
  // synced (EINVAL), and had nothing buffered.
  if (fsync(fd) != 0 && status_.ok() && errno != EINVAL && errno != EROFS && errno != ENOTSUP) {
    status_ = absl::UnavailableError(absl::StrCat("cannot write ", path_, ": ", strerror(errno)));
  }
  if (close(fd) != 0 && status_.ok() && errno != EINTR) {
    status_ = absl::UnavailableError(absl::StrCat("cannot write ", path_, ": ", strerror(errno)));
  }
  return status_;
}

}  // namespace ravel
