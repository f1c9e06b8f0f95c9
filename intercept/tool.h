// Tool: what a user of the interception layer writes. ravel's own commands (strace, count,
// inject, and the scheduler) are Tools.
//
// A Tool declares a Subscription once, before the guest starts; it compiles to the seccomp
// filter, so syscalls outside it never stop the guest. Each subscribed syscall reaches
// OnSyscall on a fiber of its own, with a Guest handle for that thread. The handler decides
// what the guest's syscall returns:
//
//   SyscallResult OnSyscall(Guest& guest, const Syscall& call) override {
//     if (call.nr == SYS_write) return 5;                   // elide: never runs, returns 5
//     if (call.nr == SYS_openat) {                          // modify: run another path
//       Syscall changed = call;
//       changed.args[1] = scratch_path;
//       return guest.TailInject(changed);
//     }
//     absl::StatusOr<int64_t> pid = guest.Inject(Syscall(SYS_getpid));   // inject first
//     return guest.TailInject(call);                        // then run the original
//   }
//
// Handlers run one at a time on the tracer thread; while one waits for an injected syscall
// (Inject suspends its fiber), other threads' events are handled. State: the Tool object is
// the global state (GlobalState<> gives it a call interface); per-process and per-thread
// state live in Guest::ProcessState<T>() / ThreadState<T>().
#ifndef RAVEL_INTERCEPT_TOOL_H_
#define RAVEL_INTERCEPT_TOOL_H_

#include <functional>
#include <signal.h>
#include <sys/types.h>
#include <sys/user.h>

#include <array>
#include <cstdint>
#include <optional>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "intercept/seccomp_filter.h"
#include "intercept/regs.h"
#include "intercept/syscall_table.h"

namespace ravel {

class Guest;

// A syscall as the guest made it (or as a handler wants it run).
struct Syscall {
  int64_t nr = -1;
  std::array<uint64_t, 6> args{};

  Syscall() = default;
  explicit Syscall(int64_t n, std::initializer_list<uint64_t> a = {}) : nr(n) {
    size_t i = 0;
    for (uint64_t v : a) {
      if (i < args.size()) args[i++] = v;
    }
  }
  // "openat", or "syscall_0x1c8" when unknown.
  std::string name() const;
  friend bool operator==(const Syscall& a, const Syscall& b) {
    return a.nr == b.nr && a.args == b.args;
  }
};

// What the guest's syscall returns, decided by OnSyscall. Either a value (the syscall is
// not run, or was already run by Inject, and the guest sees the value), or a tail
// injection made by Guest::TailInject (the guest runs it and sees the kernel's result).
class SyscallResult {
 public:
  SyscallResult(int64_t value) : kind_(Kind::kValue), value_(value) {}  // NOLINT: implicit on purpose
  bool is_tail() const { return kind_ == Kind::kTail; }
  int64_t value() const { return value_; }

 private:
  friend class Guest;
  enum class Kind { kValue, kTail };
  struct TailTag {};
  explicit SyscallResult(TailTag) : kind_(Kind::kTail), value_(0) {}
  Kind kind_;
  int64_t value_;
};

struct Subscription {
  SyscallSet syscalls;
  // While the guest is still one thread of one process (before its first clone, fork or
  // vfork) only these syscalls stop; the rest of `syscalls` start stopping when the first
  // thread or process is about to be created (ravel adds the full filter just before that
  // call runs, so every new thread and process has it), or when a handler calls
  // Guest::StopAllSubscribed(). A program's dynamic loading and start-up then cost no
  // stops. Unset: `syscalls` from the start. The clone family is always included.
  std::optional<SyscallSet> until_first_clone;
  bool rdtsc = false;          // RDTSC/RDTSCP trap to OnRdtsc (PR_SET_TSC)
  bool cpuid = false;          // CPUID traps to OnCpuid where the kernel offers faulting
  bool program_entry = false;  // OnProgramEntry when each exec'd image reaches its entry point
  int tick_ms = 0;             // OnTick about every tick_ms of real time (0: never)
  // Subscribed calls that never stop all the same (seccomp_filter.h).
  std::vector<SeccompExemption> exempt;

  static Subscription None() { return {}; }
  static Subscription AllSyscalls() {
    Subscription s;
    s.syscalls.set();
    return s;
  }
  Subscription& Add(int nr) {
    syscalls.set(static_cast<size_t>(nr));
    return *this;
  }
};

struct CpuidResult {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// What a trapped RDTSC or RDTSCP reads: the counter, and for RDTSCP the TSC_AUX value that
// lands in ECX (Linux puts (node << 12) | cpu there).
struct TscResult {
  uint64_t tsc = 0;
  uint32_t aux = 0;
};

// A tool's global state with a call interface: handlers send it requests through
// Guest::CallGlobal and get answers. In this backend it lives in the tracer and calls are
// direct; handlers never hold references into it across an Inject.
// What a tool may do beyond the thread whose event it handles: let another thread go on,
// or end the run. Passed to OnTick; Guest::control() gives it to handlers.
class Control {
 public:
  virtual ~Control() = default;
  // Lets a thread parked in Guest::Park() go on: its handler resumes once the current
  // event is handled. Unparking a thread that is not parked yet makes its next Park()
  // return at once.
  virtual void Unpark(pid_t tid) = 0;
  // Runs `work` where a handler unparked now would resume: once the current event is
  // handled, in order with the Unparks. For a tool that finishes a thread's call without a
  // stop (the scheduler's calls through the hand-off page) in the same order as a parked
  // handler would have.
  virtual void Post(std::function<void()> work) = 0;
  // Kills every guest process; the run ends when they are reaped.
  virtual void KillGuest() = 0;
  // Stops a guest thread where it is (PTRACE_INTERRUPT), for Tool::OnInterrupt. A thread
  // that is at another stop, or whose handler is busy with it, ignores the request: ask
  // again later if it still matters.
  virtual void Interrupt(pid_t tid) = 0;
  // For debuggers, with the thread stopped: the registers of guest thread `tid` as the
  // guest will see them when it goes on. For a thread whose handler is running or parked
  // that is the handler's view (what Guest::GetRegisters gives it), which may differ from
  // the thread's own while ravel works on its behalf. NotFound for a thread ravel does not
  // trace; an error for one that is running.
  virtual absl::StatusOr<Registers> ThreadRegisters(pid_t tid) = 0;
  // Sets them, as Guest::SetRegisters would (applied when the thread goes on).
  virtual absl::Status SetThreadRegisters(pid_t tid, const Registers& regs) = 0;
  // The same for the floating-point and vector registers, which ravel's work on a thread's
  // behalf never changes: the thread's own, stopped.
  virtual absl::StatusOr<user_fpregs_struct> ThreadFpRegisters(pid_t tid) = 0;
  virtual absl::Status SetThreadFpRegisters(pid_t tid, const user_fpregs_struct& regs) = 0;
};

template <typename Request, typename Response>
class GlobalState {
 public:
  virtual ~GlobalState() = default;
  virtual Response Receive(pid_t from_tid, const Request& request) = 0;
};

class Tool {
 public:
  virtual ~Tool() = default;

  // Fixed for the whole run (it is compiled into the guest's seccomp filter).
  virtual Subscription subscription() const { return Subscription::None(); }

  // A subscribed syscall, stopped before the kernel runs it. Default: run it unchanged.
  virtual SyscallResult OnSyscall(Guest& guest, const Syscall& call);

  // A signal about to be delivered to the guest thread. Return the signal to deliver
  // (0 suppresses it). May Inject.
  virtual int OnSignal(Guest& guest, const siginfo_t& info) { return info.si_signo; }

  // RDTSC or RDTSCP executed (subscription().rdtsc): what the guest reads. A handler: it may
  // Inject and Park (the thread stays before the instruction meanwhile). Default: the real
  // time-stamp counter and TSC_AUX.
  virtual TscResult OnRdtsc(Guest& guest, bool rdtscp);

  // CPUID executed (subscription().cpuid, where trapped). Default: the real answer.
  virtual CpuidResult OnCpuid(Guest& guest, uint32_t leaf, uint32_t subleaf);

  // The thread stopped because Control::Interrupt asked, between two instructions of its
  // own code (or in a syscall that the kernel restarts afterwards). A handler: it may
  // Inject and Park; the thread goes on where it was.
  virtual void OnInterrupt(Guest& guest) {}

  // A new thread, at its first stop, before it runs an instruction. For threads and
  // processes the guest creates this is a handler: it may Inject and Park (the thread
  // stays stopped until unparked). The run's first thread gets it as a plain callback.
  virtual void OnThreadStart(Guest& guest) {}

  // Real time passed (subscription().tick_ms). No thread is stopped for it.
  virtual void OnTick(Control& control) {}

  // The guest thread whose stop the tool expects next (0: no guess), asked while the
  // tracer polls for the next stop: asking the kernel for one thread is cheaper than for
  // any. Default: none, and the tracer asks for the thread it resumed last. A tool whose
  // threads hand the CPU to each other without the tracer (the scheduler's in-guest
  // hand-off) knows better. Must be cheap: it is asked at every poll.
  virtual pid_t ExpectedStop() { return 0; }
  // Between the tracer's polls for the next stop, while no event is being handled: the tool
  // may do work that runs beside the guest. True if it did some (the tracer then goes on
  // polling rather than sleep). Must return false when it has nothing to do.
  virtual bool OnIdle() { return false; }
  // Whether OnIdle's work may be most of what the tracer waits for (work from the guest
  // that needs no stop): while it is, many times more often than stops come, the tracer
  // asks the kernel for a stop only after several rounds of OnIdle calls, not after each
  // (a wait costs a microsecond or more on a VM, which work coming meanwhile waits out).
  // Asked once, at the start of a run.
  virtual bool PollsBesideStops() const { return false; }
  // The tracer is about to wait for the next stop in the kernel (it stops polling): the
  // tool stops listening for work from the guest that needs no stop. True if it found
  // some and did it (the tracer then polls again).
  virtual bool BeforeBlockingWait() { return false; }

  // Lifecycle. The Guest is stopped; Inject is not available in these.
  // The thread is about to exit with `status` (wait-status form); still inspectable.
  virtual void OnThreadExit(Guest& guest, int status) {}
  // A thread is gone for good (reaped): it runs nothing any more, and the kernel has done
  // its exit work, such as the CLONE_CHILD_CLEARTID write and wake-up. Not called for a
  // process's first thread, which is only reaped with its process (OnProcessExit).
  virtual void OnThreadGone(pid_t tid) {}
  // A process is gone; `status` is its wait status.
  virtual void OnProcessExit(pid_t pid, int status) {}
  // Job control: the thread entered a group-stop (SIGSTOP, SIGTSTP, ...: `stopped`), or
  // left it on SIGCONT (!`stopped`). While stopped it runs no code.
  virtual void OnJobControl(Guest& guest, bool stopped) {}
  // A successful exec: the new image is mapped, nothing of it has run yet.
  virtual void OnPostExec(Guest& guest) {}
  // The exec'd image reached its entry point (subscription().program_entry): the dynamic
  // loader is done.
  virtual void OnProgramEntry(Guest& guest) {}
};

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_TOOL_H_
