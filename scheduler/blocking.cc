// Calls that may block: probed first where the scheduler can tell (fds, children), so a
// thread only waits when it really would, and never while holding the baton; everything
// else runs in the kernel with the baton handed on.
#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/logging.h"
#include "scheduler/scheduler.h"

namespace ravel {

bool Scheduler::FdReady(pid_t pid, int fd, short events) {
  // A duplicate of the guest's fd in the tracer, polled with timeout 0: the guest's own
  // fd is untouched and nothing is consumed.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return true;
  int local = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  close(pidfd);
  if (local < 0) return true;  // bad fd: let the call fail as it would
  pollfd p{local, events, 0};
  int r = poll(&p, 1, 0);
  close(local);
  return r != 0;  // ready, error or hang-up: the call will not block
}

SyscallResult Scheduler::MaybeBlockingFd(Guest& guest, Thread& t, const Syscall& call, int fd, short events) {
  while (!FdReady(t.pid, fd, events)) {
    t.fd = fd;
    t.fd_events = events;
    t.wake_result = 0;
    if (!BlockAndWait(guest, t, Block::kFd, call.nr)) return 0;
    if (t.wake_result == 1) {
      // Nothing else can run: the call waits for the outside world in the kernel.
      t.wake_result = 0;
      return InKernel(guest, t, call);
    }
  }
  return guest.TailInject(call);
}

bool Scheduler::ProbeFdWaiters() {
  bool any = false;
  for (auto& [id, t] : threads_) {
    if (t.state == State::kBlocked && t.block == Block::kFd && FdReady(t.pid, t.fd, t.fd_events)) {
      t.state = State::kRunnable;
      t.block = Block::kNone;
      any = true;
    }
  }
  return any;
}

SyscallResult Scheduler::WaitChild(Guest& guest, Thread& t, const Syscall& call) {
  const int options_arg = call.nr == SYS_wait4 ? 2 : 3;
  if (call.args[options_arg] & WNOHANG) return guest.TailInject(call);
  while (true) {
    Syscall probe = call;
    probe.args[options_arg] |= WNOHANG;
    absl::StatusOr<int64_t> r = guest.Inject(probe);
    if (!r.ok()) return 0;
    // wait4 answers 0 when children exist but none changed state; waitid leaves
    // si_pid 0 in the info it filled.
    bool nothing_yet = *r == 0;
    if (call.nr == SYS_waitid && *r == 0 && call.args[2] != 0) {
      siginfo_t info{};
      nothing_yet = guest.memory().ReadExact(call.args[2], &info, sizeof(info)).ok() && info.si_pid == 0;
    }
    if (!nothing_yet) {
      Mix(static_cast<uint64_t>(*r > 0 ? 1 : *r));  // a pid varies between runs: not mixed
      return *r;
    }
    if (!BlockAndWait(guest, t, Block::kChild, call.nr)) return 0;
  }
}

SyscallResult Scheduler::InKernel(Guest& guest, Thread& t, const Syscall& call) {
  t.state = State::kInKernel;
  SchedulingPoint point;
  point.step = steps_;
  point.current = t.id;
  point.syscall_nr = call.nr;
  HandOff(point);
  absl::StatusOr<int64_t> r = guest.Inject(call);
  if (!r.ok()) return 0;
  // Back from the kernel: take the baton if nobody holds it, else wait for it.
  if (running_ == kNoThread) {
    running_ = t.id;
    t.state = State::kRunning;
  } else {
    t.state = State::kRunnable;
    if (!WaitForBaton(guest, t)) return 0;
  }
  return *r;
}

}  // namespace ravel
