#include "intercept/memory.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"
#include "intercept/status.h"

namespace ravel {
namespace {

constexpr uint64_t kPageSize = 4096;

// Opens /proc/<tid>/mem; the caller closes it.
int OpenProcMem(pid_t tid, int flags) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/mem", tid);
  return open(path, flags | O_CLOEXEC);
}

}  // namespace

size_t GuestMemory::Read(uint64_t addr, void* buf, size_t n) {
  size_t done = 0;
  auto* out = static_cast<char*>(buf);
  while (done < n) {
    // process_vm_readv fails the whole iovec on a fault, so go page by page once a
    // full read fails; the readable prefix is what callers want.
    size_t chunk = n - done;
    iovec local{out + done, chunk};
    iovec remote{reinterpret_cast<void*>(addr + done), chunk};
    ssize_t r = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
    if (r > 0) {
      done += static_cast<size_t>(r);
      continue;
    }
    if (r < 0 && errno == EFAULT) {
      uint64_t page_end = ((addr + done) / kPageSize + 1) * kPageSize;
      chunk = std::min<size_t>(n - done, page_end - (addr + done));
      local.iov_len = remote.iov_len = chunk;
      r = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
      if (r > 0) {
        done += static_cast<size_t>(r);
        continue;
      }
      break;
    }
    if (r < 0 && (errno == ENOSYS || errno == EPERM)) {
      return done + ReadViaProcMem(addr + done, out + done, n - done);
    }
    break;
  }
  return done;
}

size_t GuestMemory::ReadViaProcMem(uint64_t addr, void* buf, size_t n) {
  int fd = OpenProcMem(tid_, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t r = pread(fd, buf, n, static_cast<off_t>(addr));
  close(fd);
  return r > 0 ? static_cast<size_t>(r) : 0;
}

absl::Status GuestMemory::ReadExact(uint64_t addr, void* buf, size_t n) {
  if (Read(addr, buf, n) == n) return absl::OkStatus();
  return absl::OutOfRangeError(
      absl::StrFormat("read of %d bytes at 0x%x (tid %d): address not readable", n, addr, tid_));
}

absl::Status GuestMemory::WriteExact(uint64_t addr, const void* buf, size_t n) {
  iovec local{const_cast<void*>(buf), n};
  iovec remote{reinterpret_cast<void*>(addr), n};
  ssize_t r = process_vm_writev(tid_, &local, 1, &remote, 1, 0);
  if (r == static_cast<ssize_t>(n)) return absl::OkStatus();
  if (r < 0 && errno == ESRCH) return ErrnoStatus("process_vm_writev", tid_, errno);
  // Read-only mapping, or a partial write: /proc/<pid>/mem writes as the kernel's ptrace
  // access would.
  return PokeBytes(addr, buf, n);
}

absl::Status GuestMemory::Poke(RemotePtr<uint8_t> p, const uint8_t* bytes, size_t n) {
  return PokeBytes(p.addr(), bytes, n);
}

absl::Status GuestMemory::PokeBytes(uint64_t addr, const void* buf, size_t n) {
  int fd = OpenProcMem(tid_, O_RDWR);
  if (fd < 0) return ErrnoStatus("open /proc/pid/mem", tid_, errno);
  ssize_t r = pwrite(fd, buf, n, static_cast<off_t>(addr));
  int err = errno;
  close(fd);
  if (r == static_cast<ssize_t>(n)) return absl::OkStatus();
  if (r < 0) return ErrnoStatus(absl::StrFormat("write to /proc/pid/mem at 0x%x", addr), tid_, err);
  return absl::OutOfRangeError(
      absl::StrFormat("write of %d bytes at 0x%x (tid %d): only %d written", n, addr, tid_, r));
}

absl::StatusOr<std::string> GuestMemory::ReadCString(RemotePtr<char> p, size_t limit) {
  std::string out;
  uint64_t addr = p.addr();
  char chunk[256];
  while (out.size() < limit) {
    // Never read across a page boundary in one go: the next page may be unmapped
    // although the string ends before it.
    size_t want = std::min<size_t>({sizeof(chunk), limit - out.size(),
                                    kPageSize - (addr % kPageSize)});
    size_t got = Read(addr, chunk, want);
    if (got == 0) {
      if (out.empty()) {
        return absl::OutOfRangeError(
            absl::StrFormat("string at 0x%x (tid %d): address not readable", p.addr(), tid_));
      }
      return out;
    }
    const void* nul = memchr(chunk, '\0', got);
    if (nul != nullptr) {
      out.append(chunk, static_cast<const char*>(nul) - chunk);
      return out;
    }
    out.append(chunk, got);
    addr += got;
  }
  return out;
}

}  // namespace ravel
