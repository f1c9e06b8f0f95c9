// GuestMemory: reads and writes a guest process's memory from the tracer.
//
// process_vm_readv/writev first (one syscall, no ptrace stop needed); /proc/<pid>/mem as
// the fallback, which also writes through read-only mappings (code patches, the
// trampoline). Reads of a range that crosses into an unmapped page return the readable
// prefix (ReadSome) or fail (Read), never crash.
//
//   GuestMemory mem(tid);
//   absl::StatusOr<std::string> path = mem.ReadCString(RemotePtr<char>(args[1]), 4096);
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

  // All n bytes or an error naming the address.
  absl::Status ReadExact(uint64_t addr, void* buf, size_t n);
  absl::Status WriteExact(uint64_t addr, const void* buf, size_t n);
  // Writes even into read-only or executable mappings (through /proc/<pid>/mem).
  absl::Status Poke(uint64_t addr, const void* buf, size_t n);

  // A NUL-terminated string of at most `limit` bytes (without the NUL).
  absl::StatusOr<std::string> ReadCString(RemotePtr<char> p, size_t limit);

  template <typename T>
  absl::StatusOr<T> Read(RemotePtr<T> p) {
    static_assert(std::is_trivially_copyable_v<T>, "only plain data crosses address spaces");
    T value;
    if (absl::Status s = ReadExact(p.addr(), &value, sizeof(T)); !s.ok()) return s;
    return value;
  }
  template <typename T>
  absl::Status Write(RemotePtr<T> p, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>, "only plain data crosses address spaces");
    return WriteExact(p.addr(), &value, sizeof(T));
  }

 private:
  size_t ReadViaProcMem(uint64_t addr, void* buf, size_t n);

  pid_t tid_;
};

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_MEMORY_H_
