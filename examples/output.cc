#include "examples/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ravel {

absl::StatusOr<Output> Output::Open(const std::string& path) {
  if (path.empty() || path == "-") return Output();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InvalidArgumentError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  return Output(fd, true);
}

Output& Output::operator=(Output&& other) noexcept {
  if (this != &other) {
    if (owned_) close(fd_);
    fd_ = other.fd_;
    owned_ = other.owned_;
    other.owned_ = false;
  }
  return *this;
}

Output::~Output() {
  if (owned_) close(fd_);
}

void Output::Line(absl::string_view text) {
  std::string line = absl::StrCat(text, "\n");
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = write(fd_, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace ravel
