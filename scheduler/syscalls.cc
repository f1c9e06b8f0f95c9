// The scheduler's syscall table: which family handles each call once its point is decided,
// and the handlers too small for a family file of their own. OnSyscall (scheduler.cc) makes
// the point first; what a call does afterwards is looked up here by number.
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>

#include "scheduler/scheduler.h"

namespace ravel {

void Scheduler::Register(std::initializer_list<int64_t> nrs, Handler handler) {
  for (int64_t nr : nrs) {
    CHECK(nr >= 0 && static_cast<size_t>(nr) < handlers_.size()) << "syscall " << nr << " is outside the table";
    CHECK(handlers_[static_cast<size_t>(nr)] == nullptr) << "syscall " << nr << " has two handlers";
    handlers_[static_cast<size_t>(nr)] = handler;
  }
}

void Scheduler::RegisterHandlers() {
  // Waits and wake-ups the scheduler emulates (futex.cc).
  Register({SYS_futex}, &Scheduler::Futex);
  Register({SYS_futex_waitv}, &Scheduler::FutexWaitv);
  // The virtual clock, sleeps, the seeded randomness, the virtual CPU (clock.cc, random.cc,
  // scheduler.cc).
  Register({SYS_clock_gettime, SYS_gettimeofday, SYS_time}, &Scheduler::Clock);
  Register({SYS_nanosleep, SYS_clock_nanosleep}, &Scheduler::Sleep);
  Register({SYS_getrandom}, &Scheduler::RandomBytes);
  Register({SYS_sched_getaffinity, SYS_sched_setaffinity}, &Scheduler::Affinity);
  Register({SYS_getcpu}, &Scheduler::GetCpu);
  Register({SYS_sched_yield}, &Scheduler::Yield);
  // Timers on the virtual clock (timers.cc).
  Register({SYS_alarm, SYS_setitimer, SYS_getitimer}, &Scheduler::Timer);
  Register({SYS_timer_create, SYS_timer_settime, SYS_timer_gettime, SYS_timer_getoverrun, SYS_timer_delete},
           &Scheduler::PosixTimer);
  // Threads and processes (here, and blocking.cc for vfork and waits).
  Register({SYS_clone, SYS_clone3}, &Scheduler::Clone);
  Register({SYS_vfork}, &Scheduler::Vfork);
  Register({SYS_exit_group}, &Scheduler::ExitGroup);
  Register({SYS_set_tid_address}, &Scheduler::SetTidAddress);
  Register({SYS_wait4, SYS_waitid}, &Scheduler::WaitChild);
  // Memory: a module whose atomics are points (atomic_points.cc).
  Register({SYS_mmap}, &Scheduler::Mmap);
  // Files and fds: /dev/urandom (random.cc); calls that wait for an fd (blocking.cc).
  Register({SYS_open, SYS_openat}, &Scheduler::Open);
  Register({SYS_close}, &Scheduler::Close);
  Register({SYS_read, SYS_pread64}, &Scheduler::Read);
  Register({SYS_readv, SYS_recvfrom, SYS_recvmsg, SYS_accept, SYS_accept4}, &Scheduler::Receive);
  Register({SYS_write, SYS_writev, SYS_sendto, SYS_sendmsg}, &Scheduler::Send);
  Register({SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2},
           &Scheduler::WaitReady);
  Register({SYS_mq_timedsend}, &Scheduler::MqSend);
  Register({SYS_mq_timedreceive}, &Scheduler::MqReceive);
  // Signals (blocking.cc).
  Register({SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo, SYS_pidfd_send_signal},
           &Scheduler::SendSignal);
  Register({SYS_pause, SYS_rt_sigsuspend, SYS_rt_sigtimedwait}, &Scheduler::WaitSignal);
  // Calls that may block in the kernel, where the scheduler cannot see them wait.
  Register({SYS_msgrcv, SYS_semop, SYS_semtimedop, SYS_flock, SYS_msgsnd, SYS_io_getevents, SYS_io_uring_enter},
           &Scheduler::SleepsInKernel);
}

SyscallResult Scheduler::Yield(Guest&, Thread&, const Syscall&) {
  return 0;  // the point was the yield; the kernel has nothing more to do
}

SyscallResult Scheduler::Mmap(Guest& guest, Thread&, const Syscall& call) {
  if (options_.atomic_points && !options_.atomic_modules.empty()) return MapModule(guest, call);
  return guest.TailInject(call);
}

SyscallResult Scheduler::ExitGroup(Guest& guest, Thread& t, const Syscall& call) {
  SettleProcessExit(t.pid);
  HandOffFrom(t.id, PointKind::kThreadExit);
  return guest.TailInject(call);
}

SyscallResult Scheduler::SetTidAddress(Guest& guest, Thread& t, const Syscall& call) {
  t.clear_child_tid = call.args[0];
  return guest.TailInject(call);
}

SyscallResult Scheduler::Clone(Guest& guest, Thread& t, const Syscall& call) {
  // Run it here and wait for the result (the child's tid), so that the tid to clear at
  // the child's exit goes to the right thread however the start events interleave.
  uint64_t flags = call.args[0], ctid = call.args[3];
  if (call.nr == SYS_clone3) {
    struct Head {
      uint64_t flags, pidfd, child_tid;
    } head{};
    (void)guest.memory().Read(RemotePtr<Head>(call.args[0]), head);
    flags = head.flags;
    ctid = head.child_tid;
  }
  if (flags & CLONE_VFORK) return Vfork(guest, t, call);
  absl::StatusOr<int64_t> child = guest.Inject(call);
  if (!child.ok()) return 0;
  if (*child <= 0) return *child;
  const pid_t child_tid = static_cast<pid_t>(*child);
  // The child's start event may still be on its way; the parent goes on only once the
  // child is known, so every later decision sees the same runnable set. (A thread that
  // had the same tid before is gone from by_tid_ once reaped; an exited one is not it.)
  const auto known = [&] {
    auto it = by_tid_.find(child_tid);
    return it != by_tid_.end() && At(it->second).state != State::kExited;
  };
  while (!known()) {
    awaiting_start_[child_tid] = t.tid;
    if (!guest.Park()) return 0;
  }
  awaiting_start_.erase(child_tid);
  if (flags & CLONE_CHILD_CLEARTID) At(by_tid_.at(child_tid)).clear_child_tid = ctid;
  return *child;
}

SyscallResult Scheduler::Close(Guest& guest, Thread& t, const Syscall& call) {
  random_devices_.Closed(t.pid, static_cast<int>(call.args[0]));
  return guest.TailInject(call);
}

SyscallResult Scheduler::Read(Guest& guest, Thread& t, const Syscall& call) {
  const int fd = static_cast<int>(call.args[0]);
  if (random_devices_.IsRandomFd(t.pid, fd)) return ReadRandom(guest, call, call.args[1], call.args[2]);
  if (call.nr == SYS_pread64) return guest.TailInject(call);
  return MaybeBlockingFd(guest, t, call, fd, POLLIN);
}

SyscallResult Scheduler::Receive(Guest& guest, Thread& t, const Syscall& call) {
  return MaybeBlockingFd(guest, t, call, static_cast<int>(call.args[0]), POLLIN);
}

SyscallResult Scheduler::Send(Guest& guest, Thread& t, const Syscall& call) {
  return MaybeBlockingFd(guest, t, call, static_cast<int>(call.args[0]), POLLOUT);
}

SyscallResult Scheduler::MqSend(Guest& guest, Thread& t, const Syscall& call) {
  return MessageQueue(guest, t, call, POLLOUT);
}

SyscallResult Scheduler::MqReceive(Guest& guest, Thread& t, const Syscall& call) {
  return MessageQueue(guest, t, call, POLLIN);
}

SyscallResult Scheduler::RandomBytes(Guest& guest, Thread&, const Syscall& call) { return Getrandom(guest, call); }

SyscallResult Scheduler::SleepsInKernel(Guest& guest, Thread& t, const Syscall& call) {
  return InKernel(guest, t, call);
}

}  // namespace ravel
