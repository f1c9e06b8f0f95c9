// The amd64 register file as gdb sees it: one table drives both the target description
// (target.xml) and the byte layout of g/G/p/P, so the two cannot disagree.
//
// Remote register numbers, in g-packet order (all little-endian):
//    0-15  rax rbx rcx rdx rsi rdi rbp rsp r8..r15       8 bytes   org.gnu.gdb.i386.core
//   16-17  rip (8), eflags (4)
//   18-23  cs ss ds es fs gs                              4 bytes
//   24-31  st0..st7                                      10 bytes
//   32-39  fctrl fstat ftag fiseg fioff foseg fooff fop   4 bytes
//   40-55  xmm0..xmm15                                   16 bytes   org.gnu.gdb.i386.sse
//   56     mxcsr                                          4 bytes
//   57     orig_rax                                       8 bytes   org.gnu.gdb.i386.linux
//   58-59  fs_base gs_base                                8 bytes   org.gnu.gdb.i386.segments
// 560 bytes in all. The x87 state comes from FXSAVE (user_fpregs_struct), whose abridged
// tag byte is widened to the full tag word gdb expects, and narrowed back on writes.
#ifndef RAVEL_GDB_REGISTERS_H_
#define RAVEL_GDB_REGISTERS_H_

#include <sys/user.h>

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ravel::gdb {

// Everything a thread's registers are made of.
struct RegisterFile {
  user_regs_struct gpr{};
  user_fpregs_struct fpr{};
};

inline constexpr int kNumRegisters = 60;
inline constexpr size_t kRegisterFileBytes = 560;

// Size in bytes of remote register `regno`; nullopt when out of range.
std::optional<size_t> RegisterSize(int regno);
// True when `regno` lives in user_fpregs_struct (x87/SSE), false for user_regs_struct.
bool IsFpRegister(int regno);

// The raw (little-endian) bytes of one register; `regno` must be in range.
std::string ReadRegister(const RegisterFile& file, int regno);
// Stores raw bytes into one register; false when out of range or the size is wrong.
bool WriteRegister(RegisterFile& file, int regno, absl::string_view bytes);

// All registers in g-packet order (kRegisterFileBytes bytes).
std::string ReadAllRegisters(const RegisterFile& file);
// Inverse of ReadAllRegisters; false (file untouched) unless exactly kRegisterFileBytes.
bool WriteAllRegisters(RegisterFile& file, absl::string_view bytes);

// The target description served as qXfer:features:read:target.xml.
const std::string& TargetXml();

// FXSAVE's abridged tag byte (bit i: physical register i in use) to the x87 tag word
// (two bits per physical register: 0 valid, 1 zero, 2 special, 3 empty), classifying each
// in-use register from its contents; `st_space` is FXSAVE's register area (8 x 16 bytes,
// in stack order st0..st7) and `fstat` supplies the top-of-stack.
unsigned FullTagWord(unsigned abridged, unsigned fstat, const unsigned char* st_space);
// Tag word back to the abridged byte: in use unless tagged empty.
unsigned AbridgedTag(unsigned full);

}  // namespace ravel::gdb

#endif  // RAVEL_GDB_REGISTERS_H_
