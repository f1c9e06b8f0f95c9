// Registers: a guest thread's general-purpose registers (x86-64 user_regs_struct), with
// named accessors for the syscall ABI so handler code never indexes raw fields.
//
// Syscall ABI: number in orig_rax (rax at entry), args in rdi rsi rdx r10 r8 r9, result
// in rax. At a seccomp stop rip already points after the `syscall` instruction.
#ifndef RAVEL_INTERCEPT_REGS_H_
#define RAVEL_INTERCEPT_REGS_H_

#include <sys/user.h>

#include <array>
#include <cstdint>

namespace ravel {

class Registers {
 public:
  Registers() = default;
  explicit Registers(const user_regs_struct& raw) : raw_(raw) {}

  const user_regs_struct& raw() const { return raw_; }
  user_regs_struct& raw() { return raw_; }

  uint64_t ip() const { return raw_.rip; }
  void set_ip(uint64_t v) { raw_.rip = v; }
  uint64_t sp() const { return raw_.rsp; }

  int64_t syscall_nr() const { return static_cast<int64_t>(raw_.orig_rax); }
  void set_syscall_nr(int64_t nr) { raw_.orig_rax = static_cast<uint64_t>(nr); raw_.rax = raw_.orig_rax; }
  int64_t result() const { return static_cast<int64_t>(raw_.rax); }
  void set_result(int64_t v) { raw_.rax = static_cast<uint64_t>(v); }

  std::array<uint64_t, 6> args() const {
    return {raw_.rdi, raw_.rsi, raw_.rdx, raw_.r10, raw_.r8, raw_.r9};
  }
  void set_args(const std::array<uint64_t, 6>& a) {
    raw_.rdi = a[0]; raw_.rsi = a[1]; raw_.rdx = a[2];
    raw_.r10 = a[3]; raw_.r8 = a[4];  raw_.r9 = a[5];
  }

 private:
  user_regs_struct raw_{};
};

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_REGS_H_
