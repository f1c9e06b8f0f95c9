// Handler fibers, syscall injection, and finishing a stop.
//
// Life of one subscribed syscall:
//   seccomp stop -> OnSeccompStop: registers read, handler fiber started
//   handler calls Inject(x)        -> the stop's own syscall slot runs x (PTRACE_SYSCALL),
//                                     fiber suspends; the exit stop resumes it
//   handler calls Inject(y) again  -> the slot is used: y runs at the trampoline's
//                                     `syscall; int3`; the SIGTRAP resumes the fiber
//   handler returns value v        -> FinishSyscall: registers restored with rax = v (the
//                                     syscall skipped with orig_rax = -1 if still unrun)
//   handler returns TailInject(c)  -> FinishSyscall: c's number/args set, PTRACE_CONT: the
//                                     kernel runs it, no further stop
#include <errno.h>
#include <cstring>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "base/logging.h"
#include "absl/strings/str_cat.h"
#include "intercept/owned_kill.h"
#include "intercept/ptrace.h"
#include "intercept/ptrace_guard.h"
#include "intercept/seccomp_filter.h"
#include "intercept/status.h"
#include "intercept/tracer_core.h"

namespace ravel::internal {
namespace {

// Internal restart code: the call was interrupted and will be run again.
constexpr int64_t kErestartSys = -512;

// Syscalls whose return cannot go through a stub: they create a thread or process that
// would return into it too, replace the image, restore registers wholesale, or never return.
bool CanObserveWithStub(int64_t nr) {
  switch (nr) {
    case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork:
    case SYS_execve: case SYS_execveat: case SYS_rt_sigreturn:
    case SYS_exit: case SYS_exit_group:
      return false;
    default:
      return true;
  }
}

bool NeverReturns(int64_t nr) { return nr == SYS_exit || nr == SYS_exit_group; }

}  // namespace

void TracerCore::OnSeccompStop(ThreadRecord& t) {
  absl::StatusOr<Registers> regs = ptrace::GetRegs(t.tid);
  if (!regs.ok()) return;  // gone: its exit is reported next
  bool changed = ResolveCapture(t, &*regs, /*at_seccomp_stop=*/true);
  t.entry_regs = *regs;
  t.stop_kind = StopKind::kSeccomp;
  t.consumed = false;
  t.regs_dirty = changed;
  Syscall call;
  call.nr = regs->syscall_nr();
  call.args = regs->args();
  if (call.nr == SYS_ptrace && GuardPtrace(t, call)) return;
  if (!widened_ && (call.nr == SYS_clone || call.nr == SYS_clone3 || call.nr == SYS_fork || call.nr == SYS_vfork)) {
    // The first thread or process is about to be created: every subscribed syscall must
    // stop from now on, in it and in us. Add the full filter, then make this call again;
    // the tool sees it at the next stop.
    StartHandler(t, [this, &t](Guest& guest) {
      if (absl::Status s = StopAllSubscribed(t); !s.ok()) {
        if (IsVanished(s)) return;
        LOG(ERROR) << "cannot stop the guest's syscalls any more (" << s
                   << "); the guest is killed rather than run untraced";
        KillAll();
      }
      FinishRestart(t);
    });
    return;
  }
  const bool clone = call.nr == SYS_clone || call.nr == SYS_clone3;
  if (clone && !ToolSubscribed(subscription_, widened_, call.nr)) {
    // Only the layer's own trap stopped it (see ptrace_guard.h): it runs, but traced.
    StartHandler(t, [this, &t, call](Guest& guest) {
      Syscall traced = call;
      KeepCloneTraced(guest.memory(), &traced);
      FinishSyscall(t, guest.TailInject(traced));
    });
    return;
  }
  StartHandler(t, [this, &t, call, clone](Guest& guest) {
    Syscall c = call;
    if (clone) KeepCloneTraced(guest.memory(), &c);
    SyscallResult result = tool_.OnSyscall(guest, c);
    FinishSyscall(t, result);
  });
}

bool TracerCore::GuardPtrace(ThreadRecord& t, const Syscall& call) {
  const pid_t pid = PtracePid(call);
  PtraceTarget target = PtraceTarget::kUnknown;
  if (SharesPidNamespace(t.tid)) {
    target = threads_.contains(pid) || early_stops_.contains(pid) ? PtraceTarget::kGuest
             : ProcessExists(pid)                                 ? PtraceTarget::kOutside
                                                                  : PtraceTarget::kMissing;
  }
  if (std::optional<int64_t> refused = PtraceVerdict(static_cast<int64_t>(call.args[0]), target)) {
    // Elided: the guest sees the refusal, the tool never sees the call.
    StartHandler(t, [this, &t, value = *refused](Guest&) { FinishSyscall(t, value); });
    return true;
  }
  if (ToolSubscribed(subscription_, widened_, SYS_ptrace)) return false;
  // Only the layer's own trap stopped it: it runs as it would without ravel's filter.
  StartHandler(t, [this, &t, call](Guest& guest) { FinishSyscall(t, guest.TailInject(call)); });
  return true;
}

void TracerCore::StartHandler(ThreadRecord& t, std::function<void(Guest&)> body) {
  CHECK(!t.fiber) << "a handler is already active for " << Describe(t);
  t.fiber = boost::context::fiber(
      std::allocator_arg, stacks_,
      [this, &t, body = std::move(body)](boost::context::fiber&& main) mutable {
        t.main = std::move(main);
        t.in_handler = true;
        {
          Guest guest(*this, t);
          body(guest);
        }
        t.in_handler = false;
        return std::move(t.main);
      });
  ResumeHandler(t);
}

void TracerCore::ResumeHandler(ThreadRecord& t) { t.fiber = std::move(t.fiber).resume(); }

void TracerCore::Suspend(ThreadRecord& t) { t.main = std::move(t.main).resume(); }

void TracerCore::CompleteWait(ThreadRecord& t) {
  t.wait = Wait::kNone;
  ResumeHandler(t);
}

absl::StatusOr<int64_t> TracerCore::Inject(ThreadRecord& t, const Syscall& call) {
  CHECK(t.in_handler) << "Inject is only available in OnSyscall and OnSignal (" << Describe(t) << ")";
  auto gone = [&] { return absl::NotFoundError(absl::StrCat("guest thread ", t.tid, " exited")); };
  if (t.vanished) return gone();
  if (t.stop_kind == StopKind::kSeccomp && !t.consumed) {
    // Run it in the stop's own syscall slot: one more stop, at its exit.
    Registers regs = t.entry_regs;
    regs.raw().orig_rax = static_cast<uint64_t>(call.nr);
    regs.set_args(call.args);
    if (absl::Status s = ptrace::SetRegs(t.tid, regs); !s.ok()) return s;
    t.consumed = true;
    t.wait = Wait::kSyscallExit;
    Resume(t, PTRACE_SYSCALL, 0);
    Suspend(t);
    if (t.vanished) return gone();
    absl::StatusOr<Registers> after = ptrace::GetRegs(t.tid);
    if (!after.ok()) return after.status();
    // From here the thread's registers are what the kernel left (a call may change more
    // than rax: arch_prctl sets fs_base, rt_sigreturn restores everything). When the slot
    // ran another call than the guest's, the guest's own call and arguments stay pending.
    Registers next = *after;
    if (!(call.nr == t.entry_regs.syscall_nr() && call.args == t.entry_regs.args())) {
      next.raw().orig_rax = t.entry_regs.raw().orig_rax;
      next.set_args(t.entry_regs.args());
    }
    t.entry_regs = next;
    return after->result();
  }
  if (!t.process->trampoline) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot inject ", call.name(), " in ", Describe(t),
        ": the syscall slot of this stop is used and the process has no trampoline"));
  }
  Registers regs = t.entry_regs;
  regs.set_ip(trampoline::kSyscallSite);
  regs.raw().rax = static_cast<uint64_t>(call.nr);
  regs.raw().orig_rax = static_cast<uint64_t>(-1);  // not in a syscall: no restart logic
  regs.set_args(call.args);
  if (absl::Status s = ptrace::SetRegs(t.tid, regs); !s.ok()) return s;
  t.consumed = true;
  t.regs_dirty = true;
  t.wait = Wait::kTrap;
  Resume(t, PTRACE_CONT, 0);
  Suspend(t);
  if (t.vanished) return gone();
  absl::StatusOr<Registers> after = ptrace::GetRegs(t.tid);
  if (!after.ok()) return after.status();
  // The thread's registers are restored from entry_regs later, except the thread-pointer
  // state an injected call may have meant to change.
  t.entry_regs.raw().fs_base = after->raw().fs_base;
  t.entry_regs.raw().gs_base = after->raw().gs_base;
  return after->result();
}

std::optional<int64_t> TracerCore::TailInject(ThreadRecord& t, const Syscall& call,
                                              std::function<void(int64_t)> observe) {
  CHECK(t.in_handler) << "TailInject is only available in OnSyscall (" << Describe(t) << ")";
  CHECK(t.stop_kind == StopKind::kSeccomp) << "TailInject outside a syscall stop";
  bool slot_free = !t.consumed;
  bool stub_ok = !observe || NeverReturns(call.nr) ||
                 (CanObserveWithStub(call.nr) && EnsureStub(t));
  if (slot_free && stub_ok) {
    t.tail = call;
    t.tail_observer = NeverReturns(call.nr) ? nullptr : std::move(observe);
    return std::nullopt;
  }
  // Run it now and hand the handler its result.
  absl::StatusOr<int64_t> result = Inject(t, call);
  int64_t value = result.ok() ? *result : -ENOSYS;
  if (observe && result.ok()) observe(value);
  return value;
}

bool TracerCore::EnsureStub(ThreadRecord& t) {
  if (t.stub >= 0 && t.stub_owner == t.process->trampoline) return true;
  ReleaseStub(t);
  if (!t.process->trampoline) return false;
  int i = t.process->trampoline->AllocateStub();
  if (i < 0) return false;
  t.stub = i;
  t.stub_owner = t.process->trampoline;
  return true;
}

void TracerCore::ReleaseStub(ThreadRecord& t) {
  if (t.capture_done) {
    t.capture_done = nullptr;
    capturing_.erase(std::remove(capturing_.begin(), capturing_.end(), &t), capturing_.end());
  }
  if (t.stub >= 0 && t.stub_owner) t.stub_owner->FreeStub(t.stub);
  t.stub = -1;
  t.stub_owner.reset();
}

void TracerCore::FinishSyscall(ThreadRecord& t, const SyscallResult& result) {
  if (t.vanished) return;
  Registers regs = t.entry_regs;
  bool write_regs = t.regs_dirty || t.consumed;
  if (result.is_tail()) {
    const Syscall& call = t.tail;
    if (call.nr != regs.syscall_nr() || call.args != regs.args()) {
      regs.raw().orig_rax = static_cast<uint64_t>(call.nr);
      regs.set_args(call.args);
      write_regs = true;
    }
    if (t.tail_observer) {
      TrampolineMapping::Slot& slot = t.stub_owner->slot(t.stub);
      slot.done = 0;
      slot.resume = regs.ip();
      regs.set_ip(trampoline::StubEntry(t.stub));
      write_regs = true;
      t.capture_done = std::move(t.tail_observer);
      capturing_.push_back(&t);
    }
  } else {
    regs.set_result(result.value());
    if (!t.consumed) regs.raw().orig_rax = static_cast<uint64_t>(-1);  // skip the syscall
    write_regs = true;
  }
  t.tail_observer = nullptr;
  if (write_regs) {
    if (absl::Status s = ptrace::SetRegs(t.tid, regs); !s.ok()) {
      if (!IsVanished(s)) LOG(ERROR) << s;
      return;
    }
  }
  // Signals held back during the handler are queued before the thread moves, so they are
  // delivered on this very return: a call that ended with a restart code is restarted or
  // fails with EINTR exactly as the kernel decides.
  RedeliverStashed(t);
  Resume(t, PTRACE_CONT, 0);
}

void TracerCore::FinishRestart(ThreadRecord& t) {
  if (t.vanished) return;
  Registers regs = t.entry_regs;
  regs.set_ip(regs.ip() - 2);  // back onto the 2-byte syscall instruction
  regs.raw().rax = regs.raw().orig_rax;
  if (absl::Status s = ptrace::SetRegs(t.tid, regs); !s.ok()) {
    if (!IsVanished(s)) LOG(ERROR) << s;
    return;
  }
  RedeliverStashed(t);
  Resume(t, PTRACE_CONT, 0);
}

absl::Status TracerCore::StopAllSubscribed(ThreadRecord& t) {
  if (widened_) return absl::OkStatus();
  if (!t.process->trampoline) {
    return absl::FailedPreconditionError(absl::StrCat("no trampoline in ", Describe(t), " for the filter program"));
  }
  const std::vector<sock_filter> program = BuildSeccompFilter(FilterSyscalls(subscription_, /*widened=*/true), subscription_.exempt);
  struct {
    uint16_t len;
    uint16_t pad[3];
    uint64_t filter;
  } fprog{static_cast<uint16_t>(program.size()), {0, 0, 0}, trampoline::kScratch + 16};
  static_assert(sizeof(fprog) == 16 && sizeof(sock_filter) == 8);
  if (16 + program.size() * sizeof(sock_filter) > trampoline::kScratchSize) {
    return absl::InternalError(absl::StrCat("the filter program (", program.size(), " instructions) is too long"));
  }
  uint8_t* scratch = t.process->trampoline->scratch();
  memcpy(scratch, &fprog, sizeof(fprog));
  memcpy(scratch + 16, program.data(), program.size() * sizeof(sock_filter));
  Syscall install;
  install.nr = SYS_seccomp;
  install.args = {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, trampoline::kScratch, 0, 0, 0};
  absl::StatusOr<int64_t> r = Inject(t, install);
  if (!r.ok()) return r.status();
  if (*r != 0) return ErrnoStatus("seccomp(SECCOMP_SET_MODE_FILTER)", t.tid, static_cast<int>(*r < 0 ? -*r : EBUSY));
  widened_ = true;
  return absl::OkStatus();
}

void TracerCore::FinishSignal(ThreadRecord& t, int signo) {
  if (t.vanished) return;
  if (t.consumed || t.regs_dirty) {
    if (absl::Status s = ptrace::SetRegs(t.tid, t.entry_regs); !s.ok()) return;
  }
  // After an injection the thread sits at the trampoline's SIGTRAP stop; the original
  // signal is delivered from there with its own siginfo.
  if (t.consumed && signo != 0 && signo == t.signal.si_signo) {
    LogUnlessVanished(ptrace::SetSigInfo(t.tid, t.signal));
  }
  Resume(t, PTRACE_CONT, signo);
  RedeliverStashed(t);
}

void TracerCore::RedeliverStashed(ThreadRecord& t) {
  while (!t.stashed.empty()) {
    siginfo_t info = t.stashed.front();
    t.stashed.pop_front();
    if (SignalOwnedThread(t.process->pid, t.tid, info.si_signo) == SignalResult::kSent) t.redeliver.push_back(info);
  }
}

bool TracerCore::ResolveCapture(ThreadRecord& t, Registers* regs, bool at_seccomp_stop) {
  if (!t.capture_done) return false;
  TrampolineMapping::Slot& slot = t.stub_owner->slot(t.stub);
  std::optional<int64_t> result;
  bool changed = false;
  if (slot.done) {
    result = static_cast<int64_t>(slot.result);
  } else if (regs != nullptr) {
    uint64_t entry = trampoline::StubEntry(t.stub);
    uint64_t ip = regs->ip();
    if (ip >= entry && ip < entry + 20) {
      if (at_seccomp_stop && ip == entry) {
        // The kernel rewound the call to the stub's syscall instruction (restart without
        // a signal stop): it is running again now, as a new call.
        result = kErestartSys;
        regs->raw().rcx = slot.resume;
      } else {
        result = ip == entry ? regs->result() : static_cast<int64_t>(slot.result);
      }
      regs->set_ip(slot.resume);
      changed = true;
    }
  }
  std::function<void(int64_t)> done = std::move(t.capture_done);
  t.capture_done = nullptr;
  capturing_.erase(std::remove(capturing_.begin(), capturing_.end(), &t), capturing_.end());
  if (result.has_value() && done) done(*result);
  return changed;
}

void TracerCore::FlushCaptures() {
  std::vector<ThreadRecord*> ready;
  for (ThreadRecord* t : capturing_) {
    if (t->stub_owner->slot(t->stub).done) ready.push_back(t);
  }
  for (ThreadRecord* t : ready) ResolveCapture(*t, nullptr);
}

bool TracerCore::Park(ThreadRecord& t) {
  CHECK(t.in_handler) << "Park is only available in handlers (" << Describe(t) << ")";
  if (t.vanished) return false;
  if (t.unpark_permit) {
    t.unpark_permit = false;
    return true;
  }
  t.wait = Wait::kParked;
  Suspend(t);
  t.wait = Wait::kNone;
  return !t.vanished;
}

void TracerCore::Unpark(pid_t tid) { ready_.push_back(Ready{tid, nullptr}); }

void TracerCore::Post(std::function<void()> work) { ready_.push_back(Ready{0, std::move(work)}); }

absl::Status TracerCore::SingleStep(ThreadRecord& t) {
  CHECK(t.in_handler && t.stop_kind != StopKind::kSeccomp)
      << "SingleStep is only available in OnSignal and OnInterrupt (" << Describe(t) << ")";
  auto gone = [&] { return absl::NotFoundError(absl::StrCat("guest thread ", t.tid, " exited")); };
  if (t.vanished) return gone();
  if (t.regs_dirty) {
    if (absl::Status s = ptrace::SetRegs(t.tid, t.entry_regs); !s.ok()) return s;
    t.regs_dirty = false;
  }
  t.wait = Wait::kStep;
  Resume(t, PTRACE_SINGLESTEP, 0);
  Suspend(t);
  if (t.vanished) return gone();
  absl::StatusOr<Registers> after = ptrace::GetRegs(t.tid);
  if (!after.ok()) return after.status();
  t.entry_regs = *after;
  return absl::OkStatus();
}

void TracerCore::RunReady() {
  while (!ready_.empty()) {
    Ready next = std::move(ready_.front());
    ready_.pop_front();
    if (next.work) {
      next.work();
      continue;
    }
    const pid_t tid = next.tid;
    auto it = threads_.find(tid);
    if (it == threads_.end()) continue;
    ThreadRecord& t = *it->second;
    if (t.wait == Wait::kParked) {
      CompleteWait(t);
    } else {
      t.unpark_permit = true;
    }
  }
}

absl::Status TracerCore::SetRegisters(ThreadRecord& t, const Registers& regs) {
  if (t.in_handler) {
    // Applied when the handler finishes (injections use the registers meanwhile).
    t.entry_regs = regs;
    t.regs_dirty = true;
    return absl::OkStatus();
  }
  return ptrace::SetRegs(t.tid, regs);
}

}  // namespace ravel::internal
