// Calls through the hand-off page (preempt/sync_marker.h, "Calls through the page"): the
// baton holder's futex calls and unplanned yields reach the scheduler through a door in its
// process's page instead of a ptrace stop. Each is taken as exactly the step its syscall
// would have been (OnSyscall's, then Futex's or YieldMarker's work), so the decisions,
// steps, fingerprint and recording are those of a run without the fast path:
//  - at its point: Step, then Decide;
//  - if another thread is picked, the caller waits in the guest with its call pending, and
//    the rest of the call runs when the baton comes back, posted where a parked handler
//    would resume (Control::Post), so that its wakes and fingerprint mixes come in the same
//    order as at a stop;
//  - a futex wait that blocks waits in the guest too, with every signal blocked by the
//    shim: a signal stays pending, and WakeSignalled finds it as for a waiter at a stop,
//    by the mask the caller had.
// The door is open only while the tracer polls for the next stop; before it waits in the
// kernel it closes the door, and the guest then makes its calls as syscalls.
#include <linux/futex.h>
#include <sys/syscall.h>

#include "base/logging.h"
#include "intercept/memory.h"
#include "intercept/remote_ptr.h"
#include "preempt/sync_marker.h"
#include "scheduler/resource.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

constexpr uint64_t kDoorSlotMask = 0xffffffffull;

bool IsMarker(const Syscall& call) {
  return call.nr == RAVEL_SYNC_MARKER_NR && static_cast<int64_t>(call.args[0]) == RAVEL_SYNC_MAGIC;
}

// The calls the page takes: as the shim sends them (it checks the same).
bool TakenThroughPage(const Syscall& call) {
  if (call.nr == SYS_sched_yield) return true;
  if (IsMarker(call)) {
    // The pthread markers (a point or a report); a yield comes as sched_yield, and a
    // page is registered only by a marker syscall.
    return call.args[1] != RAVEL_SYNC_YIELD && call.args[1] != RAVEL_SYNC_HANDOFF_REGISTER;
  }
  return call.nr == SYS_futex && RavelPageFutexKind(static_cast<uint32_t>(call.args[1]), call.args[3],
                                                    static_cast<uint32_t>(call.args[5])) != 0;
}

}  // namespace

bool Scheduler::IsMarkerCall(const Syscall& call) { return IsMarker(call); }

bool Scheduler::IsPageFutexWait(const Syscall& call) {
  return call.nr == SYS_futex && RavelPageFutexKind(static_cast<uint32_t>(call.args[1]), call.args[3],
                                                    static_cast<uint32_t>(call.args[5])) == 2;
}

bool Scheduler::OnIdle() {
  bool worked = ServeDoor(/*close=*/false);
  if (!plan_out_) return worked;
  RavelHandoffPage* page = handoff_.Page(plan_pid_);
  if (page == nullptr) return worked;
  const HandoffPages::Progress progress = HandoffPages::Read(page);
  if (progress.closed) return worked;
  // The yields made so far, accounted for while the guest goes on.
  if (progress.made > plan_accounted_) {
    AccountPlanned(progress.made);
    worked = true;
  }
  // More of the plan while the guest runs it, so that it need not stop for a new one: up
  // to the length planned (PlanYields simulates only the first stretch), as much again as
  // it covers each time (at least kFirstYieldStretch), so that the guest sees the first
  // extension soon; then, once the guest has made half of what the plan covers, as much
  // again (a plan simulated far beyond what the guest makes before its next stop is
  // wasted work).
  const uint64_t ahead = progress.covered - progress.made;
  const bool young = progress.covered < plan_length_;
  if (!plan_sim_->ended && (young || 2 * ahead <= progress.covered) && plan_.size() - 1 == progress.covered) {
    const uint64_t doubled = std::max<uint64_t>(progress.covered, kFirstYieldStretch);
    const uint64_t stretch = young ? std::min<uint64_t>(plan_length_ - progress.covered, doubled) : progress.covered;
    std::vector<uint32_t> more = SimulateYields(std::min<uint64_t>(RAVEL_HANDOFF_PLAN - ahead, stretch));
    if (plan_sim_->previous_may_block) HandoffPages::AllowBlock(page, progress.covered);
    if (!more.empty()) {
      CHECK(HandoffPages::Extend(page, progress.covered, more)) << "a plan changed under the scheduler";
      worked = true;
    }
  }
  return worked;
}

bool Scheduler::BeforeBlockingWait() { return ServeDoor(/*close=*/true); }

bool Scheduler::ServeDoor(bool close) {
  bool worked = false;
  // The door to keep open: the one of the process whose thread holds the CPU by now.
  pid_t want = 0;
  if (!close && options_.fast_path && options_.observer == nullptr && !stopped_ && !deadlocked_) {
    if (const pid_t tid = ExpectedStop(); tid != 0) {
      if (auto it = by_tid_.find(tid); it != by_tid_.end()) want = At(it->second).pid;
    }
  }
  if (door_pid_ != 0 && door_pid_ != want) {
    const pid_t pid = door_pid_;
    door_pid_ = 0;
    if (RavelHandoffPage* page = handoff_.Page(pid)) {
      const uint64_t door = __atomic_exchange_n(&page->door, uint64_t{0}, __ATOMIC_ACQ_REL);
      if ((door & kDoorSlotMask) != 0) {
        TakePageCall(pid, page, static_cast<int32_t>((door & kDoorSlotMask) - 1));
        worked = true;
      }
    }
  }
  if (want == 0) return worked;
  RavelHandoffPage* page = handoff_.Page(want);
  if (page == nullptr) return worked;
  if (door_pid_ == 0) {
    __atomic_store_n(&page->door, RAVEL_HANDOFF_DOOR_OPEN, __ATOMIC_RELEASE);
    door_pid_ = want;
    return worked;
  }
  const uint64_t door = __atomic_load_n(&page->door, __ATOMIC_ACQUIRE);
  if (door == 0) {
    // A page registered anew since (the process exec'd): its door starts closed.
    __atomic_store_n(&page->door, RAVEL_HANDOFF_DOOR_OPEN, __ATOMIC_RELEASE);
    return worked;
  }
  return TakeWaitingCall() || worked;
}

bool Scheduler::TakeWaitingCall() {
  if (door_pid_ == 0) return false;  // (a closed door has no call waiting: closing takes it)
  RavelHandoffPage* page = handoff_.Page(door_pid_);
  if (page == nullptr) return false;
  const uint64_t door = __atomic_load_n(&page->door, __ATOMIC_ACQUIRE);
  if ((door & kDoorSlotMask) == 0) return false;
  // Only the scheduler changes a door that has a call waiting.
  __atomic_store_n(&page->door, RAVEL_HANDOFF_DOOR_OPEN, __ATOMIC_RELEASE);
  TakePageCall(door_pid_, page, static_cast<int32_t>((door & kDoorSlotMask) - 1));
  return true;
}

void Scheduler::TakePageCall(pid_t pid, RavelHandoffPage* page, int32_t slot) {
  auto retry = [&] {
    __atomic_store_n(&page->call[slot].result, int64_t{RAVEL_HANDOFF_RETRY}, __ATOMIC_RELAXED);
    HandoffPages::Release(page, slot);
  };
  HandoffPages::Process* process = handoff_.Find(pid);
  if (slot < 0 || slot >= RAVEL_HANDOFF_SLOTS) return;  // (the guest wrote its door itself)
  if (process == nullptr || static_cast<size_t>(slot) >= process->by_slot.size()) return retry();
  const RavelHandoffCall& sent = page->call[slot];
  Syscall call(sent.nr);
  for (size_t i = 0; i < call.args.size(); ++i) call.args[i] = sent.args[i];
  const uint64_t mask = sent.sigmask;
  // An event like any other: the plan's yields made so far come first.
  DrainPlan();
  Thread& t = At(process->by_slot[static_cast<size_t>(slot)]);
  if (IsMarker(call) && call.args[1] == RAVEL_SYNC_RESUME) {
    // The rest of its futex wait (no step), which a plan let it make and could not take.
    if (running_ != t.id || t.state != State::kRunning || t.pid != pid || t.slot != slot ||
        t.page_call != Thread::PageCall::kEntry || !IsPageFutexWait(t.page_syscall) || !exiting_.empty()) {
      return retry();
    }
    ++page_calls_;
    hand_on_caller_ = {pid, t.id};
    return RunPageFutex(t);
  }
  // Taken here only where the call's stop would go straight to its point: its thread holds
  // the baton (a thread back from a call in the kernel, or a vfork child in its parent's
  // slot, does not) and no process end is due.
  if (running_ != t.id || t.state != State::kRunning || t.pid != pid || t.slot != slot ||
      t.page_call != Thread::PageCall::kNone || !exiting_.empty() || !TakenThroughPage(call)) {
    return retry();
  }
  // The points it made under a lease, as at its stop (OnSyscall's DrainLease).
  DrainLeaseOf(t, nullptr);
  if (running_ != t.id || t.state != State::kRunning) return retry();  // (not reached: a lease's picks are t)
  ++page_calls_;
  // It waits awake for the answer: if the call gives the CPU to another thread, it can let
  // that thread go itself.
  hand_on_caller_ = {pid, t.id};
  if (call.nr == SYS_sched_yield) return PageYield(t);
  if (IsMarker(call)) {
    // SyncMarker's work.
    NoteLease(t, call.args[4], call.args[5]);
    // A point is answered by SyncOp (at once, or when the baton comes back); a report,
    // which is no point, here.
    if (!SyncOp(nullptr, t, call, MarkerVia::kStop)) AnswerPageCall(t, 0);
    return;
  }
  PageFutex(t, call, mask);
}

void Scheduler::PageYield(Thread& t) {
  // YieldMarker's step and decision.
  const ThreadId chosen = Decide(t, YieldStep(nullptr, t));
  RavelHandoffPage* page = handoff_.Page(t.pid);
  if (chosen == t.id) return AnswerPageCall(t, 0, PlanFrom::kYield);
  // It waits for its turn in the guest, as after a marker answered RAVEL_HANDOFF_PARK.
  __atomic_store_n(&page->call[t.slot].result, int64_t{0}, __ATOMIC_RELAXED);
  SetState(t, State::kRunnable);
  t.waits_in_guest = true;
  ++guest_waits_;
  GiveBaton(chosen, "yield", /*plan=*/true);
}

SchedulingPoint Scheduler::FutexStep(Thread& t, const Syscall& call, const char* via) {
  // OnSyscall's step.
  t.last_syscall = call.nr;
  t.clock_streak = 0;
  if (options_.log_decisions) LOG(INFO) << "T" << t.id << " " << call.name() << " (" << via << ")";
  StepAt(nullptr, t, call.nr, PointKind::kSyscall, &call);
  return StepPoint(t, PointKind::kSyscall, call.nr, false, SyscallResource(call.nr, call.args, ProcessNumber(t)));
}

void Scheduler::PageFutex(Thread& t, const Syscall& call, uint64_t mask) {
  // OnSyscall's step and decision.
  const ThreadId chosen = Decide(t, FutexStep(t, call, "through the page"));
  t.page_call = Thread::PageCall::kEntry;
  t.page_syscall = call;
  t.page_mask = mask;
  if (chosen == t.id) return RunPageFutex(t);
  SetState(t, State::kRunnable);
  t.waits_in_guest = true;
  GiveBaton(chosen, decided_.yield_hint ? "yield" : "preempt");
}

void Scheduler::LoggedFutexPoint(Thread& t, const Syscall& call) {
  // PageFutex's step and decision.
  const SchedulingPoint point = FutexStep(t, call, "in a plan's turn");
  ++planned_futex_;
  if (const ThreadId chosen = Decide(t, point); chosen != t.id) {
    // Not reached while the plan's conditions hold: the guest has already gone on.
    LOG(ERROR) << "a plan let T" << t.id << " go on past its futex call at step " << steps_ - 1
               << " where the strategy picks T" << chosen << "; the run goes on as it went";
    external_.push_back(ExternalNote{steps_, t.id, "plan-broken", ""});
  }
}

void Scheduler::LoggedWake(Thread& t, uint64_t addr, uint64_t logged) {
  const Syscall call(SYS_futex, {addr, FUTEX_WAKE_PRIVATE, logged & 0xffffffffu});
  LoggedFutexPoint(t, call);
  // RunPageFutex's wake.
  const int answered = static_cast<int>(logged >> 32);
  const FutexKey key = KeyOf(t, addr, /*shared=*/false);
  if (const int woken = WakeFutex(key, FUTEX_BITSET_MATCH_ANY, static_cast<int>(call.args[2])); woken != answered) {
    LOG(ERROR) << "a plan let T" << t.id << "'s futex wake at step " << steps_ - 1 << " answer " << answered
               << " where it woke " << woken << "; the run goes on as it went";
    external_.push_back(ExternalNote{steps_, t.id, "plan-broken", ""});
  }
}

void Scheduler::LoggedWait(Thread& t, uint64_t addr, uint64_t logged) {
  const Syscall call(SYS_futex, {addr, FUTEX_WAIT_PRIVATE, logged & 0xffffffffu, 0});
  LoggedFutexPoint(t, call);
  // RunPageFutex's wait: EAGAIN (the shim found another value in the word), or it blocks.
  if ((logged & RAVEL_TURN_WAIT_BLOCKED) == 0) return;
  RavelHandoffPage* page = handoff_.Page(t.pid);
  t.page_syscall = call;
  t.page_mask = page != nullptr && t.slot >= 0 ? page->call[t.slot].sigmask : 0;
  WaitInGuest(t, addr);
}

void Scheduler::LoggedResume(Thread& t, uint64_t addr, uint64_t logged) {
  if (t.page_call != Thread::PageCall::kEntry || !IsPageFutexWait(t.page_syscall) || t.page_syscall.args[0] != addr ||
      static_cast<uint32_t>(t.page_syscall.args[2]) != static_cast<uint32_t>(logged)) {
    // Not reached: a plan lets a thread resume only the wait it has pending.
    LOG(ERROR) << "a plan let T" << t.id << " resume a futex wait on 0x" << std::hex << addr << std::dec
               << " it had not made; the run goes on as it went";
    external_.push_back(ExternalNote{steps_, t.id, "plan-broken", ""});
    return;
  }
  ++planned_resumes_;
  if ((logged & RAVEL_TURN_WAIT_BLOCKED) == 0) {
    // RunPageFutex's EAGAIN (its answer is the guest's already).
    t.page_call = Thread::PageCall::kNone;
    return;
  }
  WaitInGuest(t, addr);
}

SyscallResult Scheduler::ResumeMarker(Guest& guest, Thread& t) {
  if (t.page_call != Thread::PageCall::kEntry || !IsPageFutexWait(t.page_syscall) || handoff_.Page(t.pid) == nullptr ||
      t.slot < 0) {
    // Not reached: only a plan's answer has a thread ask for it. (It makes the call itself.)
    LOG(ERROR) << "T" << t.id << " asked to resume a futex wait it has not made";
    return -EINVAL;
  }
  if (!exiting_.empty() && !AwaitExits(guest)) return 0;
  // As ContinuePageCall makes it: the answer in its slot (the thread waits on its word for it).
  RunPageFutex(t);
  return RAVEL_HANDOFF_PARK;
}

void Scheduler::WaitInGuest(Thread& t, uint64_t addr) {
  t.futex_addr = addr;
  t.deadline_ns.reset();
  futex_table_.Wait(t.id, {KeyOf(t, addr, /*shared=*/false)}, FUTEX_BITSET_MATCH_ANY, wait_seq_++);
  // BlockAndWait's, with the thread waiting in the guest.
  SetState(t, State::kBlocked);
  t.block = Block::kFutex;
  t.woke = Woke::kNone;
  t.chaos_lag_ns = 0;
  t.chaos_delays = 0;
  t.wait_sigmask = t.page_mask;  // (the shim blocks every signal while it waits)
  t.page_call = Thread::PageCall::kWait;
  t.waits_in_guest = true;
}

void Scheduler::ContinuePageCall(ThreadId id) {
  Thread& t = At(id);
  // (As a parked handler's WaitForBaton: not its turn after all, it waits on.)
  if (t.state != State::kRunning || running_ != id || !t.waits_in_guest) return;
  switch (t.page_call) {
    case Thread::PageCall::kNone:
      return;
    case Thread::PageCall::kEntry:
      if (IsMarker(t.page_syscall)) {
        // SyncOp's after its Reschedule.
        GrantLease(t);
        return AnswerPageCall(t, 0);
      }
      return RunPageFutex(t);
    case Thread::PageCall::kWait:
      return AnswerPageCall(t, EndWaitInGuest(t));
  }
}

int64_t Scheduler::EndWaitInGuest(Thread& t) {
  // Futex's return from its wait.
  t.wait_sigmask.reset();
  if (t.woke == Woke::kSignal) t.wake_result = -EINTR;
  Mix(static_cast<uint64_t>(t.wake_result));
  return t.wake_result;
}

void Scheduler::RunPageFutex(Thread& t) {
  const Syscall& call = t.page_syscall;
  const uint64_t addr = call.args[0];
  const int cmd = static_cast<int>(call.args[1]) & FUTEX_CMD_MASK;
  const uint32_t val = static_cast<uint32_t>(call.args[2]);
  const FutexKey key = KeyOf(t, addr, /*shared=*/false);
  if (cmd == FUTEX_WAKE) return AnswerPageCall(t, WakeFutex(key, FUTEX_BITSET_MATCH_ANY, static_cast<int>(val)));
  // FUTEX_WAIT, or FUTEX_WAIT_BITSET for any bit; no timeout (TakenThroughPage).
  uint32_t current = 0;
  GuestMemory memory(t.tid);
  if (!memory.Read(RemotePtr<uint32_t>(addr), current).ok()) return AnswerPageCall(t, -EFAULT);
  if (current != val) return AnswerPageCall(t, -EAGAIN);
  WaitInGuest(t, addr);
  HandOffFrom(t.id, PointKind::kSync, call.nr);
}

void Scheduler::AnswerPageCall(Thread& t, int64_t result, PlanFrom from) {
  t.page_call = Thread::PageCall::kNone;
  t.waits_in_guest = false;
  RavelHandoffPage* page = handoff_.Page(t.pid);
  if (page == nullptr || t.slot < 0) return;
  __atomic_store_n(&page->call[t.slot].result, result, __ATOMIC_RELAXED);
  // Its next yields, markers and lock calls under a plan from here, if it can have one.
  // A thread other than the caller gets the CPU through a hand-on or a wake, a switch of
  // several microseconds: its plan is made meanwhile, off the guest's critical path. (A
  // point it reaches before the plan is out comes through the page, which takes the plan
  // back unused; the caller itself goes on at once, so its plan comes first.)
  if (hand_on_caller_.id != t.id) {
    LetRun(page, t);
    PlanYields(t, from);
    return;
  }
  PlanYields(t, from);
  LetRun(page, t);
}

}  // namespace ravel
