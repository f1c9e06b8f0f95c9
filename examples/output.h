// Output: where a tool's report goes (stderr, or a file named with -o). Each Line() is one
// write(2), so lines from the tool never tear, and EINTR from ravel's own timer signal is
// retried.
#ifndef RAVEL_EXAMPLES_OUTPUT_H_
#define RAVEL_EXAMPLES_OUTPUT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ravel {

class Output {
 public:
  // stderr.
  Output() = default;
  // A file, created or truncated; "-" means stderr.
  static absl::StatusOr<Output> Open(const std::string& path);
  Output(Output&& other) noexcept : fd_(other.fd_), owned_(other.owned_) { other.owned_ = false; }
  Output& operator=(Output&& other) noexcept;
  ~Output();

  // Writes `text` followed by a newline.
  void Line(absl::string_view text);

 private:
  Output(int fd, bool owned) : fd_(fd), owned_(owned) {}
  int fd_ = 2;
  bool owned_ = false;
};

}  // namespace ravel

#endif  // RAVEL_EXAMPLES_OUTPUT_H_
