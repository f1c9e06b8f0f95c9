// POSIX per-process timers (timer_create) on the virtual clock.
//
// Natively a timer made with timer_create on CLOCK_MONOTONIC, CLOCK_REALTIME or
// CLOCK_BOOTTIME sends its signal after real time. Under ravel, where sleeps cost no real
// time, it would fire at a moment unrelated to the guest's virtual time: a program that
// waits for it looks deadlocked, and the step at which it fires would change from run to
// run. So the scheduler keeps these timers itself, as deadlines on the virtual clock:
//  - timer_create runs in the kernel as well, unchanged, so that the kernel checks the
//    arguments and hands out the id (the kernel's twin is never armed and never fires);
//  - timer_settime, timer_gettime and timer_getoverrun are answered from this table;
//  - when the clock passes a deadline, the scheduler queues the timer's signal with the
//    siginfo the kernel would give (SI_TIMER, the timer id, the overrun count and the
//    sigev_value), at a fixed step. glibc's SIGEV_THREAD timers, which are SIGEV_THREAD_ID
//    timers aimed at its helper thread, need exactly that siginfo.
// A timer whose signal is still pending when it expires again is not queued twice: the
// expiry counts as an overrun of the pending one, as natively. timer_getoverrun and the
// siginfo that sigwaitinfo/sigtimedwait return carry that count; the siginfo a signal
// handler gets carries only the overruns known when the signal was queued (the kernel
// updates a queued siginfo in place; a tracer cannot).
// Timers on CPU-time clocks stay the kernel's. An exec or an exit deletes a process's
// timers; a fork's child starts without any (both as natively).
//
// Pure bookkeeping on virtual nanoseconds (CLOCK_MONOTONIC's scale): no guest, no
// syscalls; the scheduler does the I/O.
#ifndef RAVEL_SCHEDULER_TIMER_TABLE_H_
#define RAVEL_SCHEDULER_TIMER_TABLE_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace ravel {

class TimerTable {
 public:
  // How a timer notifies (struct sigevent, already checked by the kernel).
  struct Notify {
    enum class Kind { kNone, kProcess, kThread };  // SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID
    Kind kind = Kind::kProcess;
    int signo = 0;
    pid_t tid = 0;       // kThread: the target thread
    uint64_t value = 0;  // sigev_value, passed back in si_value
  };
  // A signal to queue: the timer expired.
  struct Fire {
    pid_t pid = 0;
    int id = 0;
    Notify notify;
    int overrun = 0;  // expiries folded into this one
  };
  struct Value {
    uint64_t left_ns = 0;  // 0: disarmed
    uint64_t interval_ns = 0;
  };

  // `realtime`: the timer's clock is CLOCK_REALTIME (or TAI): absolute times are taken on it.
  void Create(pid_t pid, int id, bool realtime, const Notify& notify);
  bool Has(pid_t pid, int id) const;
  bool IsRealtime(pid_t pid, int id) const;
  std::optional<Notify> NotifyOf(pid_t pid, int id) const;
  // Arms the timer to expire at `deadline_ns` and then every `interval_ns` (0: once);
  // `deadline_ns` 0 disarms it. Returns what was left of the previous setting at `now_ns`.
  Value Arm(pid_t pid, int id, uint64_t deadline_ns, uint64_t interval_ns, uint64_t now_ns);
  Value Get(pid_t pid, int id, uint64_t now_ns) const;
  // The overrun count of the timer's latest signal (timer_getoverrun), as of its Taken.
  int Overrun(pid_t pid, int id) const;
  void Delete(pid_t pid, int id);
  // The process exec'd or ended: its timers are gone.
  void ForgetProcess(pid_t pid);
  bool empty() const { return timers_.empty(); }

  std::optional<uint64_t> NextDeadline() const;
  // The timers due at `now_ns`, in (pid, id) order, each advanced past `now_ns` (a periodic
  // one: the periods that passed on the way are the fire's overruns) or disarmed. SIGEV_NONE
  // timers advance but give no fire.
  std::vector<Fire> Due(uint64_t now_ns);
  // Each fire is then either sent or coalesced: the scheduler found the timer's previous
  // signal still pending and did not queue another, so the expiries count as overruns of
  // that pending signal.
  void Sent(const Fire& fire);
  void Coalesced(const Fire& fire);
  // The timer's pending signal was taken: its overrun count grows by the expiries coalesced
  // into it since it was sent, which are returned (for the siginfo the guest got).
  int Taken(pid_t pid, int id);

 private:
  struct Timer {
    Notify notify;
    bool realtime = false;
    uint64_t deadline_ns = 0;  // 0: disarmed
    uint64_t interval_ns = 0;
    int pending_overrun = 0;   // expiries coalesced into the pending signal
    int last_overrun = 0;      // reported in the latest signal sent
  };
  const Timer* Find(pid_t pid, int id) const;
  std::map<std::pair<pid_t, int>, Timer> timers_;  // ordered: fires go out in (pid, id) order
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_TIMER_TABLE_H_
