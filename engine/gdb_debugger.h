// Debugging a scheduled run with gdb: `ravel replay FILE --gdbserver [HOST:]PORT` and
// `ravel run --gdbserver ...`.
//
// GdbDebugger is a Tool that wraps the run's Scheduler: every event goes to the scheduler
// as before, and the debugger adds stops for gdb on top. Where the guest stops for gdb:
//   - at the start: the first instruction of the first exec'd image (the dynamic loader's
//     entry), where gdb connects;
//   - at a breakpoint gdb inserted (Z0: an int3 in the guest, hidden from gdb's memory
//     reads), hit by any thread of the debugged process;
//   - after a single step (gdb's `stepi`, and the steps of `next` and `step`);
//   - on gdb's Ctrl-C, at the next tick (the running thread is interrupted);
//   - at the end, when the process exits or is killed (gdb sees the exit status).
// While gdb holds the guest every thread is stopped, so gdb reads any thread's registers
// and memory. Stops for gdb are not scheduling points: the schedule, and so a replay's
// checks and fingerprint, are the same as without gdb, and the real time spent at the gdb
// prompt is taken out of the scheduler's clocks (watchdog, liveness slice, --timeout).
//
// Limits: the first process only (a forked child that inherits a breakpoint has it taken
// out when it hits it); threads running in the kernel outside the scheduler's control
// (a call the scheduler lets block in the kernel) cannot be read; a single step over a
// `syscall` instruction runs to the next instruction with a temporary breakpoint (the
// call is a scheduling point and other threads may run meanwhile).
#ifndef RAVEL_ENGINE_GDB_DEBUGGER_H_
#define RAVEL_ENGINE_GDB_DEBUGGER_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "gdb/server.h"
#include "intercept/tool.h"
#include "scheduler/scheduler.h"

namespace ravel {

class GdbDebugger : public Tool {
 public:
  // `scheduler` and `server` (listening) must outlive the debugger; `executable` is what
  // gdb is told the program is (qXfer:exec-file).
  GdbDebugger(Scheduler& scheduler, gdb::Server& server, std::string executable);
  ~GdbDebugger() override;

  Subscription subscription() const override { return scheduler_.subscription(); }
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override;
  void OnThreadStart(Guest& guest) override;
  void OnThreadExit(Guest& guest, int status) override;
  void OnThreadGone(pid_t tid) override;
  void OnProcessExit(pid_t pid, int status) override;
  void OnPostExec(Guest& guest) override;
  void OnJobControl(Guest& guest, bool stopped) override { scheduler_.OnJobControl(guest, stopped); }
  void OnInterrupt(Guest& guest) override;
  int OnSignal(Guest& guest, const siginfo_t& info) override;
  void OnTick(Control& control) override;
  TscResult OnRdtsc(Guest& guest, bool rdtscp) override { return scheduler_.OnRdtsc(guest, rdtscp); }
  CpuidResult OnCpuid(Guest& guest, uint32_t leaf, uint32_t subleaf) override {
    return scheduler_.OnCpuid(guest, leaf, subleaf);
  }
  void OnProgramEntry(Guest& guest) override { scheduler_.OnProgramEntry(guest); }

  // Why gdb could not be served, if it could not (no connection in time, a broken
  // connection); empty otherwise.
  const std::string& problem() const { return problem_; }
  // gdb asked to kill the program (k, vKill).
  bool killed() const { return killed_; }

 private:
  class Target;
  enum class Temp { kNone, kStart, kStep, kStepOver };

  // Serves gdb with `guest`'s thread stopped for `stop`, until gdb continues; steps as gdb
  // asks. Returns the signal to deliver to the thread as it goes on (0: none).
  int Hold(Guest& guest, gdb::StopReport stop);
  // Runs the instruction at rip of `guest` whatever breakpoint sits there; false when the
  // step is made with a temporary breakpoint (a syscall instruction), which stops later.
  bool StepOver(Guest& guest, Temp why);
  bool Active() const { return !detached_; }
  void Detach();

  Scheduler& scheduler_;
  gdb::Server& server_;
  std::string executable_;
  std::unique_ptr<Target> target_;
  pid_t pid_ = 0;                          // the debugged process
  std::set<pid_t> threads_;                // its live threads, in creation order by tid
  std::vector<pid_t> thread_order_;
  std::map<uint64_t, uint8_t> breakpoints_;  // gdb's: address -> original byte
  // A temporary int3 of ravel's own (the start, a step over a syscall instruction).
  uint64_t temp_addr_ = 0;
  uint8_t temp_saved_ = 0;
  Temp temp_ = Temp::kNone;
  uint64_t replant_ = 0;                   // a gdb breakpoint to plant again after the temp one
  pid_t last_running_ = 0;                 // the thread of the latest syscall stop
  pid_t interrupt_tid_ = 0;                // interrupted for gdb's Ctrl-C
  Control* control_ = nullptr;             // the tracer's, while gdb is served
  bool started_ = false;
  bool detached_ = false;
  bool killed_ = false;
  std::string problem_;
};

}  // namespace ravel

#endif  // RAVEL_ENGINE_GDB_DEBUGGER_H_
