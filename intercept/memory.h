// GuestMemory: reads and writes a guest process's memory from the tracer.
//
// process_vm_readv/writev first (one syscall, no ptrace stop needed); /proc/<pid>/mem as
// the fallback, which also writes through read-only mappings (code patches, the
// trampoline). Reads of a range that crosses into an unmapped page return the readable
// prefix (the untyped Read, RemoteReader's, for the syscall printer) or fail (the rest),
// never crash.
//
// Every other read and write takes a RemotePtr<T>: the type of what is at a guest address
// is said once, where the raw address becomes a pointer, and a size that does not match
// the type cannot be written.
//
//   GuestMemory mem(tid);
//   absl::StatusOr<std::string> path = mem.ReadCString(RemotePtr<char>(args[1]), 4096);
//   timespec ts;
//   if (!mem.Read(RemotePtr<timespec>(args[2]), ts).ok()) return -EFAULT;
#ifndef RAVEL_INTERCEPT_MEMORY_H_
#define RAVEL_INTERCEPT_MEMORY_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "intercept/remote_ptr.h"
#include "intercept/syscall_printer.h"

namespace ravel {

class GuestMemory : public RemoteReader {
 public:
  // `tid` may be any thread of the process: they share the address space.
  explicit GuestMemory(pid_t tid) : tid_(tid) {}

  pid_t tid() const { return tid_; }

  // Copies up to n bytes; returns how many were readable (0 when none). RemoteReader.
  size_t Read(uint64_t addr, void* buf, size_t n) override;

  // One T at `p`, as the result or into `value`; all of it or an error naming the address.
  template <typename T>
  absl::StatusOr<T> Read(RemotePtr<T> p) {
    T value;
    if (absl::Status s = Read(p, value); !s.ok()) return s;
    return value;
  }
  template <typename T>
  absl::Status Read(RemotePtr<T> p, T& value) {
    return ReadArray(p, &value, 1);
  }
  // `count` Ts from `p` on (an array or buffer argument).
  template <typename T>
  absl::Status ReadArray(RemotePtr<T> p, T* values, size_t count) {
    static_assert(std::is_trivially_copyable_v<T>, "only plain data crosses address spaces");
    return ReadExact(p.addr(), values, count * sizeof(T));
  }
  template <typename T>
  absl::Status Write(RemotePtr<T> p, const T& value) {
    return WriteArray(p, &value, 1);
  }
  template <typename T>
  absl::Status WriteArray(RemotePtr<T> p, const T* values, size_t count) {
    static_assert(std::is_trivially_copyable_v<T>, "only plain data crosses address spaces");
    return WriteExact(p.addr(), values, count * sizeof(T));
  }
  // Code: writes `n` bytes at `p` even into a read-only or executable mapping (through
  // /proc/<pid>/mem), as an int3 or a patch needs.
  absl::Status Poke(RemotePtr<uint8_t> p, const uint8_t* bytes, size_t n);
  absl::Status Poke(RemotePtr<uint8_t> p, uint8_t byte) { return Poke(p, &byte, 1); }

  // A NUL-terminated string of at most `limit` bytes (without the NUL).
  absl::StatusOr<std::string> ReadCString(RemotePtr<char> p, size_t limit);

 private:
  absl::Status ReadExact(uint64_t addr, void* buf, size_t n);
  absl::Status WriteExact(uint64_t addr, const void* buf, size_t n);
  absl::Status PokeBytes(uint64_t addr, const void* buf, size_t n);
  size_t ReadViaProcMem(uint64_t addr, void* buf, size_t n);

  pid_t tid_;
};

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_MEMORY_H_
