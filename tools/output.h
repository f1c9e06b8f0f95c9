// Output: where a tool's report goes (stderr, or a file named with -o), written as the
// run goes. Each Line() is one write(2) when it can be, so lines from the tool never tear,
// and EINTR from ravel's own timer signal is retried.
//
// Nothing is lost silently: the first write that fails (a short write that makes no
// progress, ENOSPC, EIO, ...) is kept, later lines are dropped, and Close() returns that
// error, or the error of the final fsync/close of a file. The command then says so and
// exits with kExitOutput (engine/run_tool.h). Writes to ravel's own stderr are not checked:
// there is nowhere left to report them.
#ifndef RAVEL_EXAMPLES_OUTPUT_H_
#define RAVEL_EXAMPLES_OUTPUT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ravel {

class Output {
 public:
  // stderr.
  Output() = default;
  // A file, created or truncated; "-" means stderr.
  static absl::StatusOr<Output> Open(const std::string& path);
  Output(Output&& other) noexcept;
  Output& operator=(Output&& other) noexcept;
  ~Output();

  // Writes `text` followed by a newline (nothing after an error).
  void Line(absl::string_view text);

  // The first write error so far; OK for stderr.
  const absl::Status& status() const { return status_; }

  // Flushes a file to disk and closes it: the first error of any write, of fsync or of
  // close ("cannot write PATH: reason"). OK for stderr. Later Line()s are dropped.
  absl::Status Close();

 private:
  Output(int fd, bool owned, std::string path) : fd_(fd), owned_(owned), path_(std::move(path)) {}
  int fd_ = 2;
  bool owned_ = false;
  std::string path_;
  absl::Status status_;
};

}  // namespace ravel

#endif  // RAVEL_EXAMPLES_OUTPUT_H_
