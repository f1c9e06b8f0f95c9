// An in-memory Target for the server's tests: two threads, a page of memory at 0x1000,
// registers per thread, and a log of breakpoint calls. No ptrace.
#ifndef RAVEL_GDB_FAKE_TARGET_TEST_UTIL_H_
#define RAVEL_GDB_FAKE_TARGET_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gdb/target.h"

namespace ravel::gdb {

class FakeTarget : public Target {
 public:
  static constexpr pid_t kPid = 0x64;
  static constexpr pid_t kOtherThread = 0x65;
  static constexpr uint64_t kMemoryBase = 0x1000;
  static constexpr size_t kMemorySize = 0x1000;

  FakeTarget() : memory(kMemorySize, '\0') {
    for (size_t i = 0; i < kMemorySize; ++i) memory[i] = static_cast<char>(i * 7);
    for (pid_t tid : threads) {
      user_regs_struct r{};
      r.rax = 0x1111000000000000ull + tid;
      r.rip = 0x401000 + tid;
      r.eflags = 0x246;
      r.cs = 0x33;
      r.ss = 0x2b;
      r.fs_base = 0x7f0000000000ull + tid;
      regs[tid] = r;
      user_fpregs_struct f{};
      f.cwd = 0x37f;
      f.mxcsr = 0x1f80;
      f.xmm_space[0] = 0x11223344;
      fpregs[tid] = f;
    }
  }

  std::vector<pid_t> Threads() override { return threads; }
  pid_t Pid() override { return kPid; }

  absl::StatusOr<user_regs_struct> GetRegs(pid_t tid) override {
    if (!regs.count(tid)) return absl::NotFoundError(absl::StrCat("no thread ", tid));
    return regs[tid];
  }
  absl::Status SetRegs(pid_t tid, const user_regs_struct& r) override {
    if (!regs.count(tid)) return absl::NotFoundError(absl::StrCat("no thread ", tid));
    regs[tid] = r;
    return absl::OkStatus();
  }
  absl::StatusOr<user_fpregs_struct> GetFpRegs(pid_t tid) override {
    if (!fpregs.count(tid)) return absl::NotFoundError(absl::StrCat("no thread ", tid));
    return fpregs[tid];
  }
  absl::Status SetFpRegs(pid_t tid, const user_fpregs_struct& f) override {
    if (!fpregs.count(tid)) return absl::NotFoundError(absl::StrCat("no thread ", tid));
    fpregs[tid] = f;
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadMemory(uint64_t addr, size_t len) override {
    if (addr < kMemoryBase || addr >= kMemoryBase + kMemorySize) {
      return absl::OutOfRangeError("unmapped");
    }
    const size_t offset = addr - kMemoryBase;
    return memory.substr(offset, std::min(len, kMemorySize - offset));
  }
  absl::Status WriteMemory(uint64_t addr, absl::string_view bytes) override {
    if (addr < kMemoryBase || addr + bytes.size() > kMemoryBase + kMemorySize) {
      return absl::OutOfRangeError("unmapped");
    }
    memory.replace(addr - kMemoryBase, bytes.size(), bytes.data(), bytes.size());
    return absl::OkStatus();
  }

  absl::Status InsertBreakpoint(uint64_t addr) override {
    calls.push_back(absl::StrCat("insert ", absl::Hex(addr)));
    return addr == 0 ? absl::InvalidArgumentError("no") : absl::OkStatus();
  }
  absl::Status RemoveBreakpoint(uint64_t addr) override {
    calls.push_back(absl::StrCat("remove ", absl::Hex(addr)));
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Auxv() override { return auxv; }
  std::string ExecFile() override { return exec_file; }

  std::vector<pid_t> threads = {kPid, kOtherThread};
  std::map<pid_t, user_regs_struct> regs;
  std::map<pid_t, user_fpregs_struct> fpregs;
  std::string memory;
  std::vector<std::string> calls;
  std::string auxv = std::string("\x06\0\0\0\0\0\0\0\0\x10\0\0\0\0\0\0", 16);
  std::string exec_file = "/usr/bin/guest";
};

}  // namespace ravel::gdb

#endif  // RAVEL_GDB_FAKE_TARGET_TEST_UTIL_H_
