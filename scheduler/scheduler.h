// Scheduler: the serialising Tool. Exactly one guest thread holds the baton and runs; every
// other thread is parked at a ptrace stop, or (after a yield, with the sync shim) waits for
// its turn on a futex word in its process's hand-off page (handoff.h). At each scheduling point (every syscall entry)
// the strategy picks which runnable thread runs next, by logical id (0 = the first thread,
// then creation order; never a tid).
//
// Policy, in one place:
//  - A thread that reaches a point and is not picked stays parked, runnable.
//  - Blocking syscalls never block for real while their thread holds the baton:
//      futex WAIT/WAKE/REQUEUE/CMP_REQUEUE/WAKE_OP and the *_BITSET forms are emulated
//        (waiters park in the scheduler; keys as the kernel's: private by process and
//        address, shared by mapped object and offset);
//      nanosleep/clock_nanosleep and futex timeouts wait on a virtual clock, which jumps to
//        the next deadline when nothing can run (a 10 s sleep costs no real time);
//      clock_gettime/gettimeofday/time answer from the virtual clock (realtime starts at the
//        run's real start time; the vDSO is hidden
//        from each exec'd image so that glibc makes the syscalls);
//      read/write-like calls on an fd are probed first (poll on a duplicate of the guest's
//        fd, timeout 0): not ready = the thread blocks until a probe says ready;
//      poll/ppoll/select/pselect6/epoll_wait/epoll_pwait(2) are probed with a zero timeout
//        (the kernel's own answer) and otherwise wait on their fds and a virtual deadline;
//      wait4/waitid are probed with WNOHANG and block until a child ends, stops or continues;
//      a blocked thread with a signal to take is woken: emulated waits return EINTR, the
//        others run their call in the kernel, which returns or restarts it as natively;
//      other calls that may block (pause, sigsuspend, flock, System V IPC, vfork, ...) run
//        in the kernel with the baton handed on, with a one-time warning; their thread
//        rejoins at its next point. They, and the watchdog below, are the only sources of
//        nondeterminism.
//  - Fd waiters are probed again at the point after any call that may make an fd ready (a
//    write, send, close, connect, kill, a process's end) and at every yield, so a writer
//    that goes on running (or spins) still wakes its reader at a fixed step.
//  - When no thread can run: wake fd waiters whose probe now says ready, and threads with a
//    signal to take; else, if a process's end is still to be reported or a call is running
//    (not asleep) in the kernel, wait for that event; else jump the clock to the next
//    deadline; else, if a call is asleep in the kernel or an fd waits for the outside
//    world, wait in real time; else it is a deadlock: the run fails, with a report of what
//    each thread waits on. A thread with a fatal signal, a process in exit and a child
//    not yet reported are never counted as blocked.
//  - Watchdog: the baton holder asleep in one syscall for 0.25 s of real time (a call the
//    scheduler does not know can block, e.g. open() of a FIFO) loses the baton, so that a
//    run never hangs on it; this is recorded as an external event.
//  - Inputs made deterministic: getrandom, reads of /dev/urandom and /dev/random, and
//    AT_RANDOM come from the seed (the strategy's data stream); ASLR is turned off by the
//    command line.
//  - Sync points (--preempt sync): the preloaded shim's marker syscall before each pthread
//    synchronisation call is a scheduling point of its own (step "sync"), answered 0 and
//    never run; its reports after acquisitions keep who holds which lock, which deadlock
//    reports name.
//  - Time chaos (SchedulerOptions::time_chaos): before a pick, the strategy may let the
//    clock jump to the next deadline although threads could run: those threads are
//    descheduled, as on a loaded machine, for the time skipped. Plausibly so: a thread
//    that stays runnable is delayed by a jump once, by at most kChaosHorizonNs (100 ms),
//    until it blocks; a jump that would exceed this for any runnable thread is not
//    offered. So a hang guard (a 30 s join timeout, a 2 s barrier timeout, a watchdog
//    timer) does not fire while the threads it guards could run.
//  - Fairness (scheduler/fairness.h): a thread that yields, sleeps or waits with a timeout
//    again and again lets the threads that waited meanwhile run first, whatever the
//    strategy, so endless daemon threads cannot starve the rest.
//  - Atomic points (SchedulerOptions::atomic_points): an int3 on each atomic instruction
//    of the executable; a thread about to run one reaches a point.
//  - Liveness preemption: a baton holder that runs 0.2 s of CPU time in user space without
//    a point is interrupted and preempted there (a "preempt" step, recorded with its instruction
//    and register hash; a replay finds the same instruction and registers with an int3).
//  - CPU affinity is virtual: one thread runs at a time whatever CPUs the guest may use,
//    and ravel may bind a run to one CPU (stress does), so sched_getaffinity answers with
//    SchedulerOptions::cpus (or what sched_setaffinity set for the thread; new threads
//    inherit their creator's), and sched_setaffinity changes only that answer.
// The fingerprint is XXH3-64 over the per-step stream (logical id, syscall number, and the
// results the scheduler itself produced), so two runs with the same seed that took the
// same decisions have the same fingerprint.
#ifndef RAVEL_SCHEDULER_SCHEDULER_H_
#define RAVEL_SCHEDULER_SCHEDULER_H_

#include <poll.h>
#include <sched.h>
#include <sys/time.h>
#include <sys/types.h>

#include <cstdint>
#include <array>
#include <functional>
#include <memory>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "scheduler/thread_table.h"
#include "absl/container/flat_hash_set.h"
#include <xxhash.h>
#include "intercept/guest.h"
#include "intercept/tool.h"
#include "scheduler/atomics.h"
#include "scheduler/cpu_model.h"
#include "scheduler/deadlock_report.h"
#include "scheduler/fairness.h"
#include "scheduler/fd_waits.h"
#include "scheduler/handoff.h"
#include "scheduler/lease.h"
#include "scheduler/futex_table.h"
#include "scheduler/liveness.h"
#include "scheduler/lock_holdings.h"
#include "scheduler/planted_sites.h"
#include "scheduler/random_devices.h"
#include "scheduler/timer_table.h"
#include "scheduler/virtual_clock.h"
#include "strategies/strategy.h"

namespace ravel {

// The scheduler's model: which decisions it offers a strategy, given the same guest. A
// schedule records it ("option model N"); a replay of another model may diverge, and says
// so. 1: the first (no "model" option). 2: the time chaos horizon and fairness.
inline constexpr int kSchedulerModel = 2;
// The virtual TSC's frequency (SchedulerOptions::virtual_tsc): 1 GHz, one tick per
// virtual nanosecond.
inline constexpr uint64_t kVirtualTscHz = 1000000000ull;

// Time chaos never keeps a runnable thread waiting for longer than this, in all, until it
// blocks. A thread descheduled for a few milliseconds to 100 ms is what a loaded CI machine
// does often, and what makes tests that order threads with short sleeps flaky; a thread
// held back for half a second or more is rare enough that tests rely on it not happening
// (GLib's main-loop tests give a worker 500 ms), and longer is a hang guard's false alarm.
inline constexpr uint64_t kChaosHorizonNs = 100000000ull;
// ... and delays it once: one descheduling between two blocks is what a loaded machine
// does to a thread; a thread held back at every few calls is not plausible (and turns a
// tolerance such as "one item out of order" into a false failure).
inline constexpr int kChaosDelaysPerStretch = 1;

// A thread that reads the clock this many times in a row, with no other call between, is
// polling it ("run for one second", "wait until the deadline"): each further read moves
// the clock on by twice as much as the one before, up to kClockPollMaxNs. Natively such a
// loop spins millions of times a second; at one step quantum per read it would take a
// million steps to see a second pass.
inline constexpr uint64_t kClockPollReads = 64;
inline constexpr uint64_t kClockPollMaxNs = 1000000;


// Watches a run from inside (ravel explain, --trace): called on the tracer thread, in the
// run's order. The Guest of a call is its thread, stopped at its point; the other threads
// are parked at their points (or running in the kernel). An observer must not change the
// run: reading registers and memory is fine; resuming, injecting or writing is not.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // Thread `thread` exists, at its first stop.
  virtual void OnThreadStart(Guest& guest, ThreadId thread) {}
  // `thread` made step `step` (replay/schedule.h's StepEvent): `what` is a syscall number,
  // with `call` the call, or a StepWhat code (strategies/strategy.h) (a sync step's `call` is the shim's marker:
  // args[1] the operation, args[2] the object).
  virtual void OnStep(Guest& guest, uint64_t step, ThreadId thread, int64_t what, const Syscall* call) {}
  // The baton goes from `from` (kNoThread: none held it) to `to`; `steps` made so far.
  virtual void OnBaton(uint64_t steps, ThreadId from, ThreadId to) {}
  // A futex wake made by `waker` (kNoThread: none) released `wakee`.
  virtual void OnWake(uint64_t steps, ThreadId waker, ThreadId wakee) {}
  // `thread` is about to exit.
  virtual void OnThreadExit(ThreadId thread) {}
};

struct SchedulerOptions {
  uint64_t seed = 0;
  RunHistory history;
  double timeout_seconds = 0;          // real time for the whole run; 0 = none
  uint64_t step_quantum_ns = 1000;     // virtual time that passes at each step
  bool log_decisions = false;          // "switch T1 -> T2 (reason)" at INFO level
  // A thread picked this many times in a row while others could run counts as spinning:
  // its next point carries a yield hint, so a busy loop cannot starve the others forever.
  uint64_t spin_steps = 2000;
  // Called at every step, once the step is mixed into the fingerprint: its index (0, 1,
  // ...), the thread, what it is (a syscall number), and the fingerprint so far. This is
  // how a run is recorded and a replay checked. Returning false stops the run: the guest
  // is killed and stopped() is true.
  std::function<bool(uint64_t step, ThreadId thread, int64_t what, uint64_t fingerprint)> on_step;
  // Time chaos (--preempt time): at a point where some thread waits for a deadline, the
  // strategy may let the virtual clock jump to it although threads could still run (a
  // thread descheduled on a loaded machine). Off: time jumps only when nothing can run.
  bool time_chaos = false;
  // RDTSC/RDTSCP trap (where the machine can: Guest::HasRdtscInterception) and read a
  // virtual time stamp counter: kVirtualTscHz ticks per virtual second of CLOCK_MONOTONIC.
  // Each read lets one step quantum of virtual time pass (a loop that waits for the counter
  // to move on gets there) and, once the guest has more than one thread, is a scheduling
  // point (an "rdtsc" step); RDTSCP's
  // TSC_AUX is the thread's virtual CPU, as getcpu says. Off: the guest reads the host's
  // counter.
  bool virtual_tsc = false;
  // CPUID traps (where the kernel offers CPUID faulting: Guest::HasCpuidInterception) and
  // is answered from a fixed model (scheduler/cpu_model.h): `cpu_model` for the leaves it
  // has (a replay's recording), else the host's answer without what varies between runs.
  bool virtual_cpuid = false;
  std::optional<CpuModel> cpu_model;
  // Atomic points (--preempt atomic): an int3 on every LOCK-prefixed instruction and XCHG
  // with memory of each exec'd executable; a thread about to run one reaches a point.
  bool atomic_points = false;
  // Spin points (--preempt spin): an int3 on the head of every spin loop of each exec'd
  // executable (FindSpinLoopHeads: a loop that only reads memory and compares); each pass
  // through it is a point and a yield, so a thread that waits for a flag lets the others
  // run at a step the seed decides, not after a real-time slice.
  bool spin_points = false;
  // The fast path for sync points (scheduler/lease.h): the same decisions, fewer stops.
  bool fast_path = true;
  // ... and in these shared libraries too (a path, or a file name such as libfoo.so,
  // which also matches libfoo.so.1), when they are mapped (at start-up or by dlopen).
  std::vector<std::string> atomic_modules;
  // The CPUs the guest sees as its affinity (see above). Unset: the affinity of the
  // process that creates the Scheduler.
  std::optional<cpu_set_t> cpus;
  // Replay: the recorded run's liveness preemptions, in step order.
  std::vector<ForcedPreemption> preemptions;
  // Not owned; may be null.
  RunObserver* observer = nullptr;
};

enum class Outcome { kPass, kFail, kDeadlock, kTimeout };

class Scheduler : public Tool {
 public:
  Scheduler(Strategy& strategy, SchedulerOptions options);
  ~Scheduler() override;

  Subscription subscription() const override;
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override;
  void OnThreadStart(Guest& guest) override;
  void OnThreadExit(Guest& guest, int status) override;
  void OnThreadGone(pid_t tid) override;
  void OnProcessExit(pid_t pid, int status) override;
  void OnPostExec(Guest& guest) override;
  void OnJobControl(Guest& guest, bool stopped) override;
  void OnInterrupt(Guest& guest) override;
  int OnSignal(Guest& guest, const siginfo_t& info) override;
  void OnTick(Control& control) override;
  // The baton holder; under a plan, the thread the plan has given the CPU to by now.
  pid_t ExpectedStop() override;
  // Takes the calls made through the hand-off pages (page_calls.cc), and while a plan is
  // out, accounts for the yields made so far and extends the plan.
  bool OnIdle() override;
  // With the fast path: calls through the hand-off pages come far more often than stops.
  bool PollsBesideStops() const override { return options_.fast_path && options_.observer == nullptr; }
  // Closes the door of the calls through the page; takes a call that came meanwhile.
  bool BeforeBlockingWait() override;
  // (options.virtual_tsc) The virtual TSC; see clock.cc.
  TscResult OnRdtsc(Guest& guest, bool rdtscp) override;
  // (options.virtual_cpuid) The virtual CPU; see cpu_model.h.
  CpuidResult OnCpuid(Guest& guest, uint32_t leaf, uint32_t subleaf) override;

  // The run was held still for `seconds` of real time (at a debugger's prompt): the real
  // time checks (watchdog, liveness slice, timeout) do not count it.
  void PauseClocks(double seconds) {
    last_step_at_ += seconds;
    started_at_ += seconds;
  }

  uint64_t steps() const { return steps_; }
  // Points where more than one thread could run: what strategies count as steps (PCT's k).
  uint64_t choices() const { return choices_; }
  int threads_created() const { return next_id_; }
  uint64_t fingerprint() const;
  // RDTSC/RDTSCP reads answered with the virtual TSC.
  uint64_t rdtsc_points() const { return rdtsc_points_; }  // RDTSC/RDTSCP reads that were points
  bool deadlocked() const { return deadlocked_; }
  bool timed_out() const { return timed_out_; }
  // on_step asked to stop.
  bool stopped() const { return stopped_; }
  // Things that happened outside the scheduler's control, in step order: a call that
  // blocked in the kernel with the baton ("blocked-in-kernel", moved on by the watchdog),
  // a thread let into the kernel to wait for input from outside ("external-input").
  struct ExternalNote {
    uint64_t step;
    ThreadId thread;
    std::string kind;    // "preempt", "external-input", "blocked-in-kernel"
    std::string detail;  // the call, for the last two
    uint64_t rip = 0;       // "preempt": where the thread was stopped
    uint64_t reg_hash = 0;  // "preempt": RegisterHash of its registers there
  };
  const std::vector<ExternalNote>& external_events() const { return external_; }
  // Liveness preemptions of the run: a thread that ran for a time slice without reaching
  // a scheduling point (a spin on a plain flag) was interrupted so that others could run.
  int liveness_preemptions() const { return liveness_.preemptions(); }
  // Sync points made under a lease, without a stop (the fast path).
  uint64_t leased_points() const { return leased_points_; }
  // Yields made under a plan, without a stop (the in-guest hand-off, handoff.h).
  uint64_t planned_points() const { return planned_points_; }
  // Sync points made in a plan's turns, without a stop (sync_marker.h, "Markers under a plan").
  uint64_t planned_markers() const { return planned_markers_; }
  // Futex calls made in a plan's turns, without a stop (sync_marker.h, "Futex calls under a
  // plan").
  uint64_t planned_futex() const { return planned_futex_; }
  uint64_t planned_resumes() const { return planned_resumes_; }
  // Yields after which the thread waited for its turn in the guest, not at a ptrace stop.
  uint64_t guest_waits() const { return guest_waits_; }
  // Futex calls and yields made through the hand-off page, without a stop.
  uint64_t page_calls() const { return page_calls_; }
  // One line per thread: what it waits on, and its last syscall.
  const std::string& deadlock_report() const { return deadlock_report_; }

 private:
  using State = ThreadState;  // (scheduler/thread_table.h)
  enum class Block { kNone, kFutex, kSleep, kFd, kChild, kSignal, kVfork };
  // Why a blocked thread became runnable again.
  enum class Woke { kNone, kEvent, kTimeout, kSignal, kExternal };


  struct Thread {
    ThreadId id = kNoThread;
    pid_t tid = 0;
    pid_t pid = 0;
    ThreadStateField state;  // changed by SetState only
    Block block = Block::kNone;
    // Futex wait (the queues are futex_table_'s): the first futex, as the guest named it
    // (for reports).
    uint64_t futex_addr = 0;
    // Virtual monotonic time. Set only while the thread is not blocked (before it blocks):
    // SetState keeps the blocked ones that have one in timed_.
    std::optional<uint64_t> deadline_ns;
    // Signals the call itself leaves unblocked while it waits (ppoll, pselect6,
    // epoll_pwait); otherwise the thread's mask applies.
    std::optional<uint64_t> wait_sigmask;
    // Signal waits (sigtimedwait, sigwaitinfo): these signals, blocked or not, end the wait.
    std::optional<uint64_t> wait_sigset;
    Woke woke = Woke::kNone;
    int64_t wake_result = 0;
    uint64_t clear_child_tid = 0;
    // Exited, and its joiners are to be woken once the kernel has cleared its tid (when
    // the thread is reaped); it keeps the baton until then.
    bool exit_pending = false;
    int exit_pending_ticks = 0;
    int64_t last_syscall = -1;
    cpu_set_t cpus;                        // its virtual affinity
    // Time chaos: virtual time skipped by jumps while it could run, since it last blocked.
    uint64_t chaos_lag_ns = 0;
    int chaos_delays = 0;  // ... and how many jumps that took
    // Clock reads in a row with no other call between them (a loop that polls the clock).
    uint64_t clock_streak = 0;
    // A vfork child: its parent, blocked until this thread execs or exits.
    ThreadId vfork_parent = kNoThread;
    // Its RavelLease in the guest (the shim names it with each marker; 0: not yet), and
    // whether a lease may be out there (granted, or entries to account for).
    uint64_t lease_addr = 0;
    // Where its lease's state is (the marker's sixth argument: in its slot of the page,
    // RavelHandoffPage::lease_state, or at lease_addr).
    uint64_t lease_state_addr = 0;
    bool lease_out = false;
    bool lease_tid_written = false;  // its tid, into the RavelLease at lease_addr
    // The in-guest hand-off (handoff.h): its slot in its process's page (-1: none), where
    // the shim keeps it (its TLS), and whether it waits for its turn in the guest (then it
    // is runnable and has no handler parked: its turn comes through its word).
    int32_t slot = -1;
    uint64_t slot_addr = 0;
    bool waits_in_guest = false;
    // A call it made through the page (page_calls.cc) that is not answered yet: kEntry, its
    // point is decided and the call runs once the thread has the baton again; kWait, a
    // futex wait, blocked until a wake, then answered once it has the baton. It waits in
    // the guest meanwhile (waits_in_guest). `page_mask`: a futex wait's own signal mask.
    enum class PageCall { kNone, kEntry, kWait };
    PageCall page_call = PageCall::kNone;
    Syscall page_syscall;
    uint64_t page_mask = 0;
  };

  // scheduler.cc: the baton.
  Thread& Lookup(Guest& guest);
  // `t` (running, `guest`) makes a step: `nr` is a syscall number (`call` is the call) or a
  // StepWhat code (a sync step's `call` is its marker).
  void Step(Guest& guest, Thread& t, int64_t nr, PointKind kind, const Syscall* call = nullptr);
  // The same, for a point accounted for later (the guest is not at it: no observer).
  void StepAt(Guest* guest, Thread& t, int64_t nr, PointKind kind, const Syscall* call);
  // At a point of `t` (running): let the strategy pick; park `t` if another runs.
  bool Reschedule(Guest& guest, Thread& t, const SchedulingPoint& point);
  // Reschedule's decision, without handing the baton on: which thread runs after `point`
  // (the strategy's pick among the runnable threads fairness allows). Keeps the point and
  // the choices in decided_ and decided_runnable_.
  ThreadId Decide(Thread& t, const SchedulingPoint& point);
  // A process's number that is the same in every run: its first thread's logical id.
  int ProcessNumber(const Thread& t) const;
  SchedulingPoint StepPoint(const Thread& t, PointKind kind, int64_t nr = -1, bool yield_hint = false,
                            uint64_t resource = 0) const;
  // `t` stops running (blocked, exited, in the kernel): hand the baton on.
  void HandOff(const SchedulingPoint& point);
  // The same, for a point at the current step reached by `current` (kNoThread: none).
  void HandOffFrom(ThreadId current, PointKind kind = PointKind::kSyscall, int64_t nr = -1);
  // Park `t` (blocked or runnable) until the baton comes back to it. False if it vanished.
  bool WaitForBaton(Guest& guest, Thread& t);
  // `t` (running) stops at a call of `nr` for `why` (its wait details already set): hand
  // the baton on and wait for it back. False if the thread vanished meanwhile.
  bool BlockAndWait(Guest& guest, Thread& t, Block why, int64_t nr, PointKind kind = PointKind::kSyscall);
  // `plan`: the holder-to-be waits in the guest, and this is a yield's decision, after
  // which nothing else changes: plan its next yields (PlanYields) before it goes on.
  void GiveBaton(ThreadId id, const char* reason, bool plan = false);
  std::vector<ThreadId> Runnable() const;
  // The threads of `runnable` fairness holds back now (never all of them), ascending.
  std::vector<ThreadId> HeldBack(absl::Span<const ThreadId> runnable);
  // `t` takes the baton that nobody holds (back from the kernel, or the first thread).
  void TakeBaton(Thread& t);
  // A whole process is ending (exit_group, or a fatal signal): its threads are settled now,
  // in id order, whatever order their exit events arrive in. True if one held the baton.
  bool SettleProcessExit(pid_t pid);
  uint64_t ChoiceStep(size_t runnable);
  void ReportDeadlock();
  // The baton holder (`guest`) waits until every process that ended for the scheduler has
  // been reported by the kernel: what that report wakes (a parent in wait4, a poll on a
  // pidfd, a pipe's reader) then wakes at this step in every run. False if it vanished.
  bool AwaitExits(Guest& guest);
  // A thread in the kernel is running there, or stopped with an event on its way: the
  // next event comes soon, so the clock must not jump ahead of it.
  bool KernelBusy() const;
  // The baton holder has been asleep in a syscall for too long: the baton moves on.
  void Watchdog();
  // At a tick: liveness_ decides whether the baton holder, spinning in user space for a
  // slice of CPU time without a point, is interrupted (OnInterrupt then makes the point).
  void PreemptSpinner();
  // The liveness preemption point of `t` at `regs` (a step "preempt").
  void PreemptAt(Guest& guest, Thread& t, const Registers& regs);
  // Replay: plants the int3 of the next forced preemption (liveness_'s plan) when its step
  // is next.
  void PlantForcedPreemption();
  // atomics.cc (with FindAtomicInstructions): plants the int3s of the exec'd image of
  // `guest`'s process; and the point at one, with the step over it.
  void PlantAtomics(Guest& guest);
  bool AtomicTrap(Guest& guest, const Registers& regs);
  // An mmap with PROT_EXEC of a file: when it is one of options_.atomic_modules, runs it
  // and plants the int3s of the mapped segment.
  SyscallResult MapModule(Guest& guest, const Syscall& call);
  void PlantSites(Guest& guest, const AtomicSites& sites, uint64_t bias, uint64_t lo, uint64_t hi);
  const AtomicSites* Scan(const std::string& path);  // cached; null (and a warning) when unreadable
  void Mix(uint64_t value);

  // A blocked thread becomes runnable.
  void Wake(Thread& t, Woke why);
  // `t` (running) waits on `keys` (futex_addr names the first) until a wake, its deadline
  // or a signal.
  bool FutexWait(Guest& guest, Thread& t, const Syscall& call, const std::vector<FutexKey>& keys, uint32_t bitset);
  // The waiters futex_table_ has for `key`, less any that no longer wait (none should).
  std::vector<FutexTable::Wakeable> FutexWaiters(const FutexKey& key, uint32_t bitset);

  // syscalls.cc: what a call does once its point is decided (its thread holds the baton),
  // by syscall number. Each family's handler is registered in one table; a call with no
  // handler runs in the kernel as it is.
  using Handler = SyscallResult (Scheduler::*)(Guest& guest, Thread& t, const Syscall& call);
  void RegisterHandlers();
  void Register(std::initializer_list<int64_t> nrs, Handler handler);
  std::array<Handler, 512> handlers_{};
  // The handlers with no family file of their own.
  SyscallResult Yield(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult Mmap(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult ExitGroup(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult SetTidAddress(Guest& guest, Thread& t, const Syscall& call);
  // clone/clone3 (a vfork-like one goes to Vfork): runs it and waits for the child's start.
  SyscallResult Clone(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult Close(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult Read(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult Receive(Guest& guest, Thread& t, const Syscall& call);  // readv, recv*, accept*
  SyscallResult Send(Guest& guest, Thread& t, const Syscall& call);     // write, writev, send*
  SyscallResult MqSend(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult MqReceive(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult RandomBytes(Guest& guest, Thread& t, const Syscall& call);  // getrandom
  SyscallResult SleepsInKernel(Guest& guest, Thread& t, const Syscall& call);  // InKernel, unmodelled

  // futex.cc
  SyscallResult Futex(Guest& guest, Thread& t, const Syscall& call);
  FutexKey KeyOf(const Thread& t, uint64_t addr, bool shared);
  int WakeFutex(const FutexKey& key, uint32_t bitset, int n);
  // futex_waitv: waits on up to 128 futexes at once, as FUTEX_WAIT does on one.
  SyscallResult FutexWaitv(Guest& guest, Thread& t, const Syscall& call);
  int RequeueFutex(const FutexKey& from, const FutexKey& to, uint64_t to_addr, int wake, int requeue);

  // clock.cc
  SyscallResult Clock(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult Sleep(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult Getrandom(Guest& guest, const Syscall& call);
  SyscallResult Affinity(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult GetCpu(Guest& guest, Thread& t, const Syscall& call);
  // Whether some thread waiting on fds might be woken by the outside world (FdWaits).
  bool FdWaitersFedFromOutside();
  static int VirtualCpu(const Thread& t);
  // sync.cc: the sync shim's markers: a scheduling point, or who holds which lock.
  SyscallResult SyncMarker(Guest& guest, Thread& t, const Syscall& call);
  // How a marker reached the scheduler: at its stop or through the page, or logged without
  // a stop under a lease or in a plan's turn (then only accounted for: its pick must be t).
  enum class MarkerVia { kStop, kLease, kPlan };
  // A sync point or report (`call` a marker): its bookkeeping, step and decision.
  // `guest` null: a marker made through the hand-off page (page_calls.cc), or one logged
  // (kLease, kPlan), which is only accounted for. False for a report (no point).
  bool SyncOp(Guest* guest, Thread& t, const Syscall& call, MarkerVia via);
  // The marker call a logged entry stands for (a lease's or a plan's turn's), as the shim
  // would have made it.
  static Syscall LoggedMarker(const Thread& t, int64_t op, uint64_t object, uint64_t other);

  // lease.cc: the fast path for sync points (scheduler/lease.h).
  // At a sync point where `t` goes on: let it make its next points without a stop.
  void GrantLease(Thread& t);
  // Every thread but `t` is parked here (runnable or blocked): none is in the kernel,
  // starting, stopped or exiting, so only `t` can change what a pick sees.
  bool OthersParked(const Thread& t) const;
  // The clock's part of LeaseLimits (now, quantum, next deadline, time chaos).
  LeaseLimits TimeLimits() const;
  // At any stop of the thread of `guest`, first: account for what it did under a lease.
  void DrainLease(Guest& guest);
  // The same for thread `t` (`guest`: its stop, if it is at one).
  void DrainLeaseOf(Thread& t, Guest* guest);

  // handoff.cc: the in-guest hand-off (handoff.h).
  // The shim's page of `t`'s process (a marker RAVEL_SYNC_HANDOFF_REGISTER).
  SyscallResult RegisterHandoff(Guest& guest, Thread& t, const Syscall& call);
  // A sched_yield made as a marker (RAVEL_SYNC_YIELD): the step of a sched_yield syscall,
  // answered RAVEL_HANDOFF_PARK when `t` is not picked and can wait in the guest.
  SyscallResult YieldMarker(Guest& guest, Thread& t, const Syscall& call);
  // A yield's step (its thread `t` at a stop of `guest`, or through the page: null), as a
  // sched_yield syscall's; its point.
  SchedulingPoint YieldStep(Guest* guest, Thread& t);
  // Whether `t` can wait for its turn in the guest.
  bool CanWaitInGuest(const Thread& t);
  // Writes a plan for the next yields from `holder`, which is about to go on, where the
  // picks can be known in advance: at its yield, or at the answer to its call through the
  // page (not while it has a lease out: the lease's points come first, at its next stop).
  enum class PlanFrom { kYield, kAnswer };
  void PlanYields(Thread& holder, PlanFrom from = PlanFrom::kYield);
  // A plan made `from` there made `made` points without a stop (0: none could be made): the
  // windows below.
  void NotePlan(PlanFrom from, uint64_t made);
  // The points made under plans so far: yields, markers and futex calls; and the futex waits
  // resumed in plans' turns (no points, but calls through the page saved).
  uint64_t PlannedSoFar() const { return planned_points_ + planned_markers_ + planned_futex_ + planned_resumes_; }
  // The picks of up to `n` more yields of the plan (plan_sim_), appended to plan_; their
  // slots. Fewer once a pick is one the plan cannot make (plan_sim_->ended).
  std::vector<uint32_t> SimulateYields(uint64_t n);
  // The points `holder` may log in its turn under the plan being simulated, its streak of
  // picks being `streak` when the turn starts (sync_marker.h, "Markers under a plan");
  // reserves them within the plan's bound.
  uint32_t TurnPoints(ThreadId holder, uint64_t streak);
  // Writes the futex words `pid`'s threads wait on into its page, for the plan about to be
  // published (sync_marker.h, "Futex calls under a plan").
  void WriteWaited(RavelHandoffPage* page, pid_t pid);
  // Accounts for the markers plan_[turn] logged in its turn, as at their stops: those its
  // log has (or the `sealed` count DrainPlan read when it sealed the log).
  static constexpr uint32_t kNoSeal = ~0u;
  void AccountTurnMarkers(uint64_t turn, uint32_t sealed);
  // Accounts for the plan's yields up to the `made`-th, as at a stop.
  void AccountPlanned(uint64_t made);
  // At any event, first: takes the plan back and accounts for the yields made under it.
  void DrainPlan();
  // A signal stopped `t` between the swap that made its planned yield and the wake of the
  // next thread (sync_marker.h, `yield_window`): lets that thread go, as the shim would
  // have, and moves `t` on past its wake, where it waits for its turn.
  void FinishHandOn(Guest& guest, const Thread& t);
  // A signal stopped `t`, which waited in the guest: it waits for the baton at this stop
  // instead, and takes the signal once it has it.
  int SignalWhileWaitingInGuest(Guest& guest, Thread& t, const siginfo_t& info);
  // A marker names `t`'s RavelLease at `addr` (0: none), its state at `state_addr` (0: in
  // the RavelLease): the first time, its tid goes there.
  void NoteLease(Thread& t, uint64_t addr, uint64_t state_addr);
  // t's lease state through the scheduler's mapping of its process's page, where the shim
  // keeps it there; null otherwise (it is read and written in the guest's memory).
  uint64_t* LeaseStateInPage(const Thread& t);
  // A fork's child (`child`, of `parent`'s process) starts with its parent's shim state:
  // it is given none, so that it registers a page of its own.
  void ForkedHandoff(Guest& child, const Thread& parent);
  // page_calls.cc: calls through the page (preempt/sync_marker.h).
  // Opens the door of the baton holder's process (closes any other), or with `close` every
  // door; takes a call waiting at one. True if it took one.
  bool ServeDoor(bool close);
  // At any stop, after DrainPlan: a call waiting at the door was made before the stop (its
  // thread, a signal's stop for one, cannot have stopped otherwise meanwhile): take it first.
  // True if there was one.
  bool TakeWaitingCall();
  // The call in `slot` of `pid`'s page: taken as the step its syscall would be, or answered
  // RAVEL_HANDOFF_RETRY when it cannot be taken here.
  void TakePageCall(pid_t pid, RavelHandoffPage* page, int32_t slot);
  void PageYield(Thread& t);
  void PageFutex(Thread& t, const Syscall& call, uint64_t mask);
  // A futex call's step through the page or in a plan's turn (`via`: for the log), as at
  // its stop; its point.
  SchedulingPoint FutexStep(Thread& t, const Syscall& call, const char* via);
  // The futex calls of `t` on `addr` logged in its turn under a plan (sync_marker.h, "Futex
  // calls under a plan"), accounted for as PageFutex and RunPageFutex take them. A wake
  // (`logged`: its count, and the threads the shim answered it woke); a wait (its value, and
  // whether it blocked), after which the turn's hand-off is PlannedBlockHandOff's.
  void LoggedWake(Thread& t, uint64_t addr, uint64_t logged);
  void LoggedWait(Thread& t, uint64_t addr, uint64_t logged);
  // The rest of `t`'s futex wait through the page, which a plan let it make in its turn
  // (sync_marker.h, "Waits resumed under a plan"): RunPageFutex's, as logged (EAGAIN, or it
  // blocked). No step: its point was taken before the plan.
  void LoggedResume(Thread& t, uint64_t addr, uint64_t logged);
  // The same made by the scheduler, asked at the thread's stop (marker RAVEL_SYNC_RESUME).
  SyscallResult ResumeMarker(Guest& guest, Thread& t);
  // A logged futex call's step and point, and the decision the plan promised (t goes on).
  void LoggedFutexPoint(Thread& t, const Syscall& call);
  // `t`, at its futex wait through the page (or logged), waits in the guest from now on.
  void WaitInGuest(Thread& t, uint64_t addr);
  // The hand-off after `t` blocked at the end of its turn under the plan: HandOffFrom's pick
  // (the plan's `next`, to which the guest has handed the CPU), without the release.
  void PlannedBlockHandOff(Thread& t, ThreadId next);
  // The baton goes from `from` to `next` as the guest's hand-on under the plan gave it (`why`:
  // for the log).
  void PlannedBaton(const Thread& from, ThreadId next, const char* why);
  // `n`, just given the baton by a plan's hand-on: the rest of its call through the page, if
  // it had one (the plan wrote the answer).
  void FinishPlannedCall(Thread& n);
  // The answer the plan writes for `n`'s call through the page (kWait, or a marker's or a
  // futex wait's kEntry).
  int64_t PlannedAnswer(const Thread& n) const;
  static bool IsMarkerCall(const Syscall& call);
  // A futex wait the page takes (FUTEX_WAIT or FUTEX_WAIT_BITSET, private, no timeout).
  static bool IsPageFutexWait(const Syscall& call);
  // HandOff's pick among `runnable` (not empty) at `point`.
  ThreadId PickAtHandOff(const SchedulingPoint& point, absl::Span<const ThreadId> runnable);
  // The baton came back to `id`, which has a call through the page out: the rest of it.
  void ContinuePageCall(ThreadId id);
  // The futex call of `t` (running) after its point, as Futex runs it at a stop.
  void RunPageFutex(Thread& t);
  // `t`'s futex wait in the guest has ended (it has the baton): Futex's return; its answer.
  int64_t EndWaitInGuest(Thread& t);
  // Answers `t`'s call and lets it go on, with a plan from there if it can have one (made
  // `from` a yield or any other call).
  void AnswerPageCall(Thread& t, int64_t result, PlanFrom from = PlanFrom::kAnswer);
  // Lets `t`, which waits in the guest on its word, run: through the caller of the page
  // call being taken, when that caller waits awake (sync_marker.h, "Hand-ons by the
  // caller"), else with HandoffPages::Release.
  void LetRun(RavelHandoffPage* page, const Thread& t);
  // `t` gets the CPU at its stop: the page call's caller still waiting awake for its answer
  // (hand_on_caller_) sleeps now instead (HandoffPages::SleepNow).
  void SleepCaller(const Thread& t);
  // First thing at any event: a hand-on asked of a caller and not made yet is taken back
  // and made here, and the last page call's caller is no longer one LetRun may ask.
  void TakeBackHandOn();
  uint64_t RealtimeNs() const;
  // Wakes timed waiters whose deadline has passed. True if any woke.
  bool WakeExpired();
  // Time chaos: asks the strategy whether the clock jumps to the next deadline before
  // the pick at `point`; if so, jumps and refreshes `runnable`.
  void MaybeJumpTime(const SchedulingPoint& point, std::vector<ThreadId>& runnable);
  std::optional<uint64_t> NextDeadline() const;

  // timers.cc: alarm, setitimer, getitimer (ITIMER_REAL) on the virtual clock.
  SyscallResult Timer(Guest& guest, Thread& t, const Syscall& call);
  itimerval TimerValue(pid_t pid) const;
  void ArmTimer(pid_t pid, uint64_t value_ns, uint64_t interval_ns);
  // timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete: timers on
  // the virtual clocks are kept in timer_table_ (see timer_table.h); CPU-time ones are the
  // kernel's.
  SyscallResult PosixTimer(Guest& guest, Thread& t, const Syscall& call);
  // Runs a call that takes a pending signal (sigtimedwait); one from a POSIX timer gets
  // the overruns coalesced into it since it was queued.
  SyscallResult TakeSignal(Guest& guest, const Syscall& call);
  // Signals every timer (ITIMER_REAL and POSIX) whose deadline has passed; true if any fired.
  bool FireTimers();
  void HideVdsoAndSeedRandom(Guest& guest);

  // blocking.cc
  SyscallResult MaybeBlockingFd(Guest& guest, Thread& t, const Syscall& call, int fd, short events);
  // mq_timedsend (POLLOUT), mq_timedreceive (POLLIN): a message queue descriptor polls like
  // an fd; a full (empty) queue waits in the scheduler until the absolute CLOCK_REALTIME
  // timeout, if any.
  SyscallResult MessageQueue(Guest& guest, Thread& t, const Syscall& call, short events);
  // poll, ppoll, select, pselect6, epoll_wait, epoll_pwait, epoll_pwait2.
  SyscallResult WaitReady(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult WaitChild(Guest& guest, Thread& t, const Syscall& call);
  // vfork, or clone/clone3 with CLONE_VFORK: the parent blocks (Block::kVfork) until its
  // child execs or exits; the child, once started, is scheduled like any thread.
  SyscallResult Vfork(Guest& guest, Thread& t, const Syscall& call);
  // `child` exec'd or exits: its vfork parent (if any) can run again.
  void ReleaseVforkParent(Thread& child);
  // `modelled`: the scheduler knows the call will not block now (no "not modelled" warning).
  SyscallResult InKernel(Guest& guest, Thread& t, const Syscall& call, bool modelled = false);
  // pause, rt_sigsuspend, rt_sigtimedwait: wait in the scheduler until a signal the call
  // takes is pending (or the timeout passes), then run the call, which returns at once.
  SyscallResult WaitSignal(Guest& guest, Thread& t, const Syscall& call);
  // Probes fd waiters; returns true if any became runnable.
  bool ProbeFdWaiters();
  // Wakes blocked threads that have a signal to take; true if any woke.
  bool WakeSignalled();
  // Whether `sig` is pending for thread `tid` of `pid` (tid 0: for the process as a whole).
  bool SignalPending(pid_t pid, pid_t tid, int sig) const;
  // kill, tgkill and friends: run now, then wake whoever the signal interrupts.
  SyscallResult SendSignal(Guest& guest, Thread& t, const Syscall& call);
  // The guest processes a kill/tkill/tgkill call of `t` with SIGKILL ends, in pid order.
  std::vector<pid_t> SigkillTargets(const Thread& t, const Syscall& call) const;

  // random.cc: /dev/urandom and /dev/random read from the seeded generator.
  SyscallResult Open(Guest& guest, Thread& t, const Syscall& call);
  SyscallResult ReadRandom(Guest& guest, const Syscall& call, uint64_t buf, uint64_t len);
  void FillRandom(uint8_t* out, size_t len);

  Strategy& strategy_;
  SchedulerOptions options_;
  Control* control_ = nullptr;
  // Spinning threads, the liveness preemptions and a replay's plan of them (liveness.h).
  HostCpuProbe cpu_probe_;
  Liveness liveness_;

  // Every thread ever started, by logical id, with the indexes a step reads (the live,
  // runnable and blocked ones).
  ThreadTable<Thread> table_;
  // `for (auto&& [id, t] : Live())` walks the live threads in id order.
  struct LiveEntry {
    ThreadId first;
    Thread& second;
  };
  class LiveView {
   public:
    explicit LiveView(const std::vector<Thread*>& threads) : threads_(threads) {}
    struct Iterator {
      std::vector<Thread*>::const_iterator at;
      LiveEntry operator*() const { return LiveEntry{(*at)->id, **at}; }
      Iterator& operator++() {
        ++at;
        return *this;
      }
      bool operator!=(const Iterator& other) const { return at != other.at; }
    };
    Iterator begin() const { return Iterator{threads_.begin()}; }
    Iterator end() const { return Iterator{threads_.end()}; }

   private:
    const std::vector<Thread*>& threads_;
  };
  // (Not to be used across a call that may start or end a thread.)
  LiveView Live() const { return LiveView(table_.live()); }
  Thread& At(ThreadId id) { return table_.At(id); }
  const Thread& At(ThreadId id) const { return table_.At(id); }
  // Marks `t` exited (off the live list). The caller tells the strategy.
  void MarkExited(Thread& t);
  // The table's SetState, and timed_ with it.
  void SetState(Thread& t, State state);
  // The blocked threads that have a deadline, ascending: what WakeExpired and NextDeadline
  // look at each step (most blocked threads wait without one).
  std::vector<ThreadId> timed_;
  // The latest decision's point and the threads it chose among (for a lease).
  SchedulingPoint decided_;
  ThreadId decided_chosen_ = kNoThread;
  uint64_t decided_steps_ = 0;  // steps_ when it was made
  std::vector<ThreadId> decided_runnable_;
  uint64_t leased_points_ = 0;  // sync points made under a lease (no stop)
  HandoffPages handoff_;        // the shim's pages, per process (handoff.h)
  bool plan_out_ = false;       // a plan is out, in process plan_pid_'s page
  pid_t plan_pid_ = 0;
  std::vector<ThreadId> plan_;  // its order, by logical id
  uint64_t plan_accounted_ = 0; // its yields accounted for so far
  // The copies the plan is simulated on, kept while it is out so that it can be extended.
  struct PlanSim {
    std::unique_ptr<Strategy> strategy;
    Fairness fairness;
    std::vector<ThreadId> runnable;
    uint64_t steps = 0;
    uint64_t choices = 0;
    uint64_t bound = 0;  // points the plan may cover in all (deadlines, time chaos)
    bool ended = false;  // a pick it cannot make came: no more extensions
    bool markers = false;        // whether its turns may have markers (TurnPoints)
    uint64_t marker_points = 0;  // the points its turns may have, in all (within `bound`)
    // Whether a turn of it may end in a futex wait that blocks (RAVEL_HANDOFF_ORDER_MAY_BLOCK,
    // SimulateYields); and whether the turn before the entries the last SimulateYields
    // returned may (its entry was out already: the caller marks it).
    bool may_block = false;
    bool previous_may_block = false;
    // Threads woken from a futex wait through the page whose answers it has written (the
    // first turn it gives each of them).
    std::vector<ThreadId> answered;

    // A new simulation from the scheduler's state (the strategy's copy is ForkInto's).
    void Refill(const Fairness& from_fairness, const std::vector<ThreadId>& from_runnable, uint64_t at_steps,
                uint64_t at_choices, uint64_t points) {
      fairness = from_fairness;
      runnable = from_runnable;
      steps = at_steps;
      choices = at_choices;
      bound = points;
      ended = false;
      markers = false;
      marker_points = 0;
      may_block = false;
      previous_may_block = false;
      answered.clear();
    }
  };
  uint32_t plan_generation_ = 0;  // the last plan's (HandoffPages::Publish)
  // Per slot: the markers of its log accounted for under the plan out.
  absl::flat_hash_map<int32_t, uint32_t> turn_taken_;
  std::unique_ptr<PlanSim> plan_sim_;
  std::unique_ptr<PlanSim> spare_sim_;  // the last plan's, for the next one's storage
  uint64_t planned_points_ = 0;
  uint64_t planned_markers_ = 0;
  uint64_t planned_futex_ = 0;
  uint64_t planned_resumes_ = 0;  // futex waits through the page resumed in a plan's turn
  pid_t door_pid_ = 0;          // the process whose page's door is open (0: none)
  // The caller of the page call being taken (from its TakePageCall to the next event), whom
  // LetRun may ask for one hand-on; and the hand-on asked, until the next event.
  struct HandOnCaller {
    pid_t pid = 0;
    ThreadId id = kNoThread;
  } hand_on_caller_;
  struct HandOnAsked {
    pid_t pid = 0;
    int32_t from = -1;
    int32_t to = -1;
  } hand_on_asked_;
  uint64_t page_calls_ = 0;
  uint64_t guest_waits_ = 0;
  // How many yields the next plan covers at most (DrainPlan adapts it to what the guest
  // used of the last one).
  static constexpr uint64_t kFirstPlanLength = 4;
  uint64_t plan_length_ = kFirstPlanLength;
  // How many of them a plan simulates before it goes out; the rest is simulated while the
  // guest runs the first ones (OnIdle), in stretches that double (at least
  // kFirstYieldStretch turns each). A plan at an answer: the caller waits awake for it, and
  // such plans mostly end within a few turns (at a lock's wait or wake). A plan at a yield:
  // enough turns that a program that only yields does not outrun the first extension
  // (simulating all of them first kept the next thread waiting for up to 255 simulated
  // turns, ~1 us each at 100 threads).
  static constexpr uint64_t kFirstStretch = 2;
  static constexpr uint64_t kFirstYieldStretch = 8;
  // Whether the hand-off pays: a window of plans that made fewer than kPaidYields points
  // each on average (yields, and markers and futex calls in their turns; a lock's wait can
  // cut each plan short: a waiting thread's wake-up and a plan then cost more than the
  // stops they save) turns it off for the next kRestYields yields, which then wait at
  // ptrace stops; then it is tried again. Stops only: the decisions are the same either
  // way.
  static constexpr uint64_t kPlanWindow = 64;
  static constexpr uint64_t kPaidYields = 4;
  static constexpr uint64_t kRestYields = 8192;
  uint64_t window_plans_ = 0;
  uint64_t window_made_ = 0;
  uint64_t resting_yields_ = 0;
  // The same for plans made at answers (a thread about to go on after a call through the
  // page), on their own: where those do not pay (the next pick waits for a call's own
  // work, or a lock's wait comes first), no plan is tried at the next kRestYields answers.
  // Such a plan's first stretch costs a fraction of one call through the page, so one
  // point per plan pays (GLib's mutex5, where most plans end within a few turns at a lock's
  // wake: 1.5M calls through the page resting below 4 points a plan, 0.8M below 1).
  static constexpr uint64_t kPaidAnswers = 1;
  PlanFrom plan_from_ = PlanFrom::kYield;
  uint64_t plan_points_before_ = 0;  // PlannedSoFar() when the plan out was made
  uint64_t answer_window_plans_ = 0;
  uint64_t answer_window_made_ = 0;
  uint64_t resting_answers_ = 0;
  absl::flat_hash_map<pid_t, ThreadId> by_tid_;
  absl::flat_hash_set<pid_t> exiting_;            // every thread gone, process not yet reaped
  ThreadId running_ = kNoThread;
  ThreadId next_id_ = 0;
  uint64_t steps_ = 0;
  PlantedSites planted_sites_;  // the int3s of atomic and spin points (atomic_points.cc)
  uint64_t choices_ = 0;
  Fairness fairness_;
  ThreadId last_picked_ = kNoThread;
  uint64_t streak_ = 0;                           // consecutive picks of last_picked_
  uint64_t wait_seq_ = 0;
  FutexTable futex_table_;  // who waits on which futex (futex.cc)
  FdWaits fd_waits_;        // who waits on which fds (blocking.cc)
  LockHoldings locks_;      // who holds which lock, by the sync shim's markers (sync.cc)
  HostFdWaitProbe host_fds_;  // the host's view of guest fds, for fd_waits_
  absl::flat_hash_map<pid_t, pid_t> awaiting_start_;         // child tid -> parent tid waiting for it
  // A vfork parent whose child's start event is still to come: no pick until it has come,
  // so that the child joins the runnable set at the parent's step.
  ThreadId vfork_starting_ = kNoThread;
  pid_t awaiting_exit_ = 0;  // the baton holder, waiting (AwaitExits) for exiting_ to empty
  int exiting_ticks_ = 0;    // ticks for which exiting_ has not emptied
  // The last hand-off found nothing to run but waited for the kernel (KernelBusy) rather
  // than jump the clock; OnTick tries again once the kernel is quiet.
  bool awaiting_kernel_ = false;
  // A call that may make an fd ready ran since the last probe of the fd waiters.
  bool fd_probe_due_ = false;
  // The virtual clocks (scheduler/virtual_clock.h). CLOCK_MONOTONIC starts at 1000 s plus
  // an offset of up to 1000 s drawn from the seed: runs of different seeds read different
  // times from the start, so that names made from the clock (mkstemp's first try) differ
  // between the concurrent runs of a stress job instead of colliding in a shared
  // directory, which would make a run depend on what else runs beside it. CLOCK_REALTIME
  // starts at the real time of the run's start.
  VirtualClock clock_;
  XXH3_state_t* fingerprint_state_;
  bool deadlocked_ = false;
  // Nothing can run and nothing is known to be pending: a deadlock unless an event the
  // scheduler does not model (a thread's start, a stop) arrives; confirmed by OnTick.
  bool suspect_deadlock_ = false;
  int idle_ticks_ = 0;
  bool timed_out_ = false;
  bool stopped_ = false;
  std::string deadlock_report_;
  double started_at_ = 0;
  double last_step_at_ = 0;                       // real time of the latest step
  std::vector<ExternalNote> external_;
  absl::flat_hash_set<std::string> warned_;
  // Per process: its ITIMER_REAL timer (alarm, setitimer), on the virtual clock.
  struct RealTimer {
    uint64_t deadline_ns = 0;
    uint64_t interval_ns = 0;
  };
  absl::flat_hash_map<pid_t, RealTimer> real_timers_;
  TimerTable timer_table_;  // POSIX timers on the virtual clocks
  uint64_t rdtsc_points_ = 0;
  RandomDevices random_devices_;  // fds on /dev/urandom and /dev/random (random_devices.h)
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_SCHEDULER_H_
