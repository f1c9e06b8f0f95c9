// RemotePtr<T>: an address in a guest's address space.
//
// It cannot be dereferenced in the tracer; it is only read or written through GuestMemory
// (memory.h), which makes "used a guest pointer as a local one" a compile error:
//   RemotePtr<timespec> ts(args[2]);
//   absl::StatusOr<timespec> value = memory.Read(ts);
#ifndef RAVEL_INTERCEPT_REMOTE_PTR_H_
#define RAVEL_INTERCEPT_REMOTE_PTR_H_

#include <cstddef>
#include <cstdint>

namespace ravel {

template <typename T>
class RemotePtr {
 public:
  constexpr RemotePtr() = default;
  constexpr explicit RemotePtr(uint64_t addr) : addr_(addr) {}

  constexpr uint64_t addr() const { return addr_; }
  constexpr bool is_null() const { return addr_ == 0; }

  // Pointer arithmetic in units of T, as for a local pointer.
  constexpr RemotePtr operator+(std::ptrdiff_t n) const {
    return RemotePtr(addr_ + static_cast<uint64_t>(n) * sizeof(T));
  }
  template <typename U>
  constexpr RemotePtr<U> Cast() const { return RemotePtr<U>(addr_); }

  friend constexpr bool operator==(RemotePtr a, RemotePtr b) { return a.addr_ == b.addr_; }

 private:
  uint64_t addr_ = 0;
};

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_REMOTE_PTR_H_
