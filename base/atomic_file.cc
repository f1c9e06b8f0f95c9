#include "base/atomic_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ravel {
namespace {

// "cannot VERB NAME: reason", with the code absl gives errno.
absl::Status ErrnoStatus(int error, absl::string_view verb, absl::string_view name) {
  return absl::Status(absl::ErrnoToStatus(error, "").code(), absl::StrCat("cannot ", verb, " ", name, ": ", strerror(error)));
}

absl::Status WriteError(int error, absl::string_view name) { return ErrnoStatus(error, "write", name); }

// Paths whose target is not ours to replace: devices, and /proc/self/fd links that
// /dev/stdout and /dev/stderr resolve to.
bool WrittenInPlace(const std::string& path) {
  return absl::StartsWith(path, "/dev/") || absl::StartsWith(path, "/proc/");
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status WriteAllToFd(int fd, absl::string_view data, absl::string_view name) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return WriteError(errno, name);
    // No progress and no errno: a device that takes nothing more; call it full.
    if (n == 0) return WriteError(ENOSPC, name);
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<AtomicFileWriter> AtomicFileWriter::Create(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("cannot write a file with an empty name");
  AtomicFileWriter w;
  w.path_ = path;
  w.target_ = path;
  struct stat st;
  bool in_place = WrittenInPlace(path);
  if (!in_place && lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    // Replace the file the link names, not the link.
    if (char* real = realpath(path.c_str(), nullptr); real != nullptr) {
      w.target_ = real;
      free(real);
      in_place = WrittenInPlace(w.target_);
    }
  }
  if (stat(w.target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return WriteError(EISDIR, path);
    in_place = in_place || !S_ISREG(st.st_mode);
  }
  if (in_place) {
    w.fd_ = open(w.target_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w.fd_ < 0) return WriteError(errno, path);
    return w;
  }
  // A unique name beside the target (same file system, so rename is atomic). O_EXCL and
  // the counter make it unique within and across processes; 0666 lets the umask apply.
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string temp = absl::StrCat(w.target_, ".tmp.", getpid(), ".", counter.fetch_add(1));
    w.fd_ = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (w.fd_ >= 0) {
      w.temp_ = std::move(temp);
      return w;
    }
    if (errno != EEXIST) return WriteError(errno, path);
  }
  return WriteError(EEXIST, path);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      target_(std::move(other.target_)),
      temp_(std::move(other.temp_)),
      fd_(std::exchange(other.fd_, -1)),
      status_(std::move(other.status_)) {
  other.temp_.clear();
}

AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&& other) noexcept {
  if (this != &other) {
    Abandon();
    path_ = std::move(other.path_);
    target_ = std::move(other.target_);
    temp_ = std::exchange(other.temp_, std::string());
    fd_ = std::exchange(other.fd_, -1);
    status_ = std::move(other.status_);
  }
  return *this;
}

AtomicFileWriter::~AtomicFileWriter() { Abandon(); }

void AtomicFileWriter::Abandon() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!temp_.empty()) unlink(temp_.c_str());
  temp_.clear();
}

absl::Status AtomicFileWriter::Write(absl::string_view data) {
  if (!status_.ok()) return status_;
  if (fd_ < 0) return status_ = absl::FailedPreconditionError(absl::StrCat("cannot write ", path_, ": already closed"));
  status_ = WriteAllToFd(fd_, data, path_);
  if (!status_.ok()) Abandon();
  return status_;
}

absl::Status AtomicFileWriter::Commit() {
  if (!status_.ok()) return status_;
  if (fd_ < 0) return status_ = absl::FailedPreconditionError(absl::StrCat("cannot write ", path_, ": already closed"));
  const bool in_place = temp_.empty();
  // Deferred write errors (ENOSPC on delayed allocation, EIO) show up here. A device or
  // pipe written in place may not support fsync (EINVAL): nothing was buffered for it.
  if (fsync(fd_) != 0 && !(in_place && (errno == EINVAL || errno == EROFS || errno == ENOTSUP))) {
    status_ = WriteError(errno, path_);
  }
  const int fd = std::exchange(fd_, -1);
  if (close(fd) != 0 && status_.ok() && errno != EINTR) status_ = WriteError(errno, path_);
  if (status_.ok() && !in_place) {
    if (rename(temp_.c_str(), target_.c_str()) != 0) {
      status_ = WriteError(errno, path_);
    } else {
      temp_.clear();
      // The rename itself reaches the disk with the directory.
      const int dir = open(DirectoryOf(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir >= 0) {
        fsync(dir);  // best effort: the file's own data is already safe
        close(dir);
      }
    }
  }
  Abandon();
  return status_;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view text) {
  absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Create(path);
  if (!w.ok()) return w.status();
  if (absl::Status s = w->Write(text); !s.ok()) return s;
  return w->Commit();
}

absl::Status CopyFileAtomically(const std::string& from, const std::string& to) {
  const int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoStatus(errno, "read", from);
  absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Create(to);
  if (!w.ok()) {
    close(in);
    return w.status();
  }
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = read(in, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = ErrnoStatus(errno, "read", from);
      close(in);
      return s;
    }
    if (n == 0) break;
    if (absl::Status s = w->Write(absl::string_view(buffer, static_cast<size_t>(n))); !s.ok()) {
      close(in);
      return s;
    }
  }
  close(in);
  return w->Commit();
}

}  // namespace ravel
