// Virtual time and deterministic inputs: clock_gettime/gettimeofday/time, sleeps, timed
// waits, getrandom, AT_RANDOM, and hiding the vDSO so that glibc asks the kernel (and so
// the scheduler) for the time.
#include <elf.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/logging.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

constexpr uint64_t kNsPerSec = 1000000000ull;

bool IsRealtimeClock(int clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI;
}
bool IsVirtualClock(int clock) {
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_TAI:
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME: case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
      return true;
    default:
      return false;
  }
}

}  // namespace

uint64_t Scheduler::RealtimeNs() const { return clock_.realtime(); }

SyscallResult Scheduler::Clock(Guest& guest, Thread& t, const Syscall& call) {
  if (++t.clock_streak > kClockPollReads) {
    const uint64_t doublings = std::min<uint64_t>(t.clock_streak - kClockPollReads, 20);
    clock_.Advance(std::min(kClockPollMaxNs, options_.step_quantum_ns << doublings));
    WakeExpired();
  }
  switch (call.nr) {
    case SYS_clock_gettime: {
      int clock = static_cast<int>(call.args[0]);
      if (!IsVirtualClock(clock)) return guest.TailInject(call);
      uint64_t ns = IsRealtimeClock(clock) ? RealtimeNs() : clock_.now();
      struct timespec ts;
      ts.tv_sec = static_cast<time_t>(ns / kNsPerSec);
      ts.tv_nsec = static_cast<long>(ns % kNsPerSec);
      if (!guest.memory().Write(RemotePtr<timespec>(call.args[1]), ts).ok()) return -EFAULT;
      return 0;
    }
    case SYS_gettimeofday: {
      uint64_t ns = RealtimeNs();
      if (call.args[0] != 0) {
        struct timeval tv;
        tv.tv_sec = static_cast<time_t>(ns / kNsPerSec);
        tv.tv_usec = static_cast<suseconds_t>((ns % kNsPerSec) / 1000);
        if (!guest.memory().Write(RemotePtr<timeval>(call.args[0]), tv).ok()) return -EFAULT;
      }
      if (call.args[1] != 0) {
        struct timezone tz {};
        if (!guest.memory().Write(RemotePtr<struct timezone>(call.args[1]), tz).ok()) return -EFAULT;
      }
      return 0;
    }
    case SYS_time: {
      int64_t secs = static_cast<int64_t>(RealtimeNs() / kNsPerSec);
      if (call.args[0] != 0 && !guest.memory().Write(RemotePtr<int64_t>(call.args[0]), secs).ok()) return -EFAULT;
      return secs;
    }
    default:
      return guest.TailInject(call);
  }
}

SyscallResult Scheduler::Sleep(Guest& guest, Thread& t, const Syscall& call) {
  int clock = CLOCK_MONOTONIC;
  bool absolute = false;
  uint64_t req_addr = call.args[0];
  if (call.nr == SYS_clock_nanosleep) {
    clock = static_cast<int>(call.args[0]);
    absolute = (call.args[1] & TIMER_ABSTIME) != 0;
    req_addr = call.args[2];
    if (!IsVirtualClock(clock)) return guest.TailInject(call);
  }
  struct timespec req;
  if (!guest.memory().Read(RemotePtr<timespec>(req_addr), req).ok()) return -EFAULT;
  if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec >= static_cast<long>(kNsPerSec)) return -EINVAL;
  uint64_t ns = static_cast<uint64_t>(req.tv_sec) * kNsPerSec + static_cast<uint64_t>(req.tv_nsec);
  uint64_t deadline;
  if (!absolute) {
    deadline = clock_.now() + ns;
  } else if (IsRealtimeClock(clock)) {
    deadline = clock_.FromRealtime(ns);
  } else {
    deadline = ns;
  }
  if (deadline <= clock_.now()) {
    fairness_.OnYield(t.id, steps_, Runnable());  // a zero sleep is a yield too
    return 0;
  }
  t.deadline_ns = deadline;
  if (!BlockAndWait(guest, t, Block::kSleep, call.nr)) return 0;
  if (t.woke == Woke::kSignal) {
    // Interrupted by a signal: EINTR, and a relative sleep reports what was left of it.
    uint64_t left = deadline > clock_.now() ? deadline - clock_.now() : 0;
    uint64_t rem_addr = call.nr == SYS_nanosleep ? call.args[1] : call.args[3];
    if (!absolute && rem_addr != 0) {
      struct timespec rem;
      rem.tv_sec = static_cast<time_t>(left / kNsPerSec);
      rem.tv_nsec = static_cast<long>(left % kNsPerSec);
      (void)guest.memory().Write(RemotePtr<timespec>(rem_addr), rem);
    }
    Mix(0x696e747200000000ull);
    return -EINTR;
  }
  return 0;
}

std::optional<uint64_t> Scheduler::NextDeadline() const {
  std::optional<uint64_t> next = timer_table_.NextDeadline();
  for (const auto& [pid, timer] : real_timers_) {
    if (!next.has_value() || timer.deadline_ns < *next) next = timer.deadline_ns;
  }
  for (ThreadId id : timed_) {
    const Thread& t = At(id);
    if (t.deadline_ns.has_value() && (!next.has_value() || *t.deadline_ns < *next)) next = t.deadline_ns;
  }
  return next;
}

void Scheduler::MaybeJumpTime(const SchedulingPoint& point, std::vector<ThreadId>& runnable) {
  if (!options_.time_chaos || runnable.empty()) return;
  std::optional<uint64_t> deadline = NextDeadline();
  if (!deadline.has_value()) return;
  const uint64_t ahead = *deadline > clock_.now() ? *deadline - clock_.now() : 0;
  // Plausible delays only: no runnable thread is kept waiting past the horizon.
  for (ThreadId id : runnable) {
    const Thread& r = At(id);
    if (r.chaos_delays >= kChaosDelaysPerStretch || r.chaos_lag_ns + ahead > kChaosHorizonNs) return;
  }
  if (!strategy_.AdvanceTimeFirst(point, runnable)) return;
  if (options_.log_decisions) LOG(INFO) << "time jumps " << ahead << " ns early";
  for (ThreadId id : runnable) {
    At(id).chaos_lag_ns += ahead;
    ++At(id).chaos_delays;
  }
  clock_.Advance(ahead);
  Mix(0x6a756d7000000000ull);
  WakeExpired();
  runnable = Runnable();
}

bool Scheduler::WakeExpired() {
  bool any = (!real_timers_.empty() || !timer_table_.empty()) && FireTimers();
  std::vector<ThreadId> expired;  // (a wake changes the list)
  for (ThreadId id : timed_) {
    const Thread& t = At(id);
    if (t.deadline_ns.has_value() && *t.deadline_ns <= clock_.now()) expired.push_back(id);
  }
  for (ThreadId id : expired) {
    Thread& t = At(id);
    t.wake_result = t.block == Block::kFutex ? -ETIMEDOUT : 0;
    Wake(t, Woke::kTimeout);
    Mix(0x74696d6500000000ull | static_cast<uint64_t>(id));
    any = true;
  }
  return any;
}

TscResult Scheduler::OnRdtsc(Guest& guest, bool rdtscp) {
  DrainLease(guest);
  // The counter of a machine whose CLOCK_MONOTONIC is the virtual clock, at kVirtualTscHz.
  // Every read lets one step quantum of virtual time pass, so successive reads increase
  // and a loop waiting for the counter ends. Once the guest has more than one thread, a
  // read is a scheduling point of its own kind ("rdtsc"): a step, then the strategy may let
  // another thread run first, and the thread reads the clock as it is when it goes on.
  // While the guest is one thread (the dynamic loader reads the counter for its
  // statistics), there is nothing to schedule: as with syscalls then, no point.
  (void)rdtscp;
  TscResult result;
  auto found = by_tid_.find(guest.tid());
  // (An id, not the iterator: other threads run while this one is parked, and the map may
  // grow meanwhile.)
  const ThreadId id = found != by_tid_.end() ? found->second : kNoThread;
  if (id != kNoThread && running_ == id && threads_created() > 1) {
    Thread& t = At(id);
    Step(guest, t, kWhatRdtsc, PointKind::kRdtsc);
    if (!Reschedule(guest, t, StepPoint(t, PointKind::kRdtsc))) return result;  // the run is ending
    ++rdtsc_points_;
  } else {
    clock_.Advance(options_.step_quantum_ns);
    WakeExpired();
  }
  if (id != kNoThread) result.aux = static_cast<uint32_t>(VirtualCpu(At(id)));
  static_assert(kVirtualTscHz == 1000000000ull, "one tick per virtual nanosecond");
  result.tsc = clock_.now();
  Mix(0x7473630000000000ull ^ result.tsc);
  return result;
}

CpuidResult Scheduler::OnCpuid(Guest& guest, uint32_t leaf, uint32_t subleaf) {
  DrainLease(guest);
  subleaf = CpuidSubleaf(leaf, subleaf);
  CpuidRegs r;
  if (!options_.cpu_model.has_value() || !options_.cpu_model->Answer(leaf, subleaf, &r)) {
    r = MaskCpuid(leaf, subleaf, HostCpuid(leaf, subleaf));
  }
  return CpuidResult{r.eax, r.ebx, r.ecx, r.edx};
}

void Scheduler::OnPostExec(Guest& guest) {
  control_ = &guest.control();
  DrainPlan();
  // The old image's hand-off page is gone with it; the new one registers its own.
  handoff_.Forget(guest.pid());
  if (running_ != kNoThread) {
    At(running_).slot = -1;
    At(running_).slot_addr = 0;
  }
  // A new image: the shim's lease of the exec'ing thread is no longer where it was (what
  // it had logged was accounted for at the execve's stop).
  if (running_ != kNoThread) {
    At(running_).lease_addr = 0;
    At(running_).lease_state_addr = 0;
    At(running_).lease_out = false;
    At(running_).lease_tid_written = false;
  }
  // The exec'ing thread (the baton holder) may have taken over the leader's tid.
  if (running_ != kNoThread) {
    Thread& t = At(running_);
    if (t.tid != guest.tid()) {
      auto old = by_tid_.find(guest.tid());
      if (old != by_tid_.end() && old->second != t.id) {
        Thread& leader = At(old->second);
        if (leader.state != State::kExited) {
          MarkExited(leader);
          strategy_.OnThreadExited(leader.id);
        }
      }
      by_tid_.erase(t.tid);
      t.tid = guest.tid();
      by_tid_[t.tid] = t.id;
    }
  }
  // A vfork child's exec (the baton holder's) lets its parent go on, as the kernel does.
  if (running_ != kNoThread) ReleaseVforkParent(At(running_));
  // Close-on-exec fds on the random devices are gone now.
  random_devices_.Execed(guest.pid());
  HideVdsoAndSeedRandom(guest);
  planted_sites_.Forget(guest.pid());  // the old image is gone
  if (options_.atomic_points || options_.spin_points) PlantAtomics(guest);
}

void Scheduler::HideVdsoAndSeedRandom(Guest& guest) {
  absl::StatusOr<Registers> regs = guest.GetRegisters();
  if (!regs.ok()) return;
  // The initial stack: argc, argv[], NULL, envp[], NULL, auxv pairs. Read at once (one
  // syscall, not one per variable); the stack mapping may end within the block.
  GuestMemory& mem = guest.memory();
  const uint64_t sp = regs->sp();
  std::vector<uint64_t> words(2048);
  const size_t n = mem.Read(sp, words.data(), words.size() * 8) / 8;
  if (n == 0 || words[0] >= n) return;
  size_t i = 1 + words[0] + 1;  // past argc, argv[], NULL
  while (i < n && words[i] != 0) ++i;  // envp[]
  ++i;
  for (; i + 1 < n && words[i] != AT_NULL; i += 2) {
    const uint64_t at = sp + 8 * i;
    if (words[i] == AT_SYSINFO_EHDR) {
      // AT_IGNORE: glibc finds no vDSO and makes real clock_gettime/gettimeofday/time calls.
      uint64_t ignore = AT_IGNORE;
      (void)mem.Write(RemotePtr<uint64_t>(at), ignore);
    } else if (words[i] == AT_RANDOM && words[i + 1] != 0) {
      uint64_t seeded[2] = {strategy_.NextU64(), strategy_.NextU64()};
      (void)mem.WriteArray(RemotePtr<uint64_t>(words[i + 1]), seeded, 2);
    }
  }
}

}  // namespace ravel
