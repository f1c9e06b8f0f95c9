// Fakes of what the scheduler's parts ask of the guest and of the tracer, for their unit
// tests (as gdb/fake_target_test_util.h is for the gdb server): a Control that records its
// calls, a process's code as a map of bytes, a stopped thread that runs a made-up program
// one instruction at a time, and a CPU clock a test sets. No ptrace, no guest.
#ifndef RAVEL_SCHEDULER_FAKE_GUEST_TEST_UTIL_H_
#define RAVEL_SCHEDULER_FAKE_GUEST_TEST_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "intercept/tool.h"
#include "scheduler/guest_access.h"
#include "scheduler/liveness.h"

namespace ravel {

// Records what the scheduler asks of the tracer.
class FakeControl : public Control {
 public:
  void Unpark(pid_t tid) override { unparked.push_back(tid); }
  void KillGuest() override { ++kills; }
  void Interrupt(pid_t tid) override { interrupted.push_back(tid); }
  absl::StatusOr<Registers> ThreadRegisters(pid_t) override { return absl::UnimplementedError("fake control"); }
  absl::Status SetThreadRegisters(pid_t, const Registers&) override { return absl::UnimplementedError("fake control"); }
  absl::StatusOr<user_fpregs_struct> ThreadFpRegisters(pid_t) override {
    return absl::UnimplementedError("fake control");
  }
  absl::Status SetThreadFpRegisters(pid_t, const user_fpregs_struct&) override {
    return absl::UnimplementedError("fake control");
  }

  std::vector<pid_t> unparked;
  std::vector<pid_t> interrupted;
  int kills = 0;
};

// A process's code: the bytes loaded, at their addresses; any other address is unmapped.
class FakeCode : public ProcessCode {
 public:
  void Load(uint64_t addr, std::initializer_list<uint8_t> code) {
    for (uint8_t byte : code) bytes[addr++] = byte;
  }
  absl::Status ReadCode(RemotePtr<uint8_t> at, uint8_t* out, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      auto it = bytes.find(at.addr() + i);
      if (it == bytes.end()) return absl::OutOfRangeError(absl::StrFormat("0x%x unmapped", at.addr() + i));
      out[i] = it->second;
    }
    return absl::OkStatus();
  }
  absl::Status PokeCode(RemotePtr<uint8_t> at, uint8_t byte) override {
    auto it = bytes.find(at.addr());
    if (it == bytes.end()) return absl::OutOfRangeError(absl::StrFormat("0x%x unmapped", at.addr()));
    it->second = byte;
    ++pokes;
    return absl::OkStatus();
  }

  std::map<uint64_t, uint8_t> bytes;
  int pokes = 0;
};

// A stopped thread of a process whose code is `code`, running a made-up program: the
// instruction at `ip` goes on to `next[ip]` (a jump is one that goes elsewhere than the
// next instruction). An instruction with no entry cannot be stepped.
class FakeThread : public SteppableThread {
 public:
  explicit FakeThread(FakeCode& code) : code_(code) {}

  absl::Status ReadCode(RemotePtr<uint8_t> at, uint8_t* out, size_t n) override { return code_.ReadCode(at, out, n); }
  absl::Status PokeCode(RemotePtr<uint8_t> at, uint8_t byte) override { return code_.PokeCode(at, byte); }
  absl::StatusOr<Registers> GetRegisters() override { return regs; }
  absl::Status SetRegisters(const Registers& r) override {
    regs = r;
    return absl::OkStatus();
  }
  absl::Status SingleStep() override {
    auto it = next.find(regs.ip());
    if (it == next.end()) return absl::FailedPreconditionError(absl::StrFormat("no instruction at 0x%x", regs.ip()));
    regs.set_ip(it->second);
    ++steps;
    return absl::OkStatus();
  }

  Registers regs;
  std::map<uint64_t, uint64_t> next;
  int steps = 0;

 private:
  FakeCode& code_;
};

// CPU time per process as a test sets it; a thread runs unless told otherwise.
class FakeCpuProbe : public CpuProbe {
 public:
  std::optional<double> ProcessCpuSeconds(pid_t pid) override {
    auto it = seconds.find(pid);
    if (it == seconds.end()) return std::nullopt;
    return it->second;
  }
  bool Running(pid_t, pid_t) override { return running; }

  std::map<pid_t, double> seconds;
  bool running = true;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_FAKE_GUEST_TEST_UTIL_H_
