// A minimal ptrace-backed Target for gdb_e2e_test: one single-threaded child process,
// started stopped at its exec, run by Continue/Step on behalf of the gdb server.
//
// It does what the real caller (ravel's replay) must do around the server:
//  - breakpoints are int3 bytes whose originals are kept here and shown by ReadMemory;
//  - after an int3 hit rip is moved back onto the breakpoint and the stop is reported
//    with `breakpoint` set;
//  - resuming from a planted breakpoint first single-steps over the original instruction.
// Every wait is bounded (kWaitLimit), and the destructor kills and reaps the child, so a
// failing test leaves no process behind. All calls must come from the thread that called
// Spawn (ptrace's tracer is a thread, not a process).
#ifndef RAVEL_GDB_PTRACE_TARGET_H_
#define RAVEL_GDB_PTRACE_TARGET_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gdb/target.h"

namespace ravel::gdb {

class PtraceTarget : public Target {
 public:
  // How long one resume may run before the child is killed.
  static constexpr absl::Duration kWaitLimit = absl::Seconds(30);

  // Forks and execs `path` under PTRACE_TRACEME; returns once it is stopped at the exec.
  static absl::StatusOr<std::unique_ptr<PtraceTarget>> Spawn(const std::string& path);
  ~PtraceTarget() override;

  // Runs the program as `resume` asks (kContinue/kStep) and returns the next stop.
  absl::StatusOr<StopReport> Run(const Resume& resume);
  void Kill();
  bool alive() const { return alive_; }

  std::vector<pid_t> Threads() override;
  pid_t Pid() override { return pid_; }
  absl::StatusOr<user_regs_struct> GetRegs(pid_t tid) override;
  absl::Status SetRegs(pid_t tid, const user_regs_struct& regs) override;
  absl::StatusOr<user_fpregs_struct> GetFpRegs(pid_t tid) override;
  absl::Status SetFpRegs(pid_t tid, const user_fpregs_struct& fpregs) override;
  absl::StatusOr<std::string> ReadMemory(uint64_t addr, size_t len) override;
  absl::Status WriteMemory(uint64_t addr, absl::string_view bytes) override;
  absl::Status InsertBreakpoint(uint64_t addr) override;
  absl::Status RemoveBreakpoint(uint64_t addr) override;
  absl::StatusOr<std::string> Auxv() override;
  std::string ExecFile() override;

 private:
  PtraceTarget(pid_t pid, int mem_fd) : pid_(pid), mem_fd_(mem_fd) {}

  // Waits for the next stop of the child, at most kWaitLimit.
  absl::StatusOr<StopReport> Wait();
  // One PTRACE_SINGLESTEP, with the planted int3 under rip (if any) lifted meanwhile.
  absl::StatusOr<StopReport> StepOnce(int signal);
  absl::Status Poke(uint64_t addr, char byte);

  pid_t pid_;
  int mem_fd_;
  bool alive_ = true;
  std::map<uint64_t, char> breakpoints_;  // address -> original byte
};

}  // namespace ravel::gdb

#endif  // RAVEL_GDB_PTRACE_TARGET_H_
