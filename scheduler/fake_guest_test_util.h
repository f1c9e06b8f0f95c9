// Fakes of what the scheduler's parts ask of the guest and of the tracer, for their unit
// tests (as gdb/fake_target_test_util.h is for the gdb server): a Control that records its
// calls, a process's code as a map of bytes, a stopped thread that runs a made-up program
// one instruction at a time, a CPU clock a test sets, and fds as a test describes them.
// No ptrace, no guest.
#ifndef RAVEL_SCHEDULER_FAKE_GUEST_TEST_UTIL_H_
#define RAVEL_SCHEDULER_FAKE_GUEST_TEST_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "intercept/tool.h"
#include "scheduler/fd_waits.h"
#include "scheduler/guest_access.h"
#include "scheduler/liveness.h"

namespace ravel {

// Records what the scheduler asks of the tracer.
class FakeControl : public Control {
 public:
  void Unpark(pid_t tid) override { unparked.push_back(tid); }
  void Post(std::function<void()> work) override { posted.push_back(std::move(work)); }
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
  std::vector<std::function<void()>> posted;
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

// The fds of every process, guest or not, as a test describes them: what each is, its
// fdinfo, and whether it is ready. An fd not described is a bad one: it polls ready, as
// the kernel reports POLLNVAL at once.
class FakeFdWaitProbe : public FdWaitProbe {
 public:
  struct Fd {
    std::string target;                                     // as /proc/PID/fd/FD links it
    std::map<std::string, std::vector<std::string>> info;  // fdinfo key -> values
    bool ready = false;
  };

  bool Ready(pid_t pid, const std::vector<pollfd>& wanted) override {
    probed.push_back(pid);
    for (const pollfd& p : wanted) {
      auto it = fds.find({pid, p.fd});
      if (it == fds.end() || it->second.ready) return true;
    }
    return false;
  }
  std::string Target(pid_t pid, int fd) override {
    auto it = fds.find({pid, fd});
    return it != fds.end() ? it->second.target : "";
  }
  std::vector<std::string> InfoValues(pid_t pid, int fd, absl::string_view key) override {
    auto it = fds.find({pid, fd});
    if (it == fds.end()) return {};
    auto values = it->second.info.find(std::string(key));
    return values != it->second.info.end() ? values->second : std::vector<std::string>();
  }
  bool HeldOutside(const absl::flat_hash_set<pid_t>& guests,
                   const std::function<bool(pid_t pid, int fd, const std::string& target)>& same) override {
    for (const auto& [key, fd] : fds) {
      if (!guests.contains(key.first) && same(key.first, key.second, fd.target)) return true;
    }
    return false;
  }

  std::map<std::pair<pid_t, int>, Fd> fds;  // (pid, fd) -> what it is
  std::vector<pid_t> probed;                // the process of each Ready call, in order
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_FAKE_GUEST_TEST_UTIL_H_
