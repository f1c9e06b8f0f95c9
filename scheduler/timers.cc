// Real-time interval timers on the virtual clock: alarm, setitimer and getitimer with
// ITIMER_REAL. Natively such a timer sends SIGALRM after real seconds; under ravel, where
// sleeps cost no real time, it would fire at a moment unrelated to the guest's (virtual)
// time, and a thread waiting for it (pause, sigsuspend) would look deadlocked. So each
// process's timer is a deadline on the virtual clock: the clock jumps to it when nothing
// else can run, and when it passes, the scheduler sends SIGALRM to the process, at a fixed
// step. A fork's child starts without the timer; an exec keeps it (as natively).
// ITIMER_VIRTUAL and ITIMER_PROF count CPU time and stay the kernel's.
//
// POSIX timers (timer_create and friends) on the virtual clocks likewise: see
// timer_table.h for the model.
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "intercept/owned_kill.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

constexpr uint64_t kNsPerSec = 1000000000ull;
constexpr uint64_t kNsPerUsec = 1000ull;

bool ToNs(const timeval& tv, uint64_t* ns) {
  if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000) return false;
  *ns = static_cast<uint64_t>(tv.tv_sec) * kNsPerSec + static_cast<uint64_t>(tv.tv_usec) * kNsPerUsec;
  return true;
}

bool ToNs(const timespec& ts, uint64_t* ns) {
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= static_cast<long>(kNsPerSec)) return false;
  *ns = static_cast<uint64_t>(ts.tv_sec) * kNsPerSec + static_cast<uint64_t>(ts.tv_nsec);
  return true;
}

timespec ToTimespec(uint64_t ns) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / kNsPerSec);
  ts.tv_nsec = static_cast<long>(ns % kNsPerSec);
  return ts;
}

// The clocks whose timers the scheduler keeps: those that read the virtual clock. (The
// CPU-time clocks, and a process's or thread's CPU clock named by a negative id, are the
// kernel's.)
bool IsVirtualTimerClock(int clock) {
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_TAI:
    case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
      return true;
    default:
      return false;
  }
}

bool IsRealtimeTimerClock(int clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_TAI || clock == CLOCK_REALTIME_ALARM;
}

timeval ToTimeval(uint64_t ns) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ns / kNsPerSec);
  tv.tv_usec = static_cast<suseconds_t>((ns % kNsPerSec) / kNsPerUsec);
  // A timer that is due but not yet fired reads as 1 us left, as the kernel's does.
  if (ns > 0 && tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;
  return tv;
}

}  // namespace

itimerval Scheduler::TimerValue(pid_t pid) const {
  itimerval v{};
  auto it = real_timers_.find(pid);
  if (it == real_timers_.end()) return v;
  v.it_value = ToTimeval(it->second.deadline_ns > clock_.now() ? it->second.deadline_ns - clock_.now() : 0);
  v.it_interval = ToTimeval(it->second.interval_ns);
  return v;
}

void Scheduler::ArmTimer(pid_t pid, uint64_t value_ns, uint64_t interval_ns) {
  if (value_ns == 0) {
    real_timers_.erase(pid);
    return;
  }
  real_timers_[pid] = RealTimer{clock_.now() + value_ns, interval_ns};
}

SyscallResult Scheduler::Timer(Guest& guest, Thread& t, const Syscall& call) {
  GuestMemory& mem = guest.memory();
  if (call.nr == SYS_alarm) {
    // The seconds left of the previous alarm, rounded to the nearest (at least 1 if any).
    const itimerval old = TimerValue(t.pid);
    int64_t left = old.it_value.tv_sec + (old.it_value.tv_usec >= 500000 ? 1 : 0);
    if (left == 0 && old.it_value.tv_usec > 0) left = 1;
    ArmTimer(t.pid, static_cast<uint64_t>(static_cast<uint32_t>(call.args[0])) * kNsPerSec, 0);
    Mix(0x616c61726d000000ull);
    return left;
  }
  if (static_cast<int>(call.args[0]) != ITIMER_REAL) return guest.TailInject(call);  // CPU-time timers
  if (call.nr == SYS_getitimer) {
    const itimerval now = TimerValue(t.pid);
    if (!mem.Write(RemotePtr<itimerval>(call.args[1]), now).ok()) return -EFAULT;
    return 0;
  }
  // setitimer(ITIMER_REAL, new, old); a null new reads as a disarm, as the kernel takes it.
  itimerval wanted{};
  if (call.args[1] != 0 && !mem.Read(RemotePtr<itimerval>(call.args[1]), wanted).ok()) return -EFAULT;
  uint64_t value = 0, interval = 0;
  if (!ToNs(wanted.it_value, &value) || !ToNs(wanted.it_interval, &interval)) return -EINVAL;
  if (call.args[2] != 0) {
    const itimerval old = TimerValue(t.pid);
    if (!mem.Write(RemotePtr<itimerval>(call.args[2]), old).ok()) return -EFAULT;
  }
  ArmTimer(t.pid, value, interval);
  Mix(0x6974696d65720000ull);
  return 0;
}

SyscallResult Scheduler::PosixTimer(Guest& guest, Thread& t, const Syscall& call) {
  GuestMemory& mem = guest.memory();
  const int id = static_cast<int>(call.args[0]);
  if (call.nr == SYS_timer_create) {
    const int clock = static_cast<int>(call.args[0]);
    if (!IsVirtualTimerClock(clock)) return guest.TailInject(call);
    // The kernel checks the arguments and hands out the id; its timer is never armed.
    absl::StatusOr<int64_t> made = guest.Inject(call);
    if (!made.ok()) return 0;  // the thread is gone
    if (*made != 0) return *made;
    int timer_id = 0;
    if (!mem.Read(RemotePtr<int>(call.args[2]), timer_id).ok()) return *made;
    TimerTable::Notify notify;
    if (call.args[1] == 0) {
      notify.signo = SIGALRM;  // no sigevent: SIGEV_SIGNAL, SIGALRM, the id as the value
      notify.value = static_cast<uint64_t>(timer_id);
    } else {
      struct sigevent sev;
      std::memset(&sev, 0, sizeof(sev));
      if (!mem.Read(RemotePtr<struct sigevent>(call.args[1]), sev).ok()) return *made;
      std::memcpy(&notify.value, &sev.sigev_value, sizeof(notify.value));
      notify.signo = sev.sigev_signo;
      if (sev.sigev_notify == SIGEV_NONE) {
        notify.kind = TimerTable::Notify::Kind::kNone;
      } else if (sev.sigev_notify & SIGEV_THREAD_ID) {
        notify.kind = TimerTable::Notify::Kind::kThread;
        notify.tid = sev._sigev_un._tid;
      }
    }
    timer_table_.Create(t.pid, timer_id, IsRealtimeTimerClock(clock), notify);
    Mix(0x74637265617465ull ^ static_cast<uint64_t>(timer_id));
    return 0;
  }
  if (!timer_table_.Has(t.pid, id)) return guest.TailInject(call);  // a kernel timer, or no timer
  switch (call.nr) {
    case SYS_timer_settime: {
      // timer_settime(id, flags, new, old); the kernel takes a null `new` as EINVAL.
      if (call.args[2] == 0) return -EINVAL;
      itimerspec wanted;
      if (!mem.Read(RemotePtr<itimerspec>(call.args[2]), wanted).ok()) return -EFAULT;
      uint64_t value = 0, interval = 0;
      if (!ToNs(wanted.it_value, &value) || !ToNs(wanted.it_interval, &interval)) return -EINVAL;
      uint64_t deadline = 0;  // disarmed
      if (value != 0) {
        if (!(call.args[1] & TIMER_ABSTIME)) {
          deadline = clock_.now() + value;
        } else if (timer_table_.IsRealtime(t.pid, id)) {
          // An absolute time on the real-time clock: its distance from the virtual now.
          deadline = clock_.FromRealtime(value);
        } else {
          deadline = std::max(value, clock_.now());
        }
        deadline = std::max<uint64_t>(deadline, 1);  // (0 means disarmed)
      }
      const TimerTable::Value old = timer_table_.Arm(t.pid, id, deadline, interval, clock_.now());
      if (call.args[3] != 0) {
        const itimerspec was{ToTimespec(old.interval_ns), ToTimespec(old.left_ns)};
        if (!mem.Write(RemotePtr<itimerspec>(call.args[3]), was).ok()) return -EFAULT;
      }
      Mix(0x7473657474696d65ull ^ static_cast<uint64_t>(id));
      // Due already (an absolute time in the past): it fires at this point, as natively at once.
      if (deadline != 0 && deadline <= clock_.now()) FireTimers();
      return 0;
    }
    case SYS_timer_gettime: {
      const TimerTable::Value v = timer_table_.Get(t.pid, id, clock_.now());
      const itimerspec now{ToTimespec(v.interval_ns), ToTimespec(v.left_ns)};
      if (!mem.Write(RemotePtr<itimerspec>(call.args[1]), now).ok()) return -EFAULT;
      return 0;
    }
    case SYS_timer_getoverrun: {
      // Taken already (no longer pending): the expiries coalesced into it count.
      const TimerTable::Notify n = *timer_table_.NotifyOf(t.pid, id);
      const pid_t tid = n.kind == TimerTable::Notify::Kind::kThread ? n.tid : 0;
      if (n.kind != TimerTable::Notify::Kind::kNone && !SignalPending(t.pid, tid, n.signo)) timer_table_.Taken(t.pid, id);
      return timer_table_.Overrun(t.pid, id);
    }
    case SYS_timer_delete:
      timer_table_.Delete(t.pid, id);
      Mix(0x7464656c00000000ull ^ static_cast<uint64_t>(id));
      return guest.TailInject(call);  // the kernel's twin goes too
    default:
      return guest.TailInject(call);
  }
}

SyscallResult Scheduler::TakeSignal(Guest& guest, const Syscall& call) {
  if (call.nr != SYS_rt_sigtimedwait || call.args[1] == 0 || timer_table_.empty()) return guest.TailInject(call);
  absl::StatusOr<int64_t> r = guest.Inject(call);
  if (!r.ok()) return 0;
  siginfo_t info;
  if (*r > 0 && guest.memory().Read(RemotePtr<siginfo_t>(call.args[1]), info).ok() && info.si_code == SI_TIMER &&
      timer_table_.Has(guest.pid(), info.si_timerid)) {
    // A timer's signal: the expiries coalesced into it while it was pending count.
    const int folded = timer_table_.Taken(guest.pid(), info.si_timerid);
    if (folded > 0) {
      info.si_overrun = timer_table_.Overrun(guest.pid(), info.si_timerid);
      (void)guest.memory().Write(RemotePtr<siginfo_t>(call.args[1]), info);
    }
  }
  return *r;
}

bool Scheduler::FireTimers() {
  bool any = false;
  // In pid order, so that two processes' timers due at once fire in the same order.
  std::vector<pid_t> due;
  for (const auto& [pid, timer] : real_timers_) {
    if (timer.deadline_ns <= clock_.now()) due.push_back(pid);
  }
  std::sort(due.begin(), due.end());
  for (pid_t pid : due) {
    RealTimer& timer = real_timers_.at(pid);
    if (timer.interval_ns > 0) {
      // Periodic: overruns collapse into one signal, as a pending signal does natively.
      while (timer.deadline_ns <= clock_.now()) timer.deadline_ns += timer.interval_ns;
    } else {
      real_timers_.erase(pid);
    }
    SignalOwned(pid, SIGALRM);
    Mix(0x6669726500000000ull);
    any = true;
  }
  for (const TimerTable::Fire& fire : timer_table_.Due(clock_.now())) {
    const pid_t tid = fire.notify.kind == TimerTable::Notify::Kind::kThread ? fire.notify.tid : 0;
    if (SignalPending(fire.pid, tid, fire.notify.signo)) {
      // Its previous signal is not taken yet: this expiry is an overrun of that one.
      timer_table_.Coalesced(fire);
      Mix(0x6f76657272756e00ull ^ static_cast<uint64_t>(fire.id));
      continue;
    }
    siginfo_t info;
    std::memset(&info, 0, sizeof(info));
    info.si_signo = fire.notify.signo;
    info.si_code = SI_TIMER;
    info.si_timerid = fire.id;
    info.si_overrun = fire.overrun;
    std::memcpy(&info.si_value, &fire.notify.value, sizeof(fire.notify.value));
    QueueSignalOwned(fire.pid, tid, info);
    timer_table_.Sent(fire);
    Mix(0x7466697265000000ull ^ (static_cast<uint64_t>(fire.id) << 8) ^ static_cast<uint64_t>(fire.overrun));
    any = true;
  }
  if (any) WakeSignalled();
  return any;
}

}  // namespace ravel
