#include "scheduler/handoff.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "intercept/remote_ptr.h"
#include "scheduler/lease.h"
#include "scheduler/resource.h"
#include "scheduler/scheduler.h"

namespace ravel {

HandoffPages::~HandoffPages() {
  for (auto& [pid, process] : processes_) {
    if (process.page != nullptr) munmap(process.page, sizeof(RavelHandoffPage));
  }
}

absl::Status HandoffPages::Register(pid_t pid, int fd, uint64_t guest_page, uint64_t shim_state, bool map) {
  Forget(pid);
  last_ = nullptr;  // (an insertion below)
  if (!map) {
    processes_[pid].shim_state = shim_state;
    return absl::OkStatus();
  }
  const std::string path = absl::StrCat("/proc/", pid, "/fd/", fd);
  const int own = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (own < 0) return absl::NotFoundError(absl::StrCat("open ", path, ": ", strerror(errno)));
  struct stat st {};
  if (fstat(own, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < static_cast<off_t>(sizeof(RavelHandoffPage))) {
    close(own);
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a hand-off page"));
  }
  void* page = mmap(nullptr, sizeof(RavelHandoffPage), PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
  close(own);
  if (page == MAP_FAILED) return absl::InternalError(absl::StrCat("mmap ", path, ": ", strerror(errno)));
  std::array<uint64_t, 4> window;
  for (size_t i = 0; i < window.size(); ++i) window[i] = static_cast<RavelHandoffPage*>(page)->yield_window[i];
  if (!(window[0] != 0 && window[0] < window[1] && window[1] < window[2] && window[2] < window[3] &&
        window[3] - window[0] < 64)) {
    munmap(page, sizeof(RavelHandoffPage));
    return absl::InvalidArgumentError("its shim's hand-on labels make no sense (a shim of another version?)");
  }
  Process& process = processes_[pid];
  process.page = static_cast<RavelHandoffPage*>(page);
  process.shim_state = shim_state;
  process.guest_page = guest_page;
  process.yield_window = window;
  // No plan is out: a yield makes its marker.
  __atomic_store_n(&process.page->plan_state, uint64_t{1} << 63, __ATOMIC_RELEASE);
  return absl::OkStatus();
}

HandoffPages::Process* HandoffPages::Find(pid_t pid) {
  if (last_ != nullptr && last_pid_ == pid) return last_;
  auto it = processes_.find(pid);
  if (it == processes_.end()) return nullptr;
  last_pid_ = pid;
  last_ = &it->second;
  return last_;
}

void HandoffPages::Forget(pid_t pid) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return;
  if (it->second.page != nullptr) munmap(it->second.page, sizeof(RavelHandoffPage));
  processes_.erase(it);
  last_ = nullptr;
}

int32_t HandoffPages::AssignSlot(Process& process, ThreadId id) {
  if (process.next_slot >= RAVEL_HANDOFF_SLOTS) return -1;
  const int32_t slot = process.next_slot++;
  process.by_slot.push_back(id);
  return slot;
}

void HandoffPages::Hold(RavelHandoffPage* page, int32_t slot) {
  __atomic_store_n(&page->word[slot], 0u, __ATOMIC_RELEASE);
}

void HandoffPages::Release(RavelHandoffPage* page, int32_t slot) {
  // The word first, then whether it sleeps: a thread about to sleep marks `handon` first
  // and the kernel looks at the word then, so one of the two sees the other's store.
  __atomic_exchange_n(&page->word[slot], 1u, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&page->call[slot].handon, __ATOMIC_SEQ_CST) == RAVEL_HANDOFF_ASLEEP) Wake(page, slot);
}

bool HandoffPages::AskHandOn(RavelHandoffPage* page, int32_t from, int32_t to) {
  uint64_t idle = 0;
  return __atomic_compare_exchange_n(&page->call[from].handon, &idle, static_cast<uint64_t>(to) + 1, false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

bool HandoffPages::TakeBackHandOn(RavelHandoffPage* page, int32_t from, int32_t to) {
  uint64_t asked = static_cast<uint64_t>(to) + 1;
  return __atomic_compare_exchange_n(&page->call[from].handon, &asked, uint64_t{0}, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
}

bool HandoffPages::SleepNow(RavelHandoffPage* page, int32_t slot) {
  uint64_t idle = 0;
  return __atomic_compare_exchange_n(&page->call[slot].handon, &idle, uint64_t{RAVEL_HANDOFF_SLEEP_NOW}, false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void HandoffPages::Wake(RavelHandoffPage* page, int32_t slot) {
  // A shared futex: the guest waits on its own mapping of the same memfd.
  syscall(SYS_futex, &page->word[slot], FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

int32_t HandoffPages::SlotOfWord(const Process& process, uint64_t addr) {
  const uint64_t first = process.guest_page + offsetof(RavelHandoffPage, word);
  if (process.guest_page == 0 || addr < first || (addr - first) % sizeof(uint32_t) != 0) return -1;
  const uint64_t slot = (addr - first) / sizeof(uint32_t);
  return slot < RAVEL_HANDOFF_SLOTS ? static_cast<int32_t>(slot) : -1;
}

void HandoffPages::Publish(RavelHandoffPage* page, const std::vector<uint32_t>& order, uint32_t generation) {
  CHECK(order.size() >= 2 && order.size() <= RAVEL_HANDOFF_PLAN + 1) << "a plan of " << order.size();
  __atomic_store_n(&page->plan_generation, uint64_t{generation}, __ATOMIC_RELEASE);
  for (size_t i = 0; i < order.size(); ++i) page->order[i] = order[i];
  __atomic_store_n(&page->plan_state, static_cast<uint64_t>(order.size() - 1), __ATOMIC_RELEASE);
}

uint32_t HandoffPages::TurnLogged(const RavelHandoffPage* page, int32_t slot, uint32_t generation) {
  const uint64_t state = __atomic_load_n(&page->turn_log[slot].state, __ATOMIC_ACQUIRE);
  if (static_cast<uint32_t>(state >> 16) != generation) return 0;
  return std::min<uint32_t>(static_cast<uint32_t>(state & 0xffff), RAVEL_HANDOFF_TURN_LOG);
}

uint32_t HandoffPages::SealTurnLog(RavelHandoffPage* page, int32_t slot, uint32_t generation) {
  uint64_t state = __atomic_load_n(&page->turn_log[slot].state, __ATOMIC_ACQUIRE);
  while (true) {
    // A log of another plan has nothing of this one: sealed empty.
    const uint64_t mine = static_cast<uint32_t>(state >> 16) == generation ? state : uint64_t{generation} << 16;
    const uint64_t sealed = mine | RAVEL_TURN_LOG_SEALED;
    // (A failed swap reloads `state`: a marker logged meanwhile.)
    if (__atomic_compare_exchange_n(&page->turn_log[slot].state, &state, sealed, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
      return std::min<uint32_t>(static_cast<uint32_t>(sealed & 0xffff), RAVEL_HANDOFF_TURN_LOG);
    }
  }
}

HandoffPages::Progress HandoffPages::Read(const RavelHandoffPage* page) {
  const uint64_t state = __atomic_load_n(&page->plan_state, __ATOMIC_ACQUIRE);
  return Progress{(state >> 63) != 0, static_cast<uint32_t>(state >> 32) & 0x7fffffffu, static_cast<uint32_t>(state)};
}

bool HandoffPages::Extend(RavelHandoffPage* page, uint32_t covered, const std::vector<uint32_t>& more) {
  // The entries first: a yield reads them only once the count covers them.
  for (size_t i = 0; i < more.size(); ++i) page->order[(covered + 1 + i) & RAVEL_HANDOFF_PLAN] = more[i];
  uint64_t state = __atomic_load_n(&page->plan_state, __ATOMIC_ACQUIRE);
  while (true) {
    if ((state >> 63) != 0 || static_cast<uint32_t>(state) != covered) return false;
    const uint64_t extended = (state & ~uint64_t{0xffffffff}) | (covered + static_cast<uint32_t>(more.size()));
    // (A failed swap reloads `state`: a yield made meanwhile, or the plan closed.)
    if (__atomic_compare_exchange_n(&page->plan_state, &state, extended, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      return true;
    }
  }
}

void HandoffPages::AllowBlock(RavelHandoffPage* page, uint32_t turn) {
  __atomic_fetch_or(&page->order[turn & RAVEL_HANDOFF_PLAN], RAVEL_HANDOFF_ORDER_MAY_BLOCK, __ATOMIC_RELEASE);
}

uint32_t HandoffPages::Close(RavelHandoffPage* page) {
  const uint64_t state = __atomic_fetch_or(&page->plan_state, uint64_t{1} << 63, __ATOMIC_ACQ_REL);
  if ((state >> 63) != 0) return 0;
  return static_cast<uint32_t>(state >> 32) & 0x7fffffffu;
}

// ---- The scheduler's side ----

SyscallResult Scheduler::RegisterHandoff(Guest& guest, Thread& t, const Syscall& call) {
  // Not a step: the shim registers in every run, with the fast path or without it.
  const bool map = options_.fast_path && options_.observer == nullptr;
  absl::Status status = handoff_.Register(t.pid, static_cast<int>(call.args[3]), call.args[2], call.args[4], map);
  if (!status.ok()) {
    LOG(WARNING) << "T" << t.id << ": no in-guest hand-off for process " << t.pid << ": " << status.message();
    return 1;
  }
  return map ? 0 : 1;
}

bool Scheduler::CanWaitInGuest(const Thread& t) {
  if (!options_.fast_path || options_.observer != nullptr || t.slot < 0 || resting_yields_ > 0) return false;
  return handoff_.Page(t.pid) != nullptr;
}

SyscallResult Scheduler::YieldMarker(Guest& guest, Thread& t, const Syscall& marker) {
  if (t.slot < 0 && marker.args[2] != 0) {
    if (HandoffPages::Process* process = handoff_.Find(t.pid); process != nullptr && process->page != nullptr) {
      const int32_t slot = HandoffPages::AssignSlot(*process, t.id);
      if (slot >= 0 && guest.memory().Write(RemotePtr<int32_t>(marker.args[2]), slot).ok()) {
        t.slot = slot;
        t.slot_addr = marker.args[2];
      }
    }
  }
  const SchedulingPoint point = YieldStep(&guest, t);
  if (!exiting_.empty() && !AwaitExits(guest)) return 0;
  const ThreadId chosen = Decide(t, point);
  if (chosen == t.id) {
    PlanYields(t);
    return 0;
  }
  SetState(t, State::kRunnable);
  if (CanWaitInGuest(t)) {
    HandoffPages::Hold(handoff_.Page(t.pid), t.slot);
    t.waits_in_guest = true;
    ++guest_waits_;
    GiveBaton(chosen, "yield", /*plan=*/true);
    return RAVEL_HANDOFF_PARK;
  }
  GiveBaton(chosen, "yield", /*plan=*/true);
  (void)WaitForBaton(guest, t);
  return 0;
}

SchedulingPoint Scheduler::YieldStep(Guest* guest, Thread& t) {
  if (resting_yields_ > 0) --resting_yields_;
  // From here on exactly a sched_yield syscall's point (OnSyscall).
  const Syscall call(SYS_sched_yield);
  t.last_syscall = call.nr;
  t.clock_streak = 0;
  if (options_.log_decisions) LOG(INFO) << "T" << t.id << " sched_yield";
  StepAt(guest, t, call.nr, PointKind::kSyscall, &call);
  return StepPoint(t, PointKind::kYield, call.nr, /*yield_hint=*/true,
                   SyscallResource(call.nr, call.args, ProcessNumber(t)));
}

void Scheduler::PlanYields(Thread& holder, PlanFrom from) {
  if (plan_out_ || !options_.fast_path || options_.observer != nullptr || stopped_ || deadlocked_ ||
      resting_yields_ > 0) {
    return;
  }
  if (from == PlanFrom::kAnswer) {
    if (resting_answers_ > 0) {
      --resting_answers_;
      return;
    }
    if (holder.lease_out) return;
  }
  if (running_ != holder.id || holder.slot < 0) return;
  RavelHandoffPage* page = handoff_.Page(holder.pid);
  if (page == nullptr) return;
  // Nothing but the plan's yields may change what a pick sees (as for a lease): every
  // other thread is parked here, nothing is on its way, no fd is waited on, nobody spins.
  if (!exiting_.empty() || !awaiting_start_.empty() || vfork_starting_ != kNoThread || liveness_.ReplayPending() ||
      fd_probe_due_ || fd_waits_.First() != kNoThread || liveness_.AnySpinning()) {
    return;
  }
  if (!OthersParked(holder)) return;
  for (const Thread* other : table_.live()) {
    if (other->vfork_parent != kNoThread) return;  // shares its parent's memory
  }
  // How many steps may pass with no deadline reached and no time-chaos question asked.
  LeaseLimits limits = TimeLimits();
  limits.strategy = ~uint64_t{0};
  limits.capacity = ~uint64_t{0};
  const uint64_t bound = LeaseBound(limits);
  if (bound == 0) return;
  // The last plan's simulation, refilled: its copies keep their storage.
  plan_sim_ = spare_sim_ != nullptr ? std::move(spare_sim_) : std::make_unique<PlanSim>();
  strategy_.ForkInto(plan_sim_->strategy);
  if (plan_sim_->strategy == nullptr) {
    spare_sim_ = std::move(plan_sim_);
    return;
  }
  plan_sim_->Refill(fairness_, table_.runnable(), steps_, choices_, bound);
  // Markers in the plan's turns are points too: only where no change of the strategy's
  // picks comes within the plan's reach (PCT past its change points, within bound
  // points), so that each of them leaves the picks of the yields as simulated.
  plan_sim_->markers = strategy_.LeaseLength(decided_, {}) >= bound;
  plan_ = {holder.id};
  // The holder's own turn first: its streak so far counts toward the spin detector's.
  const uint32_t points = TurnPoints(holder.id, streak_);
  const uint64_t first = from == PlanFrom::kAnswer ? kFirstStretch : kFirstYieldStretch;
  std::vector<uint32_t> slots = SimulateYields(std::min<uint64_t>({plan_length_, first, RAVEL_HANDOFF_PLAN}));
  if (slots.empty()) {
    spare_sim_ = std::move(plan_sim_);
    plan_.clear();
    if (from == PlanFrom::kAnswer) NotePlan(from, 0);
    return;
  }
  slots.insert(slots.begin(), HandoffPages::TurnEntry(holder.slot, points));
  if (plan_sim_->previous_may_block) slots.front() |= RAVEL_HANDOFF_ORDER_MAY_BLOCK;
  WriteWaited(page, holder.pid);
  HandoffPages::Publish(page, slots, ++plan_generation_);
  plan_pid_ = holder.pid;
  plan_from_ = from;
  plan_points_before_ = PlannedSoFar();
  plan_accounted_ = 0;
  turn_taken_.clear();
  plan_out_ = true;
}

void Scheduler::WriteWaited(RavelHandoffPage* page, pid_t pid) {
  // What a futex wake in the plan's turns wakes (sync_marker.h, "Futex calls under a
  // plan"): the words threads of the process wait on now, and how many on each, which stay
  // the same while the plan is out. Where its turns have no points, no wake is logged.
  uint64_t count = RAVEL_HANDOFF_WAITED + 1;
  if (plan_sim_->markers) {
    count = 0;
    futex_table_.ForEachKey([&](const FutexKey& key, size_t waiters) {
      if (key.space != static_cast<uint64_t>(pid) || key.object != 0) return;  // (a shared futex's)
      if (count < RAVEL_HANDOFF_WAITED) page->waited[count] = RavelWaited{key.offset, waiters};
      ++count;
    });
  }
  // (Publish's release of the plan's state comes after.)
  __atomic_store_n(&page->waited_count, count, __ATOMIC_RELAXED);
}

uint32_t Scheduler::TurnPoints(ThreadId holder, uint64_t streak) {
  // The points of `holder` in its turn, as Decide will see them: no yield, the same
  // runnable set, and the thread picked at each (the strategy asked here about a marker
  // point; PCT answers without changing its state), until the spin detector would make
  // one a yield (a streak of spin_steps picks).
  PlanSim& sim = *plan_sim_;
  if (!sim.markers || streak >= options_.spin_steps) return 0;
  const uint64_t reserved = plan_.size() - 1 + sim.marker_points;
  if (reserved >= sim.bound) return 0;
  sim.fairness.Sync(sim.runnable, sim.steps);
  const std::vector<ThreadId> held = sim.fairness.HeldBack(sim.runnable);
  const Choices choices{sim.runnable, held};
  if (!choices.Contains(holder)) return 0;
  SchedulingPoint point;
  point.current = holder;
  point.kind = PointKind::kSync;
  point.syscall_nr = -1;
  point.current_runnable = true;
  point.step = sim.choices;
  if (sim.strategy->PickFrom(point, choices) != holder) return 0;
  const uint64_t points =
      std::min<uint64_t>({options_.spin_steps - streak, HandoffPages::kMaxTurnPoints, sim.bound - reserved});
  sim.marker_points += points;
  return static_cast<uint32_t>(points);
}

std::vector<uint32_t> Scheduler::SimulateYields(uint64_t n) {
  // The picks of the yields to come, as Decide and GiveBaton will make them when each is
  // accounted for: the same runnable set throughout (a yield blocks nobody and wakes
  // nobody), a yield's fairness, a choice step per pick among several.
  PlanSim& sim = *plan_sim_;
  std::vector<uint32_t> slots;
  const pid_t pid = At(plan_.front()).pid;
  const size_t first = plan_.size() - 1;  // the turn before the entries returned
  sim.previous_may_block = false;
  while (slots.size() < n && !sim.ended && plan_.size() - 1 + sim.marker_points < sim.bound) {
    const ThreadId current = plan_.back();
    ++sim.steps;
    SchedulingPoint point;
    point.current = current;
    point.kind = PointKind::kYield;
    point.syscall_nr = SYS_sched_yield;
    point.current_runnable = true;
    point.yield_hint = true;
    sim.fairness.OnYield(current, sim.steps, sim.runnable);
    sim.fairness.Sync(sim.runnable, sim.steps);
    const std::vector<ThreadId> held = sim.fairness.HeldBack(sim.runnable);
    const Choices choices{sim.runnable, held};
    point.step = choices.size() > 1 ? sim.choices++ : sim.choices;
    if (!choices.Contains(current)) point.current_runnable = false;
    // A turn may end in a futex wait that blocks, the CPU going on as the turn's yield would
    // hand it (sync_marker.h, "Futex calls under a plan"), where no thread but the yielding
    // one is held back. Then the pick is the same without the blocked thread in the runnable
    // set: PCT's is the highest-priority thread that is not held back, and the yielder
    // sinks below every other; a thread that is absent holds nobody back who was free.
    // And the later picks stand too, while that holds at each (the blocked thread is never
    // picked before its next turn, which the shim does not hand the CPU to): once a turn
    // may block, a pick that holds back another thread ends the plan.
    const bool clean = held.empty() || (held.size() == 1 && held.front() == current);
    if (!clean && sim.may_block) {
      sim.ended = true;
      break;
    }
    const ThreadId chosen = sim.strategy->PickFrom(point, choices);
    if (chosen != current) {
      // Only to a thread of this process that waits in the guest: for its turn, or for the
      // answer to a futex wait through the page that woke it, written into its slot now
      // (what ContinuePageCall would answer when it gets the baton).
      // A thread that has had a turn in the plan waits on its word from its yield on, with
      // nothing pending; the others as they waited when the plan was made (what the
      // scheduler's accounting changes while the guest runs the plan is theirs alone: the
      // plan may be extended meanwhile).
      const Thread& next = At(chosen);
      const bool answered = std::find(sim.answered.begin(), sim.answered.end(), chosen) != sim.answered.end();
      const bool had_turn = std::find(plan_.begin(), plan_.end(), chosen) != plan_.end();
      const bool answerable =
          next.page_call == Thread::PageCall::kWait ||
          (next.page_call == Thread::PageCall::kEntry &&
           (IsMarkerCall(next.page_syscall) || IsPageFutexWait(next.page_syscall)));
      if (answered || (!had_turn && (!next.waits_in_guest || next.pid != pid || next.slot < 0 ||
                                     (next.page_call != Thread::PageCall::kNone && !answerable)))) {
        sim.ended = true;
        break;
      }
      if (!had_turn && next.page_call != Thread::PageCall::kNone) {
        RavelHandoffPage* page = handoff_.Page(pid);
        __atomic_store_n(&page->call[next.slot].result, PlannedAnswer(next), __ATOMIC_RELAXED);
        sim.answered.push_back(chosen);
      }
      sim.fairness.OnRan(chosen, sim.steps);
    }
    plan_.push_back(chosen);
    // Its markers in the turn: after a switch its streak starts at 1; a thread picked again
    // at its own yield has a streak the plan cannot know (its markers before), so none.
    const uint32_t points = chosen != current ? TurnPoints(chosen, 1) : 0;
    slots.push_back(HandoffPages::TurnEntry(At(chosen).slot, points));
    // The turn of `current`, which this pick ends, may end in a block instead.
    if (sim.markers && clean && chosen != current) {
      sim.may_block = true;
      const size_t turn = plan_.size() - 2;
      if (turn == first) {
        sim.previous_may_block = true;
      } else {
        slots[turn - first - 1] |= RAVEL_HANDOFF_ORDER_MAY_BLOCK;
      }
    }
  }
  return slots;
}

void Scheduler::AccountPlanned(uint64_t made) {
  const Syscall call(SYS_sched_yield);
  for (; plan_accounted_ < made && plan_accounted_ + 1 < plan_.size(); ++plan_accounted_) {
    const uint64_t i = plan_accounted_;
    // The markers of plan_[i]'s turn, which its yield ends, or a futex wait that blocks.
    AccountTurnMarkers(i, kNoSeal);
    Thread& t = At(plan_[i]);
    if (t.state == State::kBlocked) {
      PlannedBlockHandOff(t, plan_[i + 1]);
      continue;
    }
    // The yield of plan_[i], as YieldMarker takes it at a stop.
    t.last_syscall = call.nr;
    t.clock_streak = 0;
    if (options_.log_decisions) LOG(INFO) << "T" << t.id << " sched_yield (planned)";
    StepAt(nullptr, t, call.nr, PointKind::kSyscall, &call);
    const ThreadId chosen = Decide(t, StepPoint(t, PointKind::kYield, call.nr, /*yield_hint=*/true, 0));
    const ThreadId next = plan_[i + 1];
    if (chosen != next) {
      // Not reached while the plan's conditions hold: the guest has already gone on.
      LOG(ERROR) << "a plan handed T" << t.id << "'s yield at step " << steps_ - 1 << " to T" << next
                 << " where the strategy picks T" << chosen << "; the run goes on as it went";
      external_.push_back(ExternalNote{steps_, t.id, "plan-broken", ""});
    }
    ++planned_points_;
    if (next == t.id) continue;
    // The baton went as the plan said: t waits in the guest, `next` runs.
    SetState(t, State::kRunnable);
    t.waits_in_guest = true;
    ++guest_waits_;
    PlannedBaton(t, next, "yield");
  }
}

void Scheduler::PlannedBaton(const Thread& from, ThreadId next, const char* why) {
  if (options_.log_decisions) LOG(INFO) << "switch T" << from.id << " -> T" << next << " (" << why << ", planned)";
  running_ = next;
  Thread& n = At(next);
  n.waits_in_guest = false;
  SetState(n, State::kRunning);
  fairness_.OnRan(next, steps_);
  FinishPlannedCall(n);
}

int64_t Scheduler::PlannedAnswer(const Thread& n) const {
  // ContinuePageCall's answer (a marker's lease it would not grant: the decision since was
  // another thread's); a futex wait the thread makes itself in its turn (sync_marker.h,
  // "Waits resumed under a plan").
  if (n.page_call == Thread::PageCall::kWait) return n.woke == Woke::kSignal ? -EINTR : n.wake_result;
  if (n.page_call == Thread::PageCall::kEntry && !IsMarkerCall(n.page_syscall)) return RAVEL_HANDOFF_RUN;
  return 0;
}

void Scheduler::FinishPlannedCall(Thread& n) {
  // The rest of its call through the page, as ContinuePageCall makes it when the baton comes
  // back, with the answer the plan wrote. A futex wait's is the thread's own first entry in
  // its turn (LoggedResume), or, if the plan cannot take it, a RAVEL_SYNC_RESUME.
  if (n.page_call == Thread::PageCall::kEntry && !IsMarkerCall(n.page_syscall)) return;
  if (n.page_call == Thread::PageCall::kWait) EndWaitInGuest(n);
  n.page_call = Thread::PageCall::kNone;
}

void Scheduler::PlannedBlockHandOff(Thread& t, ThreadId next) {
  // HandOffFrom's (HandOff's, its conditions held by the plan's): the baton goes as the plan
  // said, by the guest's own hand-on.
  SchedulingPoint point;
  point.step = steps_;
  point.current = t.id;
  point.kind = PointKind::kSync;
  point.syscall_nr = SYS_futex;
  if (running_ == t.id) running_ = kNoThread;
  suspect_deadlock_ = false;
  awaiting_kernel_ = false;
  std::vector<ThreadId> runnable = Runnable();
  if (!runnable.empty()) MaybeJumpTime(point, runnable);
  const ThreadId chosen = runnable.empty() ? kNoThread : PickAtHandOff(point, runnable);
  if (chosen != next) {
    // Not reached while the plan's conditions hold: the guest has already gone on.
    LOG(ERROR) << "a plan handed the CPU on from T" << t.id << "'s futex wait at step " << steps_ - 1 << " to T"
               << next << " where the strategy picks T" << chosen << "; the run goes on as it went";
    external_.push_back(ExternalNote{steps_, t.id, "plan-broken", ""});
  }
  PlannedBaton(t, next, "hand-off");
}

void Scheduler::AccountTurnMarkers(uint64_t turn, uint32_t sealed) {
  Thread& t = At(plan_[turn]);
  RavelHandoffPage* page = handoff_.Page(plan_pid_);
  if (page == nullptr || t.slot < 0 || t.pid != plan_pid_) return;
  const RavelTurnLog& log = page->turn_log[t.slot];
  const uint32_t logged = sealed != kNoSeal ? sealed : HandoffPages::TurnLogged(page, t.slot, plan_generation_);
  uint32_t& taken = turn_taken_[t.slot];
  for (; taken < logged && log.entry[taken].turn == static_cast<uint32_t>(turn); ++taken) {
    const RavelTurnMarker& e = log.entry[taken];
    if (e.op == RAVEL_HANDOFF_TURN_FUTEX) {
      LoggedWake(t, e.object, e.other);
      continue;
    }
    if (e.op == RAVEL_HANDOFF_TURN_WAIT) {
      if ((e.other & RAVEL_TURN_WAIT_RESUMED) != 0) {
        LoggedResume(t, e.object, e.other);
      } else {
        LoggedWait(t, e.object, e.other);
      }
      continue;
    }
    SyncOp(nullptr, t, LoggedMarker(t, e.op, e.object, e.other), MarkerVia::kPlan);
  }
}

void Scheduler::TakeBackHandOn() {
  hand_on_caller_ = {};
  if (hand_on_asked_.from < 0) return;
  const HandOnAsked asked = std::exchange(hand_on_asked_, {});
  if (RavelHandoffPage* page = handoff_.Page(asked.pid);
      page != nullptr && HandoffPages::TakeBackHandOn(page, asked.from, asked.to)) {
    HandoffPages::Release(page, asked.to);
  }
}

void Scheduler::LetRun(RavelHandoffPage* page, const Thread& t) {
  const HandOnCaller caller = std::exchange(hand_on_caller_, {});
  if (caller.id != kNoThread && caller.id != t.id && caller.pid == t.pid && hand_on_asked_.from < 0 &&
      table_.Has(caller.id)) {
    const Thread& from = At(caller.id);
    if (from.waits_in_guest && running_ != from.id && from.slot >= 0 && from.pid == t.pid &&
        HandoffPages::AskHandOn(page, from.slot, t.slot)) {
      hand_on_asked_ = {t.pid, from.slot, t.slot};
      if (options_.log_decisions) LOG(INFO) << "T" << from.id << " lets T" << t.id << " go (asked of it)";
      return;
    }
  }
  HandoffPages::Release(page, t.slot);
}

void Scheduler::SleepCaller(const Thread& t) {
  const HandOnCaller caller = std::exchange(hand_on_caller_, {});
  if (caller.id == kNoThread || caller.id == t.id || !table_.Has(caller.id)) return;
  const Thread& from = At(caller.id);
  if (!from.waits_in_guest || running_ == from.id || from.slot < 0) return;
  if (RavelHandoffPage* page = handoff_.Page(from.pid)) HandoffPages::SleepNow(page, from.slot);
}

void Scheduler::DrainPlan() {
  TakeBackHandOn();
  if (!plan_out_) return;
  plan_out_ = false;
  RavelHandoffPage* page = handoff_.Page(plan_pid_);
  if (page == nullptr) return;
  const uint64_t made = HandoffPages::Close(page);
  // The thread whose turn it is may be logging a marker: nothing from it after the seal.
  const uint32_t sealed =
      made < plan_.size() && At(plan_[made]).slot >= 0 ? HandoffPages::SealTurnLog(page, At(plan_[made]).slot, plan_generation_) : 0;
  AccountPlanned(made);
  if (made < plan_.size()) AccountTurnMarkers(made, sealed);
  // A futex wait that blocked at the end of that turn, whose hand-on the guest could not
  // make (the plan was taken back first): the scheduler makes the hand-off, as at a stop.
  ThreadId blocked = kNoThread;
  if (made < plan_.size() && At(plan_[made]).state == State::kBlocked && running_ == plan_[made]) {
    blocked = plan_[made];
  }
  // The next plan's first stretch: twice what this one's guest made (it is simulated pick
  // by pick, and a plan cut short by a lock's wait every few yields would cost more than
  // the stops it saves), or, if every yield it covered was made, twice that.
  const uint64_t covered = plan_.size() - 1;
  plan_length_ = made >= covered ? std::min<uint64_t>(2 * covered, RAVEL_HANDOFF_PLAN)
                                 : std::clamp<uint64_t>(2 * made, kFirstPlanLength, RAVEL_HANDOFF_PLAN);
  spare_sim_ = std::move(plan_sim_);
  plan_.clear();
  plan_accounted_ = 0;
  NotePlan(plan_from_, PlannedSoFar() - plan_points_before_);
  if (blocked != kNoThread) HandOffFrom(blocked, PointKind::kSync, SYS_futex);
}

void Scheduler::NotePlan(PlanFrom from, uint64_t made) {
  const bool yield = from == PlanFrom::kYield;
  uint64_t& plans = yield ? window_plans_ : answer_window_plans_;
  uint64_t& window_made = yield ? window_made_ : answer_window_made_;
  window_made += made;
  if (++plans < kPlanWindow) return;
  if (window_made < (yield ? kPaidYields : kPaidAnswers) * kPlanWindow) {
    (yield ? resting_yields_ : resting_answers_) = kRestYields;
  }
  plans = 0;
  window_made = 0;
}

void Scheduler::FinishHandOn(Guest& guest, const Thread& t) {
  HandoffPages::Process* process = handoff_.Find(t.pid);
  if (process == nullptr || process->page == nullptr) return;
  const std::array<uint64_t, 4>& window = process->yield_window;  // [0] swapped [1] store [2] wake [3] done
  absl::StatusOr<Registers> regs = guest.GetRegisters();
  if (!regs.ok() || regs->ip() < window[0] || regs->ip() >= window[3]) return;
  constexpr uint64_t kZeroFlag = 1u << 6;
  if (regs->ip() == window[0] && (regs->raw().eflags & kZeroFlag) == 0) return;  // the swap failed
  // The yield is made: let the next thread go (its word is in rdi) as the shim would have,
  // and move this one on past its wake.
  const int32_t next = HandoffPages::SlotOfWord(*process, regs->raw().rdi);
  if (next < 0) return;
  if (regs->ip() <= window[1]) {
    HandoffPages::Release(process->page, next);
  } else {
    HandoffPages::Wake(process->page, next);  // its word is set already
  }
  regs->set_ip(window[3]);
  regs->set_result(0);
  if (absl::Status status = guest.SetRegisters(*regs); !status.ok()) {
    LOG(WARNING) << "T" << t.id << ": could not move past the hand-on of its yield: " << status.message();
  }
}

int Scheduler::SignalWhileWaitingInGuest(Guest& guest, Thread& t, const siginfo_t& info) {
  // A plan made since this stop's DrainPlan (a call of t's through the page was taken at
  // the stop, and handed the CPU on with a plan) may name t, which waits at this stop from
  // now on: take it back first. If it gave t the CPU meanwhile, t has the baton already.
  DrainPlan();
  if (!t.waits_in_guest) return info.si_signo;
  t.waits_in_guest = false;
  if (t.page_call == Thread::PageCall::kNone) {
    // Its wait ends once the signal is taken (and the call restarted): it has the baton then.
    // (The wake finds nobody: it is at the signal's stop.)
    if (RavelHandoffPage* page = handoff_.Page(t.pid)) HandoffPages::Release(page, t.slot);
    if (!WaitForBaton(guest, t)) return 0;
    return info.si_signo;
  }
  // A call through the page waits for its turn (a futex wake or a yield: a wait blocks every
  // signal): the rest of the call runs once it has the baton, here, where its handler
  // would have resumed; the signal comes after it, as after a syscall.
  if (!WaitForBaton(guest, t)) return 0;
  t.waits_in_guest = true;
  ContinuePageCall(t.id);
  return info.si_signo;
}

void Scheduler::ForkedHandoff(Guest& child, const Thread& parent) {
  if (parent.lease_addr != 0) {
    // The child's copy of the forking thread's lease names the parent's tid: its own goes
    // there at its first marker.
    const int64_t none = 0;
    (void)child.memory().Write(RemotePtr<int64_t>(parent.lease_addr + offsetof(RavelLease, tid)), none);
  }
  HandoffPages::Process* process = handoff_.Find(parent.pid);
  if (process == nullptr) return;
  const RavelHandoff none{};
  if (!child.memory().Write(RemotePtr<RavelHandoff>(process->shim_state), none).ok()) {
    LOG(WARNING) << "the shim's hand-off state of process " << child.pid() << " could not be reset";
  }
  const int32_t no_slot = -1;
  if (parent.slot_addr != 0) (void)child.memory().Write(RemotePtr<int32_t>(parent.slot_addr), no_slot);
}

pid_t Scheduler::ExpectedStop() {
  ThreadId holder = running_;
  if (plan_out_) {
    if (RavelHandoffPage* page = handoff_.Page(plan_pid_)) {
      const size_t made = HandoffPages::Read(page).made;
      if (made < plan_.size()) holder = plan_[made];
    }
  }
  if (holder == kNoThread) return 0;
  const Thread& t = At(holder);
  return t.state == State::kExited ? 0 : t.tid;
}

}  // namespace ravel
