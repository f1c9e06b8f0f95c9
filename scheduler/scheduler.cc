// The baton: who runs, and handing it on.
#include "scheduler/scheduler.h"

#include <linux/sched.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/logging.h"
#include "base/proc.h"
#include "preempt/sync_marker.h"
#include "scheduler/fd_probe.h"
#include "scheduler/guest_access.h"
#include "scheduler/resource.h"

namespace ravel {
namespace {

// A suspected deadlock is reported after this many quiet ticks (50 ms each): long enough
// for an event the scheduler does not model (a child's start, a stop) to arrive on a
// loaded machine, short enough not to be noticed.
constexpr int kDeadlockConfirmTicks = 5;

// The baton holder asleep in one syscall for this long (real time) is taken for blocked:
// the watchdog moves the baton on rather than let the whole guest hang on it.
constexpr double kWatchdogSeconds = 0.25;

// The thread's state letter (R, S, D, ...), or 0 when it is gone.
char ThreadStateLetter(pid_t pid, pid_t tid) {
  std::optional<ProcStat> stat = ReadProcStat(pid, tid);
  return stat.has_value() ? stat->state : 0;
}

// Virtual CLOCK_MONOTONIC starts here (1000 s, like a machine that booted a while ago).
constexpr uint64_t kMonotonicStartNs = 1000ull * 1000000000ull;

// The virtual clock's start for a seed (see Scheduler::clock_); a hash of the
// seed, so that the strategy's own stream of random data is untouched.
// The real CLOCK_REALTIME now, where the virtual one starts.
uint64_t RealNowNs() {
  timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  return static_cast<uint64_t>(real.tv_sec) * 1000000000ull + static_cast<uint64_t>(real.tv_nsec);
}

uint64_t MonotonicStart(uint64_t seed) {
  return kMonotonicStartNs + XXH3_64bits(&seed, sizeof(seed)) % kMonotonicStartNs;
}

// Calls after which another thread's fd may be ready: data or EOF on a pipe, socket or
// eventfd, a connection to accept, a signal for a signalfd.
bool MayReadyAnFd(int64_t nr) {
  switch (nr) {
    case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev: case SYS_pwritev2:
    case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg: case SYS_close: case SYS_close_range:
    case SYS_shutdown: case SYS_splice: case SYS_tee: case SYS_vmsplice: case SYS_connect:
    case SYS_accept: case SYS_accept4: case SYS_dup2: case SYS_dup3: case SYS_kill: case SYS_tgkill:
    case SYS_tkill: case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo: case SYS_exit:
    case SYS_mq_timedsend: case SYS_mq_timedreceive:  // (a receive makes room for a sender)
      return true;
    default:
      return false;
  }
}


}  // namespace

Scheduler::Scheduler(Strategy& strategy, SchedulerOptions options)
    : strategy_(strategy),
      options_(std::move(options)),
      liveness_(cpu_probe_, options_.preemptions),
      clock_(MonotonicStart(options_.seed), RealNowNs()) {
  fingerprint_state_ = XXH3_createState();
  XXH3_64bits_reset(fingerprint_state_);
  strategy_.Begin(options_.seed, options_.history);
  if (!options_.cpus.has_value()) {
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) {
      CPU_ZERO(&cpus);
      CPU_SET(0, &cpus);
    }
    options_.cpus = cpus;
  }
  started_at_ = MonotonicSeconds();
  RegisterHandlers();
}

Scheduler::~Scheduler() { XXH3_freeState(fingerprint_state_); }

Subscription Scheduler::subscription() const {
  Subscription s = Subscription::AllSyscalls();
  s.tick_ms = 50;
  s.rdtsc = options_.virtual_tsc;
  s.cpuid = options_.virtual_cpuid;
  // While the guest is one thread of one process there is nothing to schedule: only the
  // calls whose answers the scheduler decides stop (time, sleeps and timeouts, randomness,
  // futex waits, opens that may be of /dev/urandom); dynamic loading and start-up cost no
  // stops. The first clone turns every syscall into a point, for the whole guest.
  SyscallSet first;
  for (int nr : {SYS_clock_gettime, SYS_gettimeofday, SYS_time, SYS_nanosleep, SYS_clock_nanosleep, SYS_getrandom,
                 SYS_open, SYS_openat, SYS_futex, SYS_futex_waitv, SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6, SYS_epoll_wait,
                 SYS_epoll_pwait, SYS_epoll_pwait2, SYS_set_tid_address, SYS_exit_group, SYS_rt_sigtimedwait,
                 SYS_wait4, SYS_waitid, SYS_sched_getaffinity, SYS_sched_setaffinity, SYS_alarm, SYS_setitimer,
                 SYS_getitimer, SYS_timer_create, SYS_timer_settime, SYS_timer_gettime, SYS_timer_getoverrun,
                 SYS_timer_delete, SYS_pause, SYS_rt_sigsuspend, SYS_getcpu}) {
    first.set(static_cast<size_t>(nr));
  }
  // Atomic points in shared libraries: the loader's mappings of them must stop too.
  if (options_.atomic_points && !options_.atomic_modules.empty()) first.set(SYS_mmap);
  s.until_first_clone = first;
  // The sync shim's own futex calls (waiting for a turn in the guest, handing one on) do
  // not stop: that is the point of them (preempt/sync_marker.h).
  s.exempt.push_back(SeccompExemption{SYS_futex, 5, static_cast<uint64_t>(RAVEL_HANDOFF_FUTEX_MAGIC)});
  // ... and its signal mask around a futex wait made through the page.
  s.exempt.push_back(SeccompExemption{SYS_rt_sigprocmask, 4, static_cast<uint64_t>(RAVEL_HANDOFF_FUTEX_MAGIC)});
  return s;
}

uint64_t Scheduler::fingerprint() const { return XXH3_64bits_digest(fingerprint_state_); }

void Scheduler::Mix(uint64_t value) { XXH3_64bits_update(fingerprint_state_, &value, sizeof(value)); }

Scheduler::Thread& Scheduler::Lookup(Guest& guest) {
  auto it = by_tid_.find(guest.tid());
  CHECK(it != by_tid_.end()) << "no scheduler thread for tid " << guest.tid();
  return At(it->second);
}

void Scheduler::MarkExited(Thread& t) {
  if (t.state == State::kExited) return;
  futex_table_.Remove(t.id);
  fd_waits_.Remove(t.id);
  SetState(t, State::kExited);
  liveness_.NotSpinning(t.id);
  t.waits_in_guest = false;
  t.page_call = Thread::PageCall::kNone;
}

std::vector<ThreadId> Scheduler::Runnable() const { return table_.runnable(); }

void Scheduler::Step(Guest& guest, Thread& t, int64_t nr, PointKind kind, const Syscall* call) {
  StepAt(&guest, t, nr, kind, call);
}

void Scheduler::StepAt(Guest* guest, Thread& t, int64_t nr, PointKind kind, const Syscall* call) {
  locks_.Settle(t.id, call);
  if (kind != PointKind::kPreempt) liveness_.NotSpinning(t.id);
  ++steps_;
  if (options_.observer != nullptr && guest != nullptr) options_.observer->OnStep(*guest, steps_ - 1, t.id, nr, call);
  clock_.Advance(options_.step_quantum_ns);
  Mix(static_cast<uint64_t>(t.id));
  Mix(static_cast<uint64_t>(nr));
  Mix(static_cast<uint64_t>(kind));
  last_step_at_ = MonotonicSeconds();
  if (options_.on_step && !stopped_ && !options_.on_step(steps_ - 1, t.id, nr, fingerprint())) {
    stopped_ = true;
    control_->KillGuest();
  }
  WakeExpired();  // virtual time passes with every step
  PlantForcedPreemption();
}

uint64_t Scheduler::ChoiceStep(size_t runnable) {
  // Strategies count only points where there is a choice: a single-threaded stretch (the
  // dynamic loader, a program's start) is no place for a PCT change point.
  return runnable > 1 ? choices_++ : choices_;
}

void Scheduler::GiveBaton(ThreadId id, const char* reason, bool plan) {
  if (options_.log_decisions) LOG(INFO) << "switch T" << running_ << " -> T" << id << " (" << reason << ")";
  if (options_.observer != nullptr && running_ != id) options_.observer->OnBaton(steps_, running_, id);
  running_ = id;
  suspect_deadlock_ = false;
  Thread& next = At(id);
  SetState(next, State::kRunning);
  fairness_.OnRan(id, steps_);
  if (next.waits_in_guest) {
    if (next.page_call != Thread::PageCall::kNone) {
      // The rest of its call through the page, where its handler would resume at a stop.
      control_->Post([this, id] { ContinuePageCall(id); });
      return;
    }
    // Its turn comes through its word; a plan first, if its next yields can have one.
    if (plan) PlanYields(next);
    next.waits_in_guest = false;
    if (RavelHandoffPage* page = handoff_.Page(next.pid)) LetRun(page, next);
    return;
  }
  SleepCaller(next);
  control_->Unpark(next.tid);
}

void Scheduler::TakeBaton(Thread& t) {
  running_ = t.id;
  SetState(t, State::kRunning);
  fairness_.OnRan(t.id, steps_);
}

std::vector<ThreadId> Scheduler::HeldBack(absl::Span<const ThreadId> runnable) {
  fairness_.Sync(runnable, steps_);
  std::vector<ThreadId> held = fairness_.HeldBack(runnable);
  if (options_.log_decisions && runnable.size() > 1) {
    std::vector<std::string> ids;
    for (ThreadId id : Choices{runnable, held}.ToVector()) ids.push_back(absl::StrCat("T", id));
    LOG(INFO) << "choose among " << absl::StrJoin(ids, ",") << " at choice " << choices_;
  }
  if (options_.log_decisions && !held.empty()) {
    LOG(INFO) << "fairness: " << held.size() << " thread(s) let others run first";
  }
  return held;
}

void Scheduler::SetState(Thread& t, State state) {
  const bool was_blocked = t.state == State::kBlocked;
  table_.SetState(t, state);
  const bool blocked = state == State::kBlocked;
  if (was_blocked == blocked || (blocked && !t.deadline_ns.has_value())) return;
  auto at = std::lower_bound(timed_.begin(), timed_.end(), t.id);
  const bool listed = at != timed_.end() && *at == t.id;
  if (blocked && !listed) timed_.insert(at, t.id);
  if (!blocked && listed) timed_.erase(at);
}

void Scheduler::Wake(Thread& t, Woke why) {
  if (t.block == Block::kFutex) futex_table_.Remove(t.id);
  if (t.block == Block::kFd) fd_waits_.Remove(t.id);
  SetState(t, State::kRunnable);
  t.block = Block::kNone;
  t.deadline_ns.reset();
  t.wait_sigset.reset();
  t.woke = why;
}

bool Scheduler::WaitForBaton(Guest& guest, Thread& t) {
  while (running_ != t.id) {
    if (!guest.Park()) {
      // Gone (killed by exit_group or exec elsewhere) while waiting.
      if (t.state != State::kExited) {
        MarkExited(t);
        strategy_.OnThreadExited(t.id);
      }
      return false;
    }
  }
  return true;
}

bool Scheduler::BlockAndWait(Guest& guest, Thread& t, Block why, int64_t nr, PointKind kind) {
  SetState(t, State::kBlocked);
  t.block = why;
  t.woke = Woke::kNone;
  t.chaos_lag_ns = 0;
  t.chaos_delays = 0;
  // A sleep or a wait with a timeout says "nothing to do for now": a yield, for fairness.
  if (t.deadline_ns.has_value()) fairness_.OnYield(t.id, steps_, Runnable());
  HandOffFrom(t.id, kind, nr);
  return WaitForBaton(guest, t);
}

bool Scheduler::AwaitExits(Guest& guest) {
  while (!exiting_.empty()) {
    awaiting_exit_ = guest.tid();
    if (!guest.Park()) {
      awaiting_exit_ = 0;
      return false;
    }
  }
  awaiting_exit_ = 0;
  return true;
}

bool Scheduler::Reschedule(Guest& guest, Thread& t, const SchedulingPoint& given) {
  if (!exiting_.empty() && !AwaitExits(guest)) return false;
  const ThreadId chosen = Decide(t, given);
  if (chosen == t.id) return true;
  SetState(t, State::kRunnable);
  GiveBaton(chosen, decided_.yield_hint ? "yield" : "preempt");
  return WaitForBaton(guest, t);
}

ThreadId Scheduler::Decide(Thread& t, const SchedulingPoint& given) {
  // A call since the last point may have made a waiter's fd ready (a write to its pipe or
  // eventfd, a close): it is runnable at this point, not only once nothing else can run.
  // And a thread that yields or spins may be waiting for exactly that.
  if (fd_probe_due_ || given.yield_hint) {
    fd_probe_due_ = false;
    ProbeFdWaiters();
  }
  // The table's runnable list as it is, without a copy: nothing below changes it, but a
  // time jump (time chaos) may wake threads.
  std::vector<ThreadId> woken;
  absl::Span<const ThreadId> runnable = table_.runnable();
  if (options_.time_chaos) {
    woken = Runnable();
    MaybeJumpTime(given, woken);
    runnable = woken;
  }
  SchedulingPoint point = given;
  if (runnable.size() > 1 && last_picked_ == t.id && streak_ >= options_.spin_steps) point.yield_hint = true;
  if (point.yield_hint) fairness_.OnYield(t.id, steps_, runnable);
  std::vector<ThreadId> held = HeldBack(runnable);
  // A thread last seen spinning (a liveness preemption, no point since) is no target for
  // a preemption while a thread that makes points can run. It runs when the others block
  // or yield, or once it has a point of its own again.
  liveness_.HoldSpinners(runnable, held);
  const Choices choices{runnable, held};
  point.step = ChoiceStep(choices.size());
  if (!choices.Contains(t.id)) point.current_runnable = false;
  ThreadId chosen = strategy_.PickFrom(point, choices);
  if (chosen == last_picked_) {
    ++streak_;
  } else {
    last_picked_ = chosen;
    streak_ = 1;
  }
  decided_ = point;
  decided_chosen_ = chosen;
  decided_steps_ = steps_;
  // For a lease (GrantLease), which only a thread that keeps the baton can get.
  if (options_.fast_path && chosen == t.id) decided_runnable_ = choices.ToVector();
  return chosen;
}

int Scheduler::ProcessNumber(const Thread& t) const {
  auto leader = by_tid_.find(t.pid);
  return leader != by_tid_.end() ? leader->second : t.pid;
}

SchedulingPoint Scheduler::StepPoint(const Thread& t, PointKind kind, int64_t nr, bool yield_hint,
                                     uint64_t resource) const {
  SchedulingPoint point;
  point.step = steps_ - 1;
  point.current = t.id;
  point.kind = kind;
  point.syscall_nr = nr;
  point.current_runnable = true;
  point.yield_hint = yield_hint;
  point.resource = resource;
  return point;
}

void Scheduler::HandOffFrom(ThreadId current, PointKind kind, int64_t nr) {
  SchedulingPoint point;
  point.step = steps_;
  point.current = current;
  point.kind = kind;
  point.syscall_nr = nr;
  HandOff(point);
}

void Scheduler::HandOff(const SchedulingPoint& point) {
  if (running_ == point.current) running_ = kNoThread;
  suspect_deadlock_ = false;
  awaiting_kernel_ = false;
  if (vfork_starting_ != kNoThread) return;  // the vfork child's start picks
  // A process's end still to be reported: its report (OnProcessExit) picks, so that what
  // it wakes is runnable at this step in every run.
  if (!exiting_.empty()) return;
  if (fd_probe_due_) {
    fd_probe_due_ = false;
    ProbeFdWaiters();
  }
  while (true) {
    std::vector<ThreadId> runnable = Runnable();
    if (!runnable.empty()) MaybeJumpTime(point, runnable);
    if (!runnable.empty()) {
      GiveBaton(PickAtHandOff(point, runnable), "hand-off");
      return;
    }
    fd_probe_due_ = false;
    if (ProbeFdWaiters()) continue;
    if (WakeSignalled()) continue;
    // An event under way comes before a jump of the clock: the end of a process that has
    // exited (a parent may poll its pidfd or wait for it), or a call running in the kernel
    // (not asleep there). Jumping first would fire a timeout that natively could not.
    if (!exiting_.empty() || KernelBusy()) {
      awaiting_kernel_ = true;
      return;
    }
    if (std::optional<uint64_t> deadline = NextDeadline(); deadline.has_value()) {
      clock_.JumpTo(*deadline);
      WakeExpired();
      continue;
    }
    bool in_kernel = false, alive = false;
    for (auto&& [id, t] : Live()) {
      in_kernel |= t.state == State::kInKernel;
      alive |= t.state != State::kExited;
    }
    // A call in the kernel, or a process whose end is still to be reported (its parent
    // may be waiting for it), brings the next event.
    if (in_kernel || !alive || !exiting_.empty()) return;
    // Fds only the guest itself could make ready (a pipe or eventfd held by nobody outside,
    // as GMainContext's wake-up fd): waiting for them is waiting for another guest thread.
    if (fd_waits_.First() != kNoThread && FdWaitersFedFromOutside()) {
      // Only the outside world can make progress: let the lowest-id fd waiter make its
      // call for real (it blocks in the kernel until input arrives).
      Thread& w = At(fd_waits_.First());
      Wake(w, Woke::kExternal);  // "go into the kernel"
      external_.push_back(ExternalNote{steps_, w.id, "external-input", std::string(Syscall(w.last_syscall).name())});
      GiveBaton(w.id, "external input");
      return;
    }
    if (awaiting_start_.empty() && std::none_of(table_.live().begin(), table_.live().end(), [](const Thread* entry) {
          return entry->state == State::kStopped;
        })) {
      // Every live thread is parked by the scheduler, waiting on something only another
      // guest thread could deliver: nothing is in flight, so this is certain now.
      ReportDeadlock();
      return;
    }
    // Something the scheduler does not model may still arrive (a thread's start, a
    // continued stop): confirmed by OnTick if nothing does.
    suspect_deadlock_ = true;
    idle_ticks_ = 0;
    return;
  }
}

ThreadId Scheduler::PickAtHandOff(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  const std::vector<ThreadId> held = HeldBack(runnable);
  const Choices choices{runnable, held};
  SchedulingPoint at = point;
  at.step = ChoiceStep(choices.size());
  return strategy_.PickFrom(at, choices);
}

void Scheduler::ReportDeadlock() {
  deadlocked_ = true;
  std::vector<ThreadWait> threads;
  for (auto&& [id, t] : Live()) {
    if (t.state == State::kExited) continue;
    ThreadWait w;
    w.id = id;
    w.tid = t.tid;
    w.pid = t.pid;
    switch (t.block) {
      case Block::kFutex:
        w.on = ThreadWait::On::kFutex;
        w.futex = t.futex_addr;
        break;
      case Block::kSleep: w.on = ThreadWait::On::kSleep; break;
      case Block::kFd:
        w.on = ThreadWait::On::kFds;
        for (const pollfd& p : fd_waits_.FdsOf(id)) {
          const std::string target = FdTarget(t.pid, p.fd);
          w.fds.push_back(target.empty() ? absl::StrCat(p.fd) : absl::StrCat(p.fd, " (", target, ")"));
        }
        w.timeout = t.deadline_ns.has_value();
        break;
      case Block::kChild: w.on = ThreadWait::On::kChild; break;
      case Block::kSignal: w.on = ThreadWait::On::kSignal; break;
      case Block::kVfork: w.on = ThreadWait::On::kVfork; break;
      case Block::kNone: w.on = t.state == State::kStopped ? ThreadWait::On::kStopped : ThreadWait::On::kNothing; break;
    }
    // A guest that never had a second thread stops at few of its calls (most of them the
    // loader's): its "last syscall" would name one of those, so none is named.
    if (next_id_ > 1) w.last_syscall = Syscall(t.last_syscall).name();
    locks_.Describe(id, w);
    threads.push_back(std::move(w));
  }
  deadlock_report_ = DeadlockReport(threads);
  control_->KillGuest();
}

void Scheduler::OnThreadStart(Guest& guest) {
  control_ = &guest.control();
  DrainPlan();
  ThreadId id = next_id_++;
  ThreadId parent = running_;
  const bool vfork_child = vfork_starting_ != kNoThread && running_ == kNoThread;
  if (vfork_child) {
    parent = vfork_starting_;
    vfork_starting_ = kNoThread;
  }
  Thread& t = table_.Add();
  CHECK_EQ(t.id, id);
  t.tid = guest.tid();
  t.pid = guest.pid();
  by_tid_[t.tid] = id;
  strategy_.OnThreadCreated(id, id == 0 ? kNoThread : parent);
  if (options_.observer != nullptr) options_.observer->OnThreadStart(guest, id);
  t.cpus = parent != kNoThread ? At(parent).cpus : *options_.cpus;
  if (vfork_child) t.vfork_parent = parent;
  Mix(0x7468726561640000ull | static_cast<uint64_t>(id));
  if (parent != kNoThread) {
    // A new process starts with a copy of its parent's fds, and of its memory (with the
    // int3s of atomic points in it).
    const pid_t parent_pid = At(parent).pid;
    random_devices_.Forked(parent_pid, t.pid);
    planted_sites_.Forked(parent_pid, t.pid);
    if (parent_pid != t.pid && !vfork_child) ForkedHandoff(guest, At(parent));
  }
  if (id == 0) {
    TakeBaton(t);
    return;
  }
  if (auto waiting = awaiting_start_.find(t.tid); waiting != awaiting_start_.end()) {
    control_->Unpark(waiting->second);
  }
  SetState(t, State::kRunnable);
  if (running_ == kNoThread) {
    HandOffFrom(kNoThread, PointKind::kThreadStart);
  }
  WaitForBaton(guest, t);
}

void Scheduler::OnThreadExit(Guest& guest, int status) {
  DrainLease(guest);
  auto it = by_tid_.find(guest.tid());
  if (it == by_tid_.end()) return;
  Thread& t = At(it->second);
  if (t.state == State::kExited) return;
  if (running_ != kNoThread && running_ != t.id) {
    // Ended by a sibling's exec (the kernel ends every other thread of the process before
    // the new image runs): gone, and nothing more. The order in which the kernel reports
    // their ends varies, and a joiner of theirs is of the same process and gone too, so a
    // wake here would make the fingerprint depend on that order.
    const Thread& holder = At(running_);
    if (holder.pid == t.pid && (holder.last_syscall == SYS_execve || holder.last_syscall == SYS_execveat)) {
      MarkExited(t);
      t.block = Block::kNone;
      strategy_.OnThreadExited(t.id);
      if (options_.observer != nullptr) options_.observer->OnThreadExit(t.id);
      return;
    }
  }
  if (WIFSIGNALED(status)) {
    // A fatal signal ends the whole process: none of its threads waits on anything any
    // more, though the others' exit events may still be on their way (a thread that
    // called abort() while another waits for the lock it holds is no deadlock).
    if (options_.observer != nullptr) options_.observer->OnThreadExit(t.id);
    if (SettleProcessExit(t.pid)) HandOffFrom(t.id, PointKind::kThreadExit);
    return;
  }
  if (options_.log_decisions) {
    LOG(INFO) << "T" << t.id << " exit event" << (running_ == t.id ? " (holds the baton)" : "")
              << absl::StrFormat(", clear_child_tid 0x%x", t.clear_child_tid);
  }
  ReleaseVforkParent(t);
  MarkExited(t);
  t.block = Block::kNone;
  strategy_.OnThreadExited(t.id);
  if (options_.observer != nullptr) options_.observer->OnThreadExit(t.id);
  bool last = true;
  for (auto&& [id, other] : Live()) last &= other.pid != t.pid || other.state == State::kExited;
  if (last) exiting_.insert(t.pid);
  if (t.clear_child_tid != 0 && t.tid != t.pid && running_ == t.id) {
    // The kernel clears the tid and wakes one futex waiter when the thread is really gone,
    // after this event. Waking an emulated joiner now would let it reuse the thread's
    // stack (glibc caches stacks) before that clear, which would then zero the tid of the
    // next thread on that stack. So the wake waits for OnThreadGone, and the baton with it.
    t.exit_pending = true;
    return;
  }
  if (t.clear_child_tid != 0) {
    // A process's first thread is reaped only with its process: clear and wake now, as
    // the kernel will.
    uint32_t zero = 0;
    if (guest.memory().Write(RemotePtr<uint32_t>(t.clear_child_tid), zero).ok()) {
      WakeFutex(KeyOf(t, t.clear_child_tid, /*shared=*/true), ~0u, 1);
    }
  }
  if (running_ == t.id) {
    HandOffFrom(t.id, PointKind::kThreadExit);
  }
}

bool Scheduler::SettleProcessExit(pid_t pid) {
  bool held = false;
  for (Thread& other : table_.all()) {  // (not Live(): MarkExited changes it)
    const ThreadId id = other.id;
    if (other.pid != pid || other.state == State::kExited) continue;
    if (running_ == id) {
      held = true;
      running_ = kNoThread;
    }
    ReleaseVforkParent(other);
    MarkExited(other);
    other.block = Block::kNone;
    other.exit_pending = false;
    other.clear_child_tid = 0;
    strategy_.OnThreadExited(id);
  }
  exiting_.insert(pid);
  fd_probe_due_ = true;  // its fds close: pipes reach EOF, pidfds become readable
  return held;
}

void Scheduler::ReleaseVforkParent(Thread& child) {
  if (child.vfork_parent == kNoThread) return;
  Thread& parent = At(child.vfork_parent);
  child.vfork_parent = kNoThread;
  if (parent.state == State::kBlocked && parent.block == Block::kVfork) {
    Wake(parent, Woke::kEvent);
    Mix(0x76666f726b000000ull | static_cast<uint64_t>(parent.id));
  }
}

SyscallResult Scheduler::Vfork(Guest& guest, Thread& t, const Syscall& call) {
  // The parent waits in the kernel until the child execs or exits; for the scheduler it is
  // blocked on the child from this step on, and the child's start hands the baton on.
  SetState(t, State::kBlocked);
  t.block = Block::kVfork;
  t.woke = Woke::kNone;
  running_ = kNoThread;
  vfork_starting_ = t.id;
  absl::StatusOr<int64_t> r = guest.Inject(call);
  if (!r.ok()) return 0;
  if (vfork_starting_ == t.id) {
    // No child was made (EAGAIN, ENOMEM, ...): the parent goes on with the error.
    vfork_starting_ = kNoThread;
    if (running_ == kNoThread) {
      t.block = Block::kNone;
      TakeBaton(t);
      return *r;
    }
    Wake(t, Woke::kEvent);
  }
  // Back from the kernel once the child exec'd or exited; the scheduler woke the parent at
  // that step of the child, and it runs when picked.
  if (!WaitForBaton(guest, t)) return 0;
  return *r;
}

void Scheduler::OnThreadGone(pid_t tid) {
  DrainPlan();
  auto it = by_tid_.find(tid);
  if (it == by_tid_.end()) return;
  Thread& t = At(it->second);
  // Reaped: the kernel may give its tid to a new thread from now on.
  by_tid_.erase(it);
  if (options_.log_decisions) LOG(INFO) << "T" << t.id << " gone" << (t.exit_pending ? ": its joiner may wake" : "");
  if (!t.exit_pending) return;
  t.exit_pending = false;
  WakeFutex(KeyOf(t, t.clear_child_tid, /*shared=*/true), ~0u, 1);
  if (running_ == t.id) {
    HandOffFrom(t.id, PointKind::kThreadExit);
  }
}

void Scheduler::OnJobControl(Guest& guest, bool stopped) {
  control_ = &guest.control();
  DrainLease(guest);
  auto it = by_tid_.find(guest.tid());
  if (it == by_tid_.end()) return;
  Thread& t = At(it->second);
  if (options_.log_decisions) LOG(INFO) << "T" << t.id << (stopped ? " stopped" : " continued");
  if (t.state == State::kExited) return;
  if (stopped) {
    const bool held = running_ == t.id;
    // Stopped with the baton: it moves on. A thread stopped while parked or blocked keeps
    // its state, and the stop shows when it next runs.
    if (held) SetState(t, State::kStopped);
    Mix(0x73746f7000000000ull | static_cast<uint64_t>(t.id));
    // A parent may wait for the stop (WUNTRACED).
    for (auto&& [id, w] : Live()) {
      if (w.state == State::kBlocked && w.block == Block::kChild) Wake(w, Woke::kEvent);
    }
    if (held) {
      HandOffFrom(t.id);
    }
  } else {
    if (t.state == State::kStopped) SetState(t, State::kInKernel);  // runs again; rejoins at its next point
    for (auto&& [id, w] : Live()) {
      if (w.state == State::kBlocked && w.block == Block::kChild) Wake(w, Woke::kEvent);  // WCONTINUED
    }
    if (running_ == kNoThread) {
      HandOffFrom(kNoThread);
    }
  }
}

void Scheduler::OnProcessExit(pid_t pid, int status) {
  DrainPlan();
  handoff_.Forget(pid);
  // Reaped: its pid (its first thread's tid) may be a new thread's from now on.
  if (auto leader = by_tid_.find(pid); leader != by_tid_.end() && At(leader->second).pid == pid) {
    by_tid_.erase(leader);
  }
  exiting_.erase(pid);
  exiting_ticks_ = 0;
  real_timers_.erase(pid);
  timer_table_.ForgetProcess(pid);
  if (awaiting_exit_ != 0 && exiting_.empty() && control_ != nullptr) control_->Unpark(awaiting_exit_);
  random_devices_.Gone(pid);
  planted_sites_.Forget(pid);
  // Every thread waiting for a child probes again (deterministically, in id order when
  // picked); the one whose child this was will find it.
  for (auto&& [id, t] : Live()) {
    if (t.state == State::kBlocked && t.block == Block::kChild) Wake(t, Woke::kEvent);
  }
  WakeSignalled();  // SIGCHLD
  if (running_ == kNoThread && control_ != nullptr) {
    HandOffFrom(kNoThread);
  }
}

bool Scheduler::KernelBusy() const {
  for (auto&& [id, t] : Live()) {
    if (t.state != State::kInKernel) continue;
    // Asleep in the kernel (S, D with a wait) it may stay for ever; running, or stopped
    // with an event for the tracer (t), it reports soon.
    const char state = ThreadStateLetter(t.pid, t.tid);
    if (state != 0 && state != 'S') return true;
  }
  return false;
}

void Scheduler::Watchdog() {
  if (running_ == kNoThread) return;
  Thread& t = At(running_);
  if (t.state != State::kRunning || MonotonicSeconds() - last_step_at_ < kWatchdogSeconds) return;
  // Asleep (S or D), and in a syscall (its number first in /proc/.../syscall, not "running").
  const char state = ThreadStateLetter(t.pid, t.tid);
  if (state != 'S' && state != 'D') return;
  char path[96];
  snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", t.pid, t.tid);
  FILE* f = fopen(path, "re");
  if (f == nullptr) return;
  long nr = -1;
  unsigned long arg0 = 0;
  int fields = fscanf(f, "%ld %lx", &nr, &arg0);
  fclose(f);
  if (fields < 1 || nr < 0) return;
  const std::string name(Syscall(nr).name());
  if (warned_.insert(absl::StrCat("watchdog-", nr)).second) {
    // What it waits on, for the calls whose first argument is an fd (a pipe, a socket, ...).
    std::string on;
    switch (nr) {
      case SYS_read: case SYS_write: case SYS_readv: case SYS_writev: case SYS_recvfrom: case SYS_sendto:
      case SYS_recvmsg: case SYS_sendmsg: case SYS_accept: case SYS_accept4: case SYS_connect: case SYS_flock: {
        char link[64], target[256];
        snprintf(link, sizeof(link), "/proc/%d/fd/%lu", t.pid, arg0);
        const ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (fields == 2 && len > 0) on = absl::StrCat(" on fd ", arg0, " (", std::string(target, len), ")");
        break;
      }
      default:
        break;
    }
    LOG(WARNING) << name << on << " blocked in the kernel for over " << kWatchdogSeconds
                 << " s while its thread held the baton; the baton moves on (the run may no longer be "
                    "deterministic)";
  }
  external_.push_back(ExternalNote{steps_, t.id, "blocked-in-kernel", name});
  SetState(t, State::kInKernel);
  HandOffFrom(t.id, PointKind::kSyscall, nr);
}

void Scheduler::PreemptSpinner() {
  if (running_ == kNoThread || stopped_) return;
  Thread& t = At(running_);
  if (t.state != State::kRunning) return;
  // Only when it keeps someone waiting: another thread that could run, or a deadline.
  const auto keeps_others_waiting = [&] {
    bool others = NextDeadline().has_value();
    for (auto&& [id, other] : Live()) others |= id != t.id && other.state == State::kRunnable;
    return others;
  };
  liveness_.Tick(*control_, Liveness::Holder{t.id, t.tid, t.pid}, steps_, keeps_others_waiting);
}

void Scheduler::OnInterrupt(Guest& guest) {
  control_ = &guest.control();
  DrainLease(guest);
  auto it = by_tid_.find(guest.tid());
  if (it == by_tid_.end()) return;
  Thread& t = At(it->second);
  if (!liveness_.TakeInterrupt(t.id, steps_, running_)) return;
  absl::StatusOr<Registers> regs = guest.GetRegisters();
  if (!regs.ok()) return;
  GuestThread thread(guest);
  Liveness::WalkToLoopHead(thread, *regs);
  PreemptAt(guest, t, *regs);
}

void Scheduler::PlantForcedPreemption() {
  const ForcedPreemption* due = liveness_.DueAt(steps_);
  if (due == nullptr || !table_.Has(due->thread)) return;
  const Thread& wanted = At(due->thread);
  GuestMemory mem(wanted.tid);
  GuestCode code(mem);
  liveness_.Plant(code, wanted.pid);
}

int Scheduler::OnSignal(Guest& guest, const siginfo_t& info) {
  control_ = &guest.control();
  DrainLease(guest);
  if (auto waiting = by_tid_.find(guest.tid()); waiting != by_tid_.end() && At(waiting->second).waits_in_guest) {
    // (A planned yield is accounted for by now: one made counts its thread as waiting.)
    FinishHandOn(guest, At(waiting->second));
    return SignalWhileWaitingInGuest(guest, At(waiting->second), info);
  }
  if (info.si_signo != SIGTRAP || info.si_code != SI_KERNEL) return info.si_signo;
  absl::StatusOr<Registers> regs = guest.GetRegisters();
  if (!regs.ok()) return info.si_signo;
  auto it = by_tid_.find(guest.tid());
  const ThreadId id = it != by_tid_.end() ? it->second : kNoThread;
  GuestThread thread(guest);
  Registers at;
  switch (liveness_.OnTrap(thread, guest.pid(), id, *regs, steps_, running_, &at)) {
    case Liveness::Trap::kNotPlanted:
      return AtomicTrap(guest, *regs) ? 0 : info.si_signo;
    case Liveness::Trap::kPreempt:
      PreemptAt(guest, At(id), at);
      return 0;
    case Liveness::Trap::kPassed:
      return 0;
  }
  return 0;
}

void Scheduler::PreemptAt(Guest& guest, Thread& t, const Registers& regs) {
  // Where it was: the instruction and a hash of the registers, so that the point can be
  // found again (and is checked by the fingerprint).
  const uint64_t reg_hash = liveness_.Preempted(t.id, regs);  // spinning until its next point of another kind
  external_.push_back(ExternalNote{steps_, t.id, "preempt", "", regs.ip(), reg_hash});
  Step(guest, t, kWhatPreempt, PointKind::kPreempt);
  Mix(regs.ip());
  Mix(reg_hash);
  // A spinner alone waits for something in the future: let time pass.
  std::vector<ThreadId> runnable = Runnable();
  if (runnable.size() == 1 && runnable[0] == t.id) {
    if (std::optional<uint64_t> deadline = NextDeadline(); deadline.has_value()) {
      clock_.JumpTo(*deadline);
      WakeExpired();
    }
  }
  (void)Reschedule(guest, t, StepPoint(t, PointKind::kPreempt, -1, /*yield_hint=*/true));
}

void Scheduler::OnTick(Control& control) {
  control_ = &control;
  // What the guest did under a plan since the last event: the real-time checks below look
  // at the thread that holds the baton now.
  DrainPlan();
  Watchdog();
  PreemptSpinner();
  // A thread whose end is never reported (it should be within microseconds) must not keep
  // the baton for ever.
  for (Thread& t : table_.all()) {  // (not Live(): these have exited)
    const ThreadId id = t.id;
    if (t.exit_pending && ++t.exit_pending_ticks > kDeadlockConfirmTicks) {
      LOG(WARNING) << "the end of thread T" << id << " (tid " << t.tid << ") was not reported; going on";
      OnThreadGone(t.tid);
      break;
    }
  }
  if (options_.timeout_seconds > 0 && MonotonicSeconds() - started_at_ > options_.timeout_seconds && !timed_out_) {
    timed_out_ = true;
    control.KillGuest();
    return;
  }
  // Input from outside may have arrived for a thread waiting on an fd, or a signal from
  // outside for a blocked thread.
  if (running_ == kNoThread && (ProbeFdWaiters() || WakeSignalled())) {
    HandOffFrom(kNoThread);
    return;
  }
  // A process's end that never comes must not hold the run for ever (it comes within
  // microseconds; a process the scheduler took for ended but that is not would be a bug).
  if (!exiting_.empty() && ++exiting_ticks_ > 20) {
    LOG(WARNING) << "the end of " << exiting_.size() << " process(es) was not reported in 1 s; going on";
    exiting_.clear();
    exiting_ticks_ = 0;
    if (awaiting_exit_ != 0) control.Unpark(awaiting_exit_);
    if (running_ == kNoThread) HandOffFrom(kNoThread);
    return;
  }
  // The clock waited for a call in the kernel that has since gone to sleep there.
  if (running_ == kNoThread && awaiting_kernel_ && exiting_.empty() && !KernelBusy()) {
    HandOffFrom(kNoThread);
    return;
  }
  if (running_ == kNoThread && suspect_deadlock_ && ++idle_ticks_ >= kDeadlockConfirmTicks) {
    suspect_deadlock_ = false;
    ReportDeadlock();
  }
}

SyscallResult Scheduler::OnSyscall(Guest& guest, const Syscall& call) {
  control_ = &guest.control();
  DrainLease(guest);
  Thread& t = Lookup(guest);
  if (running_ != t.id) {
    // Only the baton holder makes syscalls; a thread that comes back from a call the
    // scheduler did not see block (e.g. after exec) waits its turn.
    if (running_ == kNoThread && vfork_starting_ == kNoThread) {
      TakeBaton(t);
    } else {
      SetState(t, State::kRunnable);
      if (!WaitForBaton(guest, t)) return 0;
    }
  }
  if (call.nr == RAVEL_SYNC_MARKER_NR && static_cast<int64_t>(call.args[0]) == RAVEL_SYNC_MAGIC) {
    if (call.args[1] == RAVEL_SYNC_YIELD) return YieldMarker(guest, t, call);
    if (call.args[1] == RAVEL_SYNC_HANDOFF_REGISTER) return RegisterHandoff(guest, t, call);
    if (call.args[1] == RAVEL_SYNC_RESUME) return ResumeMarker(guest, t);
    return SyncMarker(guest, t, call);
  }
  t.last_syscall = call.nr;
  if (call.nr != SYS_clock_gettime && call.nr != SYS_gettimeofday && call.nr != SYS_time) t.clock_streak = 0;
  if (options_.log_decisions) LOG(INFO) << "T" << t.id << " " << Syscall(call.nr).name();
  Step(guest, t, call.nr, PointKind::kSyscall, &call);
  const bool yield = call.nr == SYS_sched_yield;
  if (!Reschedule(guest, t, StepPoint(t, yield ? PointKind::kYield : PointKind::kSyscall, call.nr, yield,
                                      SyscallResource(call.nr, call.args, ProcessNumber(t))))) {
    return 0;
  }
  // Probed at the next point, once this call has run (not at this one, before it ran).
  if (MayReadyAnFd(call.nr)) fd_probe_due_ = true;

  if (call.nr >= 0 && static_cast<size_t>(call.nr) < handlers_.size()) {
    if (const Handler handler = handlers_[static_cast<size_t>(call.nr)]) return (this->*handler)(guest, t, call);
  }
  return guest.TailInject(call);
}

int Scheduler::VirtualCpu(const Thread& t) {
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &t.cpus)) return cpu;
  }
  return 0;
}

SyscallResult Scheduler::GetCpu(Guest& guest, Thread& t, const Syscall& call) {
  // The thread's virtual CPU (the first of its virtual affinity), on node 0: where it
  // "runs" is the same in every run, and RDTSCP's TSC_AUX agrees.
  const uint32_t cpu = static_cast<uint32_t>(VirtualCpu(t)), node = 0;
  if (call.args[0] != 0 && !guest.memory().Write(RemotePtr<uint32_t>(call.args[0]), cpu).ok()) return -EFAULT;
  if (call.args[1] != 0 && !guest.memory().Write(RemotePtr<uint32_t>(call.args[1]), node).ok()) return -EFAULT;
  return 0;
}

SyscallResult Scheduler::Affinity(Guest& guest, Thread& t, const Syscall& call) {
  const pid_t who = static_cast<pid_t>(call.args[0]);
  Thread* target = &t;
  if (who != 0 && who != t.tid) {
    auto it = by_tid_.find(who);
    if (it == by_tid_.end()) return guest.TailInject(call);  // not a guest thread: the kernel's
    target = &At(it->second);
  }
  const uint64_t len = call.args[1], user = call.args[2];
  if (call.nr == SYS_sched_getaffinity) {
    // The kernel checks the size and the thread, and says how many bytes it fills.
    absl::StatusOr<int64_t> filled = guest.Inject(call);
    if (!filled.ok()) return 0;
    if (*filled <= 0) return *filled;
    std::vector<uint8_t> bytes(static_cast<size_t>(*filled), 0);
    memcpy(bytes.data(), &target->cpus, std::min(bytes.size(), sizeof(cpu_set_t)));
    if (!guest.memory().WriteArray(RemotePtr<uint8_t>(user), bytes.data(), bytes.size()).ok()) return -EFAULT;
    return *filled;
  }
  // As the kernel: the new set is the one asked for within the CPUs allowed, not empty.
  cpu_set_t wanted;
  CPU_ZERO(&wanted);
  const size_t n = static_cast<size_t>(std::min<uint64_t>(len, sizeof(wanted)));
  uint8_t* const bytes = reinterpret_cast<uint8_t*>(&wanted);
  if (n > 0 && !guest.memory().ReadArray(RemotePtr<uint8_t>(user), bytes, n).ok()) return -EFAULT;
  cpu_set_t allowed;
  CPU_AND(&allowed, &wanted, &*options_.cpus);
  if (CPU_COUNT(&allowed) == 0) return -EINVAL;
  target->cpus = allowed;
  return 0;
}

}  // namespace ravel
