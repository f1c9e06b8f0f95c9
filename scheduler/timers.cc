// Real-time interval timers on the virtual clock: alarm, setitimer and getitimer with
// ITIMER_REAL. Natively such a timer sends SIGALRM after real seconds; under ravel, where
// sleeps cost no real time, it would fire at a moment unrelated to the guest's (virtual)
// time, and a thread waiting for it (pause, sigsuspend) would look deadlocked. So each
// process's timer is a deadline on the virtual clock: the clock jumps to it when nothing
// else can run, and when it passes, the scheduler sends SIGALRM to the process, at a fixed
// step. A fork's child starts without the timer; an exec keeps it (as natively).
// ITIMER_VIRTUAL and ITIMER_PROF count CPU time and stay the kernel's.
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>

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
  v.it_value = ToTimeval(it->second.deadline_ns > now_ns_ ? it->second.deadline_ns - now_ns_ : 0);
  v.it_interval = ToTimeval(it->second.interval_ns);
  return v;
}

void Scheduler::ArmTimer(pid_t pid, uint64_t value_ns, uint64_t interval_ns) {
  if (value_ns == 0) {
    real_timers_.erase(pid);
    return;
  }
  real_timers_[pid] = RealTimer{now_ns_ + value_ns, interval_ns};
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
    if (!mem.WriteExact(call.args[1], &now, sizeof(now)).ok()) return -EFAULT;
    return 0;
  }
  // setitimer(ITIMER_REAL, new, old); a null new reads as a disarm, as the kernel takes it.
  itimerval wanted{};
  if (call.args[1] != 0 && !mem.ReadExact(call.args[1], &wanted, sizeof(wanted)).ok()) return -EFAULT;
  uint64_t value = 0, interval = 0;
  if (!ToNs(wanted.it_value, &value) || !ToNs(wanted.it_interval, &interval)) return -EINVAL;
  if (call.args[2] != 0) {
    const itimerval old = TimerValue(t.pid);
    if (!mem.WriteExact(call.args[2], &old, sizeof(old)).ok()) return -EFAULT;
  }
  ArmTimer(t.pid, value, interval);
  Mix(0x6974696d65720000ull);
  return 0;
}

bool Scheduler::FireTimers() {
  bool any = false;
  // In pid order, so that two processes' timers due at once fire in the same order.
  std::vector<pid_t> due;
  for (const auto& [pid, timer] : real_timers_) {
    if (timer.deadline_ns <= now_ns_) due.push_back(pid);
  }
  std::sort(due.begin(), due.end());
  for (pid_t pid : due) {
    RealTimer& timer = real_timers_.at(pid);
    if (timer.interval_ns > 0) {
      // Periodic: overruns collapse into one signal, as a pending signal does natively.
      while (timer.deadline_ns <= now_ns_) timer.deadline_ns += timer.interval_ns;
    } else {
      real_timers_.erase(pid);
    }
    SignalOwned(pid, SIGALRM);
    Mix(0x6669726500000000ull);
    any = true;
  }
  if (any) WakeSignalled();
  return any;
}

}  // namespace ravel
