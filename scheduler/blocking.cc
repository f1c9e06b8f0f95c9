// Calls that may block: probed first where the scheduler can tell (fds, children), so a
// thread only waits when it really would, and never while holding the baton; everything
// else runs in the kernel with the baton handed on.
//
// Signals: a thread blocked in the scheduler (futex, sleep, fd, child) is not in the
// kernel, so a signal sent to it would wait until it runs again. After every call that
// sends a signal, when a child ends (SIGCHLD), and before time jumps or a deadlock is
// declared, the scheduler looks at each blocked thread's pending signals (/proc status) and
// wakes the ones that have a signal to take: emulated waits return EINTR, fd and child
// waits run their call in the kernel, which sees the signal and returns or restarts exactly
// as it would natively.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/proc.h"
#include "intercept/trampoline.h"
#include "scheduler/fd_probe.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

constexpr uint64_t kNsPerSec = 1000000000ull;
// More fds than this in one poll/select: the call runs in the kernel unmodelled.
constexpr uint64_t kMaxWaitFds = 4096;

constexpr uint64_t Bit(int sig) { return 1ull << (sig - 1); }
// Signals whose default action is to do nothing: unless caught, they interrupt no call.
constexpr uint64_t kIgnoredByDefault = Bit(SIGCHLD) | Bit(SIGURG) | Bit(SIGWINCH) | Bit(SIGCONT);

// SIGKILL and SIGSTOP cannot be blocked.
constexpr uint64_t kUnblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

// How one of the poll family names its fds and its timeout.
struct WaitCall {
  enum class Timeout { kIntMs, kTimespec, kTimeval };
  Timeout timeout_kind = Timeout::kIntMs;
  int timeout_arg = 0;                    // which argument holds the timeout
  std::optional<uint64_t> timeout_ns;     // nullopt: wait forever
  bool writes_back = false;               // the kernel stores the time left (select family, ppoll)
  std::vector<pollfd> fds;
  std::optional<uint64_t> sigmask;        // the mask while waiting (ppoll, pselect6, epoll_pwait*)
  // select's fd sets are in-out: a probe that finds nothing clears them, so each probe
  // starts from the caller's sets again.
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> in_out;
};

bool ReadTimespec(GuestMemory& mem, uint64_t addr, bool timeval, std::optional<uint64_t>* out, bool* invalid) {
  if (addr == 0) {
    out->reset();
    return true;
  }
  int64_t pair[2];
  if (!mem.ReadArray(RemotePtr<int64_t>(addr), pair, 2).ok()) return false;
  const int64_t unit = timeval ? 1000 : 1;
  const int64_t limit = timeval ? 1000000 : static_cast<int64_t>(kNsPerSec);
  if (pair[0] < 0 || pair[1] < 0 || pair[1] >= limit) {
    *invalid = true;
    return true;
  }
  *out = static_cast<uint64_t>(pair[0]) * kNsPerSec + static_cast<uint64_t>(pair[1] * unit);
  return true;
}

// Decodes the call; false when it cannot be modelled (it then runs in the kernel).
bool DecodeWaitCall(GuestMemory& mem, const Syscall& call, WaitCall* w, bool* invalid) {
  auto read_sigmask = [&](uint64_t addr) {
    uint64_t mask;
    if (addr != 0 && mem.Read(RemotePtr<uint64_t>(addr), mask).ok()) w->sigmask = mask;
  };
  auto ms_timeout = [&](int64_t ms) {
    if (static_cast<int32_t>(ms) >= 0) w->timeout_ns = static_cast<uint64_t>(static_cast<int32_t>(ms)) * 1000000ull;
  };
  switch (call.nr) {
    case SYS_poll:
    case SYS_ppoll: {
      uint64_t n = call.args[1];
      if (n > kMaxWaitFds) return false;
      w->fds.resize(n);
      if (n > 0 && !mem.ReadArray(RemotePtr<pollfd>(call.args[0]), w->fds.data(), n).ok()) return false;
      if (call.nr == SYS_poll) {
        w->timeout_arg = 2;
        ms_timeout(static_cast<int64_t>(call.args[2]));
      } else {
        w->timeout_kind = WaitCall::Timeout::kTimespec;
        w->timeout_arg = 2;
        w->writes_back = true;
        if (!ReadTimespec(mem, call.args[2], false, &w->timeout_ns, invalid)) return false;
        read_sigmask(call.args[3]);
      }
      // Negative fds are ignored by the kernel; POLLERR/POLLHUP are always reported.
      std::vector<pollfd> used;
      for (const pollfd& p : w->fds) {
        if (p.fd >= 0) used.push_back(pollfd{p.fd, static_cast<short>(p.events | POLLERR | POLLHUP), 0});
      }
      w->fds = std::move(used);
      return true;
    }
    case SYS_select:
    case SYS_pselect6: {
      int64_t n = static_cast<int32_t>(call.args[0]);
      if (n < 0 || n > static_cast<int64_t>(kMaxWaitFds)) return false;
      const size_t bytes = static_cast<size_t>((n + 63) / 64 * 8);
      const short events[3] = {POLLIN, POLLOUT, POLLPRI};
      for (int set = 0; set < 3; ++set) {
        if (call.args[1 + set] == 0 || bytes == 0) continue;
        std::vector<uint8_t> bits(bytes);
        if (!mem.ReadArray(RemotePtr<uint8_t>(call.args[1 + set]), bits.data(), bytes).ok()) return false;
        w->in_out.emplace_back(call.args[1 + set], bits);
        for (int fd = 0; fd < n; ++fd) {
          if (bits[static_cast<size_t>(fd / 8)] & (1u << (fd % 8))) {
            w->fds.push_back(pollfd{fd, static_cast<short>(events[set] | POLLERR | POLLHUP), 0});
          }
        }
      }
      w->timeout_arg = 4;
      w->writes_back = true;
      if (call.nr == SYS_select) {
        w->timeout_kind = WaitCall::Timeout::kTimeval;
        if (!ReadTimespec(mem, call.args[4], true, &w->timeout_ns, invalid)) return false;
      } else {
        w->timeout_kind = WaitCall::Timeout::kTimespec;
        if (!ReadTimespec(mem, call.args[4], false, &w->timeout_ns, invalid)) return false;
        uint64_t sigdata[2] = {0, 0};  // { const sigset_t *ss; size_t ss_len; }
        const RemotePtr<uint64_t> sigmask_arg(call.args[5]);
        if (!sigmask_arg.is_null() && mem.ReadArray(sigmask_arg, sigdata, 2).ok()) read_sigmask(sigdata[0]);
      }
      return true;
    }
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
    case SYS_epoll_pwait2:
      // An epoll fd polls readable when any of its events is ready.
      w->fds.push_back(pollfd{static_cast<int>(call.args[0]), POLLIN, 0});
      w->timeout_arg = 3;
      if (call.nr == SYS_epoll_pwait2) {
        w->timeout_kind = WaitCall::Timeout::kTimespec;
        if (!ReadTimespec(mem, call.args[3], false, &w->timeout_ns, invalid)) return false;
      } else {
        ms_timeout(static_cast<int64_t>(call.args[3]));
      }
      if (call.nr != SYS_epoll_wait) read_sigmask(call.args[4]);
      return true;
    default:
      return false;
  }
}

}  // namespace

bool Scheduler::FdWaitersFedFromOutside() {
  absl::flat_hash_set<pid_t> guests;
  for (auto&& [id, t] : Live()) {
    if (t.state != State::kExited) guests.insert(t.pid);
  }
  return fd_waits_.FedFromOutside(host_fds_, guests);
}

SyscallResult Scheduler::MaybeBlockingFd(Guest& guest, Thread& t, const Syscall& call, int fd, short events) {
  // The socket calls' own "do not wait" flag.
  int flags_arg = -1;
  switch (call.nr) {
    case SYS_recvfrom: case SYS_sendto: flags_arg = 3; break;
    case SYS_recvmsg: case SYS_sendmsg: flags_arg = 2; break;
    default: break;
  }
  const bool dont_wait = flags_arg >= 0 && (call.args[flags_arg] & MSG_DONTWAIT) != 0;
  while (true) {
    std::vector<pollfd> fds = {pollfd{fd, events, 0}};
    if (FdsReady(t.pid, fds)) break;
    // A non-blocking call does not wait natively: it fails with EAGAIN, at once.
    if (dont_wait || FdNonBlocking(t.pid, fd)) break;
    fd_waits_.Wait(t.id, t.pid, std::move(fds));
    if (!BlockAndWait(guest, t, Block::kFd, call.nr)) return 0;
    // Nothing else can run and only the outside world can feed the fd: the call waits
    // for it in the kernel (the summary says real time decided it, no warning). A
    // signal: the kernel returns or restarts the call as usual.
    if (t.woke == Woke::kExternal) return InKernel(guest, t, call, /*modelled=*/true);
    // A signal: the kernel sees it pending and returns EINTR or restarts the call (which
    // stops here again): modelled, no warning.
    if (t.woke == Woke::kSignal) return InKernel(guest, t, call, /*modelled=*/true);
  }
  return guest.TailInject(call);
}

SyscallResult Scheduler::MessageQueue(Guest& guest, Thread& t, const Syscall& call, short events) {
  const int mqd = static_cast<int>(call.args[0]);
  std::optional<uint64_t> at, deadline;
  bool invalid = false;
  if (!ReadTimespec(guest.memory(), call.args[4], /*timeval=*/false, &at, &invalid) || invalid) {
    return guest.TailInject(call);  // the kernel answers EFAULT or EINVAL
  }
  if (at.has_value()) {  // absolute, on CLOCK_REALTIME
    deadline = clock_.FromRealtime(*at);
  }
  while (true) {
    std::vector<pollfd> fds = {pollfd{mqd, events, 0}};
    // Room (a message) now, a bad descriptor, or O_NONBLOCK: the kernel answers at once.
    if (FdsReady(t.pid, fds) || FdNonBlocking(t.pid, mqd)) break;
    if (deadline.has_value() && *deadline <= clock_.now()) return -ETIMEDOUT;
    fd_waits_.Wait(t.id, t.pid, std::move(fds));
    t.deadline_ns = deadline;
    if (!BlockAndWait(guest, t, Block::kFd, call.nr)) return 0;
    if (t.woke == Woke::kTimeout) return -ETIMEDOUT;
    if (t.woke == Woke::kExternal) return InKernel(guest, t, call, /*modelled=*/true);
    if (t.woke == Woke::kSignal) return InKernel(guest, t, call, /*modelled=*/true);  // EINTR
  }
  return guest.TailInject(call);
}

SyscallResult Scheduler::WaitReady(Guest& guest, Thread& t, const Syscall& call) {
  WaitCall w;
  bool invalid = false;
  if (!DecodeWaitCall(guest.memory(), call, &w, &invalid) || invalid) {
    if (invalid) return guest.TailInject(call);  // the kernel reports EINVAL
    if (warned_.insert(absl::StrCat("wait-", call.nr)).second) {
      LOG(WARNING) << Syscall(call.nr).name() << " with more than " << kMaxWaitFds
                   << " fds (or unreadable arguments) is not modelled; it runs in the kernel";
    }
    return InKernel(guest, t, call);
  }
  const std::optional<uint64_t> deadline =
      w.timeout_ns.has_value() ? std::optional<uint64_t>(clock_.now() + *w.timeout_ns) : std::nullopt;
  // The same call with a zero timeout: the kernel's own answer, without waiting.
  Syscall probe = call;
  probe.args[w.timeout_arg] = w.timeout_kind == WaitCall::Timeout::kIntMs ? 0 : trampoline::kZeroTimeout;
  auto write_back_left = [&]() {
    if (!w.writes_back || call.args[w.timeout_arg] == 0 || !deadline.has_value()) return;
    uint64_t left = *deadline > clock_.now() ? *deadline - clock_.now() : 0;
    int64_t pair[2] = {static_cast<int64_t>(left / kNsPerSec), static_cast<int64_t>(left % kNsPerSec)};
    if (w.timeout_kind == WaitCall::Timeout::kTimeval) pair[1] /= 1000;
    (void)guest.memory().WriteArray(RemotePtr<int64_t>(call.args[w.timeout_arg]), pair, 2);
  };
  for (int spurious = 0;; ++spurious) {
    if (spurious == 100) {
      // The tracer's probe keeps saying ready and the call keeps finding nothing: the
      // model does not fit this case, so the kernel decides.
      if (warned_.insert(absl::StrCat("spurious-", call.nr)).second) {
        LOG(WARNING) << Syscall(call.nr).name() << ": readiness probe and the call disagree; it runs in the kernel";
      }
      return InKernel(guest, t, call);
    }
    for (const auto& [addr, bytes] : w.in_out) {
      if (!guest.memory().WriteArray(RemotePtr<uint8_t>(addr), bytes.data(), bytes.size()).ok()) return -EFAULT;
    }
    absl::StatusOr<int64_t> r = guest.Inject(probe);
    if (!r.ok()) return 0;
    const bool expired = deadline.has_value() && *deadline <= clock_.now();
    if (*r != 0 || expired) {
      write_back_left();
      Mix(static_cast<uint64_t>(*r));
      return *r;
    }
    fd_waits_.Wait(t.id, t.pid, w.fds);
    t.wait_sigmask = w.sigmask;
    t.deadline_ns = deadline;
    bool ok = BlockAndWait(guest, t, Block::kFd, call.nr);
    t.wait_sigmask.reset();
    if (!ok) return 0;
    if (t.woke == Woke::kExternal) return InKernel(guest, t, call, /*modelled=*/true);
    if (t.woke == Woke::kSignal) {
      // The kernel sees the pending signal: EINTR (or a restart), as natively. In the
      // kernel, with the baton handed on, in case the signal is taken elsewhere first.
      for (const auto& [addr, bytes] : w.in_out) {
        (void)guest.memory().WriteArray(RemotePtr<uint8_t>(addr), bytes.data(), bytes.size());
      }
      write_back_left();
      return InKernel(guest, t, call, /*modelled=*/true);
    }
  }
}

bool Scheduler::ProbeFdWaiters() {
  const std::vector<ThreadId> ready = fd_waits_.Ready(host_fds_);
  for (ThreadId id : ready) {
    Wake(At(id), Woke::kEvent);
    Mix(0x72656164790000ull | static_cast<uint64_t>(id));
  }
  return !ready.empty();
}

bool Scheduler::SignalPending(pid_t pid, pid_t tid, int sig) const {
  if (sig < 1 || sig > 64) return false;
  std::optional<ProcSignals> s = ReadProcSignals(pid, tid > 0 ? tid : pid);
  return s.has_value() && ((tid > 0 ? s->pending : s->shared_pending) & Bit(sig)) != 0;
}

bool Scheduler::WakeSignalled() {
  bool any = false;
  absl::flat_hash_set<pid_t> shared_taken;  // processes whose shared signal has a taker
  for (auto&& [id, t] : Live()) {
    if (t.state == State::kRunnable || t.state == State::kRunning) shared_taken.insert(t.pid);
  }
  for (auto&& [id, t] : Live()) {
    if (t.state != State::kBlocked) continue;
    std::optional<ProcSignals> read = ReadProcSignals(t.pid, t.tid);
    if (!read.has_value()) continue;
    const ProcSignals& s = *read;
    if (t.block == Block::kSignal && t.wait_sigset.has_value()) {
      // sigtimedwait: a signal of its set ends the wait, blocked or not (it usually is).
      if (((s.pending | s.shared_pending) & *t.wait_sigset) == 0) continue;
      Wake(t, Woke::kSignal);
      Mix(0x7369676e616c0000ull | static_cast<uint64_t>(id));
      any = true;
      continue;
    }
    const uint64_t blocked = (t.wait_sigmask.has_value() ? *t.wait_sigmask : s.blocked) & ~kUnblockable;
    // What a pending signal would do to the call: nothing if it is ignored (explicitly,
    // or by default and not caught); else interrupt it, kill or stop the thread.
    const uint64_t effective = ~blocked & ~s.ignored & ~(kIgnoredByDefault & ~s.caught);
    bool take = (s.pending & effective) != 0;
    // A signal to the process goes to one thread that does not block it: one that can run
    // takes it anyway; else the lowest blocked one is woken for it.
    if (!take && (s.shared_pending & effective) != 0 && !shared_taken.contains(t.pid)) {
      take = true;
      shared_taken.insert(t.pid);
    }
    if (!take) continue;
    Wake(t, Woke::kSignal);
    Mix(0x7369676e616c0000ull | static_cast<uint64_t>(id));
    any = true;
  }
  return any;
}

namespace {

// The process group of `pid`, or -1.
pid_t ProcessGroupOf(pid_t pid) {
  std::optional<ProcStat> stat = ReadProcStat(pid);
  return stat.has_value() ? stat->pgrp : -1;
}

}  // namespace

std::vector<pid_t> Scheduler::SigkillTargets(const Thread& t, const Syscall& call) const {
  // The live guest processes, in pid order.
  std::set<pid_t> guests;
  for (auto&& [id, other] : Live()) {
    if (other.state != State::kExited) guests.insert(other.pid);
  }
  std::vector<pid_t> hit;
  auto by_tid = [&](pid_t tid) {
    auto it = by_tid_.find(tid);
    if (it != by_tid_.end() && At(it->second).state != State::kExited) hit.push_back(At(it->second).pid);
  };
  switch (call.nr) {
    case SYS_kill: {
      const pid_t pid = static_cast<pid_t>(call.args[0]);
      if (pid > 0) {
        if (guests.contains(pid)) hit.push_back(pid);
      } else {
        // 0: the caller's process group; -1: every process it may signal; -N: group N.
        const pid_t group = pid == 0 ? ProcessGroupOf(t.pid) : -pid;
        for (pid_t g : guests) {
          if (pid == -1 ? g != t.pid : ProcessGroupOf(g) == group) hit.push_back(g);
        }
      }
      break;
    }
    case SYS_tkill:
      by_tid(static_cast<pid_t>(call.args[0]));
      break;
    case SYS_tgkill:
      by_tid(static_cast<pid_t>(call.args[1]));
      break;
    default:
      break;
  }
  return hit;
}

SyscallResult Scheduler::SendSignal(Guest& guest, Thread& t, const Syscall& call) {
  const int sig = static_cast<int>(call.nr == SYS_kill || call.nr == SYS_tkill ? call.args[1] : call.args[2]);
  const bool sigkill = sig == SIGKILL && (call.nr == SYS_kill || call.nr == SYS_tkill || call.nr == SYS_tgkill);
  const std::vector<pid_t> doomed = sigkill ? SigkillTargets(t, call) : std::vector<pid_t>();
  absl::StatusOr<int64_t> r = guest.Inject(call);
  if (!r.ok()) return 0;
  if (*r == 0 && !doomed.empty()) {
    // SIGKILL ends its targets at once, stopped or parked as they are: they end at this
    // step for the scheduler, whenever the kernel reports it (the next pick waits for
    // that), so no later decision sees them half alive.
    bool self = false;
    for (pid_t pid : doomed) {
      self |= pid == t.pid;
      SettleProcessExit(pid);
    }
    Mix(static_cast<uint64_t>(*r));
    if (self) HandOffFrom(t.id, PointKind::kThreadExit);
    return *r;
  }
  WakeSignalled();
  Mix(static_cast<uint64_t>(*r));
  return *r;
}

SyscallResult Scheduler::WaitChild(Guest& guest, Thread& t, const Syscall& call) {
  const int options_arg = call.nr == SYS_wait4 ? 2 : 3;
  if (call.args[options_arg] & WNOHANG) return guest.TailInject(call);
  while (true) {
    // A process that has ended for the scheduler (its exit_group or fatal signal was a
    // step) but whose end the kernel has not reported yet may or may not show in the probe,
    // as timing has it: wait for the report first, so that the probe's answer is the same
    // in every run (and a child on its way out is never taken for a deadlock).
    if (!AwaitExits(guest)) return 0;
    Syscall probe = call;
    probe.args[options_arg] |= WNOHANG;
    absl::StatusOr<int64_t> r = guest.Inject(probe);
    if (!r.ok()) return 0;
    // wait4 answers 0 when children exist but none changed state; waitid leaves
    // si_pid 0 in the info it filled.
    bool nothing_yet = *r == 0;
    if (call.nr == SYS_waitid && *r == 0 && call.args[2] != 0) {
      siginfo_t info{};
      nothing_yet = guest.memory().Read(RemotePtr<siginfo_t>(call.args[2]), info).ok() && info.si_pid == 0;
    }
    if (!nothing_yet) {
      Mix(static_cast<uint64_t>(*r > 0 ? 1 : *r));  // a pid varies between runs: not mixed
      return *r;
    }
    if (!BlockAndWait(guest, t, Block::kChild, call.nr)) return 0;
    // A signal: EINTR, or a restart that stops here again.
    if (t.woke == Woke::kSignal) return InKernel(guest, t, call, /*modelled=*/true);
  }
}

SyscallResult Scheduler::WaitSignal(Guest& guest, Thread& t, const Syscall& call) {
  GuestMemory& mem = guest.memory();
  t.wait_sigmask.reset();
  if (call.nr == SYS_rt_sigsuspend) {
    uint64_t mask = 0;
    if (!mem.Read(RemotePtr<uint64_t>(call.args[0]), mask).ok()) return guest.TailInject(call);  // EFAULT, as natively
    t.wait_sigmask = mask;
  } else if (call.nr == SYS_rt_sigtimedwait) {
    uint64_t set = 0;
    if (!mem.Read(RemotePtr<uint64_t>(call.args[0]), set).ok()) return guest.TailInject(call);
    std::optional<uint64_t> timeout;
    bool invalid = false;
    if (!ReadTimespec(mem, call.args[2], /*timeval=*/false, &timeout, &invalid) || invalid) return guest.TailInject(call);
    std::optional<ProcSignals> st = ReadProcSignals(t.pid, t.tid);
    // One of the set already pending, or a zero timeout: the kernel answers at once.
    if ((st.has_value() && ((st->pending | st->shared_pending) & set) != 0) ||
        (timeout.has_value() && *timeout == 0)) {
      return TakeSignal(guest, call);
    }
    t.wait_sigset = set;
    if (timeout.has_value()) t.deadline_ns = clock_.now() + *timeout;
  }
  if (!BlockAndWait(guest, t, Block::kSignal, call.nr)) return 0;
  t.wait_sigmask.reset();
  if (t.woke == Woke::kTimeout) return -EAGAIN;  // sigtimedwait's deadline passed
  // A signal it takes is pending: the call returns at once in the kernel (pause and
  // sigsuspend after running the handler, sigtimedwait with the signal), so it runs with
  // the baton, at this step. (Should another thread have taken a process-wide signal
  // meanwhile, the watchdog moves the baton on.)
  return TakeSignal(guest, call);
}

SyscallResult Scheduler::InKernel(Guest& guest, Thread& t, const Syscall& call, bool modelled) {
  if (!modelled && call.nr != SYS_vfork && call.nr != SYS_clone && call.nr != SYS_clone3 && call.nr != SYS_futex &&
      warned_.insert(absl::StrCat("in-kernel-", call.nr)).second) {
    LOG(WARNING) << call.name()
                 << " is not modelled by the scheduler: it runs in the kernel while other threads go on, so "
                    "runs that use it may vary";
  }
  SetState(t, State::kInKernel);
  t.chaos_lag_ns = 0;
  t.chaos_delays = 0;
  HandOffFrom(t.id, PointKind::kSyscall, call.nr);
  absl::StatusOr<int64_t> r = guest.Inject(call);
  if (!r.ok()) return 0;
  // Back from the kernel: take the baton if nobody holds it, else wait for it.
  if (running_ == kNoThread && vfork_starting_ == kNoThread) {
    TakeBaton(t);
  } else {
    SetState(t, State::kRunnable);
    if (!WaitForBaton(guest, t)) return 0;
  }
  return *r;
}

}  // namespace ravel
