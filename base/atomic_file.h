// Files that are either whole or absent, and writes whose failure is never silent.
//
// Every file ravel writes (schedules, stress artifacts, --json, --junit, --trace) goes
// through AtomicFileWriter: the bytes go to a temporary file beside the target (same
// directory, so the same file system), each write(2) is checked (a short write is retried,
// a write that makes no progress is an error: ENOSPC, EIO, EDQUOT, ...), then the file is
// fsync'd, closed (close's result is checked too: NFS reports deferred errors there), and
// renamed over the target. A reader sees the old file, or nothing, or the whole new file;
// never a part. On any error, or when the writer is destroyed without Commit(), the
// temporary file is removed.
//
// A target that exists and is not a regular file (a character device such as /dev/null
// or /dev/full, a FIFO), and any path under /dev/ or /proc/ (/dev/stdout may name a file
// the shell holds open), is written in place instead: renaming over a device node would
// replace it. The writes are checked the same way. A symbolic link is followed: the file
// it names is replaced, and the link stays.
//
// Errors are one line, naming the file the caller asked for and the reason:
//   "cannot write out/x.sched: No space left on device"
// Their code follows errno (absl::ErrnoToStatus: ENOSPC is kResourceExhausted, EACCES
// kPermissionDenied, ...).
//
// Usage:
//   absl::Status s = WriteFileAtomically(path, text);
//   // or, streamed:
//   absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Create(path);
//   if (!w.ok()) ...;
//   if (absl::Status s = w->Write(chunk); !s.ok()) ...;
//   absl::Status done = w->Commit();
#ifndef RAVEL_BASE_ATOMIC_FILE_H_
#define RAVEL_BASE_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ravel {

// Writes every byte of `data` to `fd`, retrying EINTR and short writes. A write that
// returns 0 or fails is an error built from errno ("cannot write NAME: reason").
absl::Status WriteAllToFd(int fd, absl::string_view data, absl::string_view name);

class AtomicFileWriter {
 public:
  // Opens a temporary file beside `path` (or `path` itself when it is not a regular
  // file). Fails when the directory cannot be written.
  static absl::StatusOr<AtomicFileWriter> Create(const std::string& path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  // Without Commit(): removes the temporary file; the target is left as it was.
  ~AtomicFileWriter();

  // Appends `data`. After an error, every later call returns that error.
  absl::Status Write(absl::string_view data);
  // Flushes to disk, closes and renames over the target. The writer is done after it,
  // whatever the result; on error the target is left as it was.
  absl::Status Commit();

  const std::string& path() const { return path_; }

 private:
  AtomicFileWriter() = default;
  void Abandon();

  std::string path_;       // what the caller named (for messages)
  std::string target_;     // what is replaced: path_, or the file a symlink names
  std::string temp_;       // empty when writing in place
  int fd_ = -1;
  absl::Status status_;    // the first error
};

// The whole of `text` to `path`, atomically (AtomicFileWriter).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view text);

// A copy of the file `from` at `to`, atomically. A read error of `from` is an error too.
absl::Status CopyFileAtomically(const std::string& from, const std::string& to);

}  // namespace ravel

#endif  // RAVEL_BASE_ATOMIC_FILE_H_
