#include "scheduler/resource.h"

#include <sys/syscall.h>
#include <sys/user.h>

#include <vector>

#include "gtest/gtest.h"
#include "strategies/strategy.h"

namespace ravel {
namespace {

std::optional<uint64_t> AddressOf(std::vector<uint8_t> code, uint64_t ip, const user_regs_struct& regs) {
  return MemoryOperandAddress(code.data(), code.size(), ip, regs);
}

TEST(MemoryOperandAddressTest, BaseIndexScaleDisplacementRipAndSegment) {
  user_regs_struct regs{};
  regs.rdi = 0x601000;
  regs.rax = 0x7000;
  regs.rcx = 3;
  regs.fs_base = 0x7fff0000;
  // lock xadd %eax,(%rdi)
  EXPECT_EQ(AddressOf({0xf0, 0x0f, 0xc1, 0x07}, 0x400000, regs), 0x601000u);
  // lock cmpxchg %rdx,0x8(%rax,%rcx,8)
  EXPECT_EQ(AddressOf({0xf0, 0x48, 0x0f, 0xb1, 0x54, 0xc8, 0x08}, 0x400000, regs), 0x7000u + 3 * 8 + 8);
  // xchg %rax,0x10(%rip): from the end of the 7-byte instruction
  EXPECT_EQ(AddressOf({0x48, 0x87, 0x05, 0x10, 0x00, 0x00, 0x00}, 0x400000, regs), 0x400000u + 7 + 0x10);
  // lock incl %fs:(%rax)
  EXPECT_EQ(AddressOf({0x64, 0xf0, 0xff, 0x00}, 0x400000, regs), 0x7fff0000u + 0x7000);
}

TEST(MemoryOperandAddressTest, NoMemoryOperandOrNoInstruction) {
  user_regs_struct regs{};
  EXPECT_EQ(AddressOf({0x90}, 0x400000, regs), std::nullopt);                // nop
  EXPECT_EQ(AddressOf({0x48, 0x87, 0xc3}, 0x400000, regs), std::nullopt);    // xchg %rax,%rbx
  EXPECT_EQ(AddressOf({0x0f}, 0x400000, regs), std::nullopt);                // truncated
}

TEST(SyscallResourceTest, FutexWordsFdsAndNothing) {
  const std::array<uint64_t, 6> futex = {0x601040, 0, 1, 0, 0, 0};
  EXPECT_EQ(SyscallResource(SYS_futex, futex, 0), 0x601040u);
  const std::array<uint64_t, 6> fd3 = {3, 0, 0, 0, 0, 0};
  const uint64_t read3 = SyscallResource(SYS_read, fd3, 0);
  EXPECT_EQ(read3 & kFdResourceTag, kFdResourceTag);
  EXPECT_EQ(SyscallResource(SYS_write, fd3, 0), read3);       // the same fd of the same process
  EXPECT_NE(SyscallResource(SYS_write, fd3, 5), read3);       // another process's fd 3
  const std::array<uint64_t, 6> fd4 = {4, 0, 0, 0, 0, 0};
  EXPECT_NE(SyscallResource(SYS_read, fd4, 0), read3);
  EXPECT_EQ(SyscallResource(SYS_getpid, fd3, 0), 0u);
  EXPECT_EQ(SyscallResource(SYS_openat, fd3, 0), 0u);
}

}  // namespace
}  // namespace ravel
