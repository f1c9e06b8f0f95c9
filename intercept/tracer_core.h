// Internal to intercept/: the tracer's thread and process records and the event loop's
// machinery, shared by tracer.cc (the loop, events), handler.cc (handler fibers, Inject,
// finishing a stop) and exec_setup.cc (what happens after each exec).
//
// Invariants:
//  - A ThreadRecord exists for every guest thread that has been announced by a clone/fork
//    event (or is the initial thread) and not yet reaped. Its address is stable.
//  - `fiber` is non-empty exactly while a handler is suspended waiting for the thread
//    (`wait` says for what); the thread is then resumed in the mode `wait` requires.
//  - `entry_regs` is the thread's register state as the guest must see it when it goes on:
//    handlers change the thread's registers freely while injecting, and the finish step
//    restores entry_regs (with the result in rax).
#ifndef RAVEL_INTERCEPT_TRACER_CORE_H_
#define RAVEL_INTERCEPT_TRACER_CORE_H_

#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <boost/context/fiber.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "intercept/guest.h"
#include "intercept/regs.h"
#include "intercept/spawn.h"
#include "intercept/tool.h"
#include "intercept/tracer.h"
#include "intercept/trampoline.h"

namespace ravel::internal {

struct ProcessRecord {
  pid_t pid = 0;
  std::shared_ptr<TrampolineMapping> trampoline;  // null until set up after exec
  int live_threads = 0;
  bool leader_reaped = false;
  int status = 0;                                 // wait status once the leader is reaped
  uint64_t entry_breakpoint = 0;                  // AT_ENTRY with an int3 planted, or 0
  uint8_t entry_saved_byte = 0;
  StateSlot tool_state;
};

// Polls (waitpid WNOHANG, about a microsecond each) before sleeping in waitpid. A guest
// that makes syscalls often stops again within microseconds; catching that stop while the
// tracer is still running saves waking it, which is most of a stop's cost on a VM
// (measured here on a getppid loop: 24.7 us per stop sleeping, 16.4 us polling first).
// A guest that computes for longer costs at most this many polls per stop.
// A tracer bound to one CPU shares it with its guests (see TracerOptions) and never
// polls: a poll would only delay the guest it waits for.
inline constexpr int kSpinPolls = 50;
// The spin polls ask for the thread resumed last: a tool that runs one thread at a time
// gets its next stop from it. Asking for one tid lets the kernel look at that task alone;
// waitpid(-1) looks at every tracee, which at hundreds of threads was a third of a step.
// Every kAnyTraceeEvery-th wait polls for any tracee first, so that another's stop (a
// thread back from a blocking call) never waits behind a busy one for long.
inline constexpr uint32_t kAnyTraceeEvery = 64;
// Between two of those polls the tool's OnIdle is asked this many times: work that comes
// from the guest without a stop (the scheduler's calls through the hand-off page) is found
// sooner than the next stop can be, as a wait costs more than a look at shared memory.
inline constexpr int kIdlePolls = 8;
// While OnIdle finds work, it is asked again without a poll between (a poll costs a
// syscall, about a microsecond on the VMs, that a call through the page would wait out),
// up to this many times in a row.
inline constexpr int kWorkRounds = 256;
// Where the tool polls beside stops (Tool::PollsBesideStops) and its OnIdle found work more
// than kSparseRatio times as often as a stop came in the last kRegimeWindow of the two, only
// every kSparsePolls-th round of OnIdle calls ends in a wait (a wait costs a microsecond or
// more on a VM, which a call through the hand-off page that comes meanwhile waits out; a
// stop then waits for a few rounds at most). A tracer that learnt of stops from SIGCHLD
// instead waited for the signal some 25 us a stop on the AMD VMs (bench/RESULTS.md,
// session 23).
inline constexpr uint32_t kRegimeWindow = 256;
inline constexpr uint32_t kSparseRatio = 8;
inline constexpr uint32_t kSparsePolls = 8;

// A GuestPrototype's process: stopped at its execve's syscall-exit stop, set up.
struct PrototypeState {
  pid_t pid = 0;
  Registers regs;           // as the exec left them (the image's first instruction)
  // Its trampoline, which every copy shares (MAP_SHARED): one run at a time uses it.
  std::shared_ptr<TrampolineMapping> trampoline;
  Subscription subscription;
  bool alive = true;        // false once it is gone (and reaped)
};

// Every GuestPrototype of this process by pid: a run must neither kill them as stray
// children nor take their statuses for a guest's.
absl::flat_hash_map<pid_t, PrototypeState*>& LivePrototypes();

enum class Wait {
  kNone,
  kSyscallExit,  // resumed with PTRACE_SYSCALL; the syscall-exit stop completes it
  kTrap,         // resumed into the trampoline; the int3 after its syscall completes it
  kParked,       // Guest::Park(): stays stopped until Control::Unpark
  kStep,         // resumed with PTRACE_SINGLESTEP; the SIGTRAP after one instruction completes it
};

enum class StopKind { kSeccomp, kSignal, kOther };

struct ThreadRecord {
  pid_t tid = 0;
  ProcessRecord* process = nullptr;
  int index = 0;                  // creation order in the run
  bool started = false;           // OnThreadStart delivered
  bool awaiting_first_stop = false;  // new clone child: its PTRACE_EVENT_STOP is still due
  bool exiting = false;           // PTRACE_EVENT_EXIT seen
  bool group_stopped = false;     // in a group-stop (job control), reported to the tool
  bool vanished = false;          // gone while a handler waited for it
  bool interrupt_requested = false;  // Control::Interrupt: its PTRACE_EVENT_STOP is due

  // Handler state.
  boost::context::fiber fiber;    // the suspended handler (empty when none)
  boost::context::fiber main;     // inside the handler: the event loop to return to
  bool in_handler = false;
  bool unpark_permit = false;     // Unpark came before Park
  Wait wait = Wait::kNone;
  StopKind stop_kind = StopKind::kOther;
  bool consumed = false;          // the stop's own syscall ran, or the registers were
                                  // repurposed for an injection
  bool regs_dirty = false;        // entry_regs differ from the thread's registers
  Registers entry_regs;
  siginfo_t signal{};             // for a signal handler

  // After PTRACE_EVENT_EXEC: the execve's syscall-exit stop is due, set up the new image there.
  bool exec_exit_pending = false;

  // The tail injection a handler asked for (TailInject), applied when it returns.
  Syscall tail;
  std::function<void(int64_t)> tail_observer;

  // Observed tail injection (trampoline stub).
  int stub = -1;
  std::shared_ptr<TrampolineMapping> stub_owner;
  std::function<void(int64_t)> capture_done;  // set while a capture is pending

  // Signals that arrived while a handler was injecting: re-sent afterwards, and their
  // original siginfo restored when they come back.
  std::deque<siginfo_t> stashed;
  std::deque<siginfo_t> redeliver;

  StateSlot tool_state;
};

class TracerCore : public Control {
 public:
  TracerCore(Tool& tool, TracerOptions options);
  ~TracerCore();

  absl::StatusOr<RunResult> Run(const std::vector<std::string>& argv);
  absl::StatusOr<RunResult> Run(PrototypeState& prototype);
  // prototype.cc: spawns `path` up to its first instruction, sets the image up, and
  // leaves it stopped there.
  absl::StatusOr<std::unique_ptr<PrototypeState>> Prepare(const std::string& path,
                                                          const std::vector<std::string>& argv);

  // ---- used by Guest (handler.cc) ----
  absl::StatusOr<int64_t> Inject(ThreadRecord& t, const Syscall& call);
  // Adds the filter of every subscribed syscall (Subscription::until_first_clone).
  absl::Status StopAllSubscribed(ThreadRecord& t);
  // nullopt: accepted as the handler's tail; a value: it had to run now (the stop's own
  // syscall slot was already used) and this is its result, for the handler to return.
  std::optional<int64_t> TailInject(ThreadRecord& t, const Syscall& call,
                                    std::function<void(int64_t)> observe);
  absl::Status SetRegisters(ThreadRecord& t, const Registers& regs);
  bool Park(ThreadRecord& t);
  absl::Status SingleStep(ThreadRecord& t);

  // Control.
  void Unpark(pid_t tid) override;
  void Post(std::function<void()> work) override;
  void KillGuest() override;
  void Interrupt(pid_t tid) override;
  absl::StatusOr<Registers> ThreadRegisters(pid_t tid) override;
  absl::Status SetThreadRegisters(pid_t tid, const Registers& regs) override;
  absl::StatusOr<user_fpregs_struct> ThreadFpRegisters(pid_t tid) override;
  absl::Status SetThreadFpRegisters(pid_t tid, const user_fpregs_struct& regs) override;

 private:
  friend class ::ravel::Guest;

  // tracer.cc: the loop and its events.
  std::vector<sock_filter> InitialFilter() const;
  // Forks the guest, seized, with the initial filter, options_' stdio and ASLR setting.
  // `cpus`: the guest's CPUs (unset: the tracer's).
  absl::StatusOr<Spawned> SpawnGuest(const std::string& path, const std::vector<std::string>& argv,
                                     const std::optional<cpu_set_t>& cpus = std::nullopt);
  absl::Status Loop();
  void HandleStatus(pid_t tid, int status);
  void HandleStop(ThreadRecord& t, int status);
  void HandleExited(pid_t tid, int status);
  void HandleNewChild(ThreadRecord& parent, int event);
  void HandleExecEvent(pid_t tid);
  void HandleSignalStop(ThreadRecord& t, int signo);
  void HandleTrap(ThreadRecord& t, const siginfo_t& info);
  bool HandleRdtscOrCpuid(ThreadRecord& t, const siginfo_t& info);
  // The thread's signal stop becomes a handler's stop: its siginfo and registers (a
  // finished injection's result resolved first) are what FinishSignal restores.
  void BeginSignalStop(ThreadRecord& t, const siginfo_t& info, Registers& regs);
  void StartThread(ThreadRecord& t);
  void StartNewThread(ThreadRecord& t);  // a clone child's first stop: OnThreadStart on a fiber
  // A handler for a stop that belongs to no syscall or signal (a new thread's first stop,
  // Control::Interrupt's): `callback` on a fiber, then the thread goes on where it was.
  void StartEventHandler(ThreadRecord& t, void (Tool::*callback)(Guest&));
  void RunReady();
  ThreadRecord& AddThread(pid_t tid, ProcessRecord* process);
  ProcessRecord& AddProcess(pid_t pid);
  void RemoveThread(ThreadRecord& t);
  void KillAll();
  void KillUntracedChildren();
  // Children of this process that no run traces (nor a live GuestPrototype's process).
  std::vector<pid_t> UntracedChildren() const;
  // Reaps the zombies of guest processes reparented to this process (the subreaper).
  void ReapOrphans();
  // Resumes a thread stopped at an event while its handler (if any) keeps waiting.
  void ResumeAfterEvent(ThreadRecord& t, int signo = 0);
  // One round of spin polls for the next stop (see kAnyTraceeEvery): a tid, or 0.
  pid_t PollForStop(int* status);
  // A run starts: its polls start dense, with an empty window (kRegimeWindow).
  void StartPolls();
  // A stop came, or OnIdle found work: the window that sets sparse_ (kRegimeWindow).
  void NoteEvent(bool stop);
  void Resume(ThreadRecord& t, int request, int signo);

  // handler.cc: fibers and finishing stops.
  void OnSeccompStop(ThreadRecord& t);
  // A guest's ptrace call (SYS_ptrace stops in every filter, see ptrace_guard.h): answered
  // here, run unseen by the tool, or handed to the tool. True when it was handled here.
  bool GuardPtrace(ThreadRecord& t, const Syscall& call);
  void StartHandler(ThreadRecord& t, std::function<void(Guest&)> body);
  void ResumeHandler(ThreadRecord& t);
  void Suspend(ThreadRecord& t);
  void FinishSyscall(ThreadRecord& t, const SyscallResult& result);
  // Lets the thread make its syscall again from the start (a new seccomp stop follows).
  void FinishRestart(ThreadRecord& t);
  void RedeliverStashed(ThreadRecord& t);
  bool EnsureStub(ThreadRecord& t);
  void FinishSignal(ThreadRecord& t, int signo);
  void CompleteWait(ThreadRecord& t);
  // Collects the pending observed result of `t`, if any. `regs` are the thread's registers
  // at the current stop (null when it is gone); returns true when it changed them (the
  // thread stopped inside its stub) and they must be written back.
  bool ResolveCapture(ThreadRecord& t, Registers* regs, bool at_seccomp_stop = false);
  void FlushCaptures();
  void ReleaseStub(ThreadRecord& t);

  // exec_setup.cc: after exec.
  void SetUpNewImage(ThreadRecord& t);
  // The layer's part: trampoline, RDTSC/CPUID trapping; sets t.entry_regs.
  void PrepareImage(ThreadRecord& t);
  // The tool's part: the entry breakpoint, OnPostExec.
  void StartImage(ThreadRecord& t);
  // prototype.cc: a copy of the prototype's process, stopped with the exec's registers.
  absl::StatusOr<pid_t> ForkPrototype(PrototypeState& prototype);
  absl::StatusOr<int64_t> SyncInject(ThreadRecord& t, const Registers& base, uint64_t site,
                                     int64_t nr, std::array<uint64_t, 6> args);
  bool HitEntryBreakpoint(ThreadRecord& t, const Registers& regs);

  Tool& tool_;
  Subscription subscription_;
  TracerOptions options_;
  boost::context::pooled_fixedsize_stack stacks_;

  absl::flat_hash_map<pid_t, std::unique_ptr<ThreadRecord>> threads_;
  absl::flat_hash_map<pid_t, std::unique_ptr<ProcessRecord>> processes_;
  absl::flat_hash_set<pid_t> early_stops_;
  std::deque<std::pair<pid_t, int>> deferred_;  // statuses reaped by a synchronous wait  // clone children stopped before their parent's event
  std::vector<ThreadRecord*> capturing_;    // threads with a pending observed result
  // Unparked threads whose handlers resume next, and posted work (tid 0), in order.
  struct Ready {
    pid_t tid = 0;
    std::function<void()> work;
  };
  std::deque<Ready> ready_;
  pid_t main_pid_ = 0;
  int next_index_ = 0;
  int main_status_ = 0;
  bool main_reaped_ = false;
  bool killing_ = false;
  // Every subscribed syscall stops (false while Subscription::until_first_clone applies).
  bool widened_ = true;
  int spin_polls_ = kSpinPolls;   // 0 when ravel runs on a single CPU
  pid_t last_resumed_ = 0;        // the tid the spin polls ask for first (0: any)
  uint32_t waits_ = 0;            // waits so far, for kAnyTraceeEvery
  bool polls_beside_ = false;     // Tool::PollsBesideStops, for this run
  bool sparse_ = false;           // waits only every kSparsePolls rounds (kRegimeWindow)
  uint32_t sparse_rounds_ = 0;
  uint32_t window_stops_ = 0;     // stops and OnIdle work in the current window
  uint32_t window_work_ = 0;
  bool warned_cpuid_ = false;
  bool warned_rdtsc_ = false;
  bool warned_trampoline_ = false;
};

// For status messages: "tid 123".
std::string Describe(const ThreadRecord& t);


// The ptrace options of every guest: follow everything, see seccomp stops and exits.
inline constexpr unsigned long kPtraceOptions =
    PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
    PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESECCOMP;

// ravel received SIGINT, SIGTERM or SIGHUP during the current run.
bool InterruptRequested();

}  // namespace ravel::internal

#endif  // RAVEL_INTERCEPT_TRACER_CORE_H_
