// GuestPrototype: the command exec'd and set up once, then forked for every run.
//
// The prototype process stops at its execve's syscall-exit stop after PrepareImage (the
// layer's setup), and never runs an instruction of its own. A run injects
// clone(CLONE_PARENT | SIGCHLD) into it at the trampoline's syscall site: the copy's parent
// is the tracer, and the copy (auto-attached through PTRACE_O_TRACEFORK) gets the exec's
// registers back at its first stop, so it starts exactly where the exec left the image.
// The copy's memory is the prototype's, copy-on-write, but for the trampoline, which is
// MAP_SHARED: every run uses the prototype's, with all its stubs free at the start (one
// run at a time, so the stub slots are never shared between runs).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "intercept/owned_kill.h"
#include "intercept/spawn.h"
#include "intercept/ptrace.h"
#include "intercept/status.h"
#include "intercept/tracer_core.h"

namespace ravel {
namespace internal {
namespace {

// Kills a stopped or running tracee that is also our child, and reaps it.
void KillAndReap(pid_t pid) {
  SignalOwned(pid, SIGKILL);
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || WIFEXITED(status) || WIFSIGNALED(status)) return;
    LogUnlessVanished(ptrace::Cont(pid, 0));  // e.g. a PTRACE_EVENT_EXIT stop
  }
}

// waitpid for one tracee, retrying on EINTR unless ravel is being interrupted.
pid_t WaitFor(pid_t pid, int* status) {
  while (true) {
    pid_t r = waitpid(pid, status, __WALL);
    if (r >= 0 || errno != EINTR) return r;
    if (InterruptRequested()) SignalOwned(pid, SIGKILL);
  }
}

class PrototypeTool : public Tool {
 public:
  explicit PrototypeTool(Subscription subscription) : subscription_(std::move(subscription)) {}
  Subscription subscription() const override { return subscription_; }

 private:
  Subscription subscription_;
};

}  // namespace

absl::flat_hash_map<pid_t, PrototypeState*>& LivePrototypes() {
  static auto* live = new absl::flat_hash_map<pid_t, PrototypeState*>();
  return *live;
}

absl::StatusOr<std::unique_ptr<PrototypeState>> TracerCore::Prepare(const std::string& path,
                                                                    const std::vector<std::string>& argv) {
  SyscallSet first = subscription_.syscalls;
  if (subscription_.until_first_clone.has_value()) first &= *subscription_.until_first_clone;
  if (first.test(SYS_execve) || first.test(SYS_execveat)) {
    return absl::InvalidArgumentError(
        "a guest prototype needs a subscription that lets the initial execve run without a stop");
  }
  absl::StatusOr<Spawned> spawned = SpawnGuest(path, argv);
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = spawned->pid;
  auto fail = [&](absl::Status status) {
    KillAndReap(pid);
    close(spawned->exec_error_fd);
    processes_.clear();
    threads_.clear();
    return status;
  };

  // Up to the execve's syscall-exit stop: the exec event, then PTRACE_SYSCALL.
  bool exec_seen = false;
  while (true) {
    int status = 0;
    if (WaitFor(pid, &status) < 0) return fail(ErrnoStatus("waitpid", pid, errno));
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      int exec_errno = 0;
      std::string why = WIFSIGNALED(status) ? absl::StrCat("killed by signal ", WTERMSIG(status))
                                            : absl::StrCat("exited with ", WEXITSTATUS(status));
      if (read(spawned->exec_error_fd, &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
        why = absl::StrCat("exec failed: ", strerror(exec_errno));
      }
      close(spawned->exec_error_fd);
      return absl::FailedPreconditionError(absl::StrCat(argv[0], ": ", why));
    }
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    if (event == PTRACE_EVENT_EXEC) {
      exec_seen = true;
    } else if (sig == (SIGTRAP | 0x80) && exec_seen) {
      break;
    }
    // A signal before the exec is the spawned child's, not the image's: let it go on.
    const int pass = event == 0 && sig != (SIGTRAP | 0x80) ? sig : 0;
    // (A failure means it was killed: its end is the next status.)
    LogUnlessVanished(exec_seen ? ptrace::Syscall(pid, pass) : ptrace::Cont(pid, pass));
  }

  ProcessRecord& process = AddProcess(pid);
  ThreadRecord& t = AddThread(pid, &process);
  PrepareImage(t);
  // Signals that came during the setup are dropped: no copy was there to get them.
  t.stashed.clear();
  auto state = std::make_unique<PrototypeState>();
  state->pid = pid;
  state->subscription = subscription_;
  absl::StatusOr<Registers> regs = ptrace::GetRegs(pid);
  if (!regs.ok()) return fail(regs.status());
  state->regs = *regs;
  if (process.trampoline == nullptr) {
    return fail(absl::FailedPreconditionError("the guest prototype has no trampoline"));
  }
  state->trampoline = process.trampoline;
  close(spawned->exec_error_fd);
  // The records go; the process stays, stopped.
  processes_.clear();
  threads_.clear();
  return state;
}

absl::StatusOr<pid_t> TracerCore::ForkPrototype(PrototypeState& prototype) {
  const pid_t pid = prototype.pid;
  Registers regs = prototype.regs;
  regs.set_ip(trampoline::kSyscallSite);
  regs.raw().rax = SYS_clone;
  regs.raw().orig_rax = static_cast<uint64_t>(-1);
  // clone(flags, stack = 0: the caller's, parent_tid, child_tid, tls): a fork whose
  // parent is the prototype's parent, ravel.
  regs.set_args({CLONE_PARENT | SIGCHLD, 0, 0, 0, 0, 0});
  if (!ptrace::SetRegs(pid, regs).ok() || !ptrace::Syscall(pid, 0).ok()) {
    KillAndReap(pid);  // killed from elsewhere: a zombie, ours to reap
    prototype.alive = false;
    LivePrototypes().erase(pid);
    return absl::FailedPreconditionError("the guest prototype's process is gone");
  }
  int64_t result = 0;
  while (true) {
    int status = 0;
    if (WaitFor(pid, &status) < 0) return ErrnoStatus("waitpid", pid, errno);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      prototype.alive = false;
      LivePrototypes().erase(pid);
      return absl::FailedPreconditionError("the guest prototype's process is gone");
    }
    if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
      absl::StatusOr<__ptrace_syscall_info> info = ptrace::GetSyscallInfo(pid);
      if (info.ok() && info->op == PTRACE_SYSCALL_INFO_EXIT) {
        result = info->exit.rval;
        break;
      }
    }
    // The fork event, the entry stop, or a signal sent to the prototype's process (say,
    // to its process group): no copy was there to get it, so it is dropped.
    LogUnlessVanished(ptrace::Syscall(pid, 0));
  }
  // Back to the exec's registers, for the next copy. (Should the prototype be gone, the
  // next ForkPrototype says so.)
  LogUnlessVanished(ptrace::SetRegs(pid, prototype.regs));
  if (result < 0) {
    return absl::InternalError(absl::StrCat("clone in the guest prototype: ", strerror(static_cast<int>(-result))));
  }
  const pid_t copy = static_cast<pid_t>(result);
  // The copy's first stop (PTRACE_EVENT_STOP), then the exec's registers.
  while (true) {
    int status = 0;
    if (WaitFor(copy, &status) < 0) return ErrnoStatus("waitpid", copy, errno);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      return absl::InternalError(absl::StrCat("the copy of the guest prototype (pid ", copy, ") ended at once"));
    }
    if (status >> 16 == PTRACE_EVENT_STOP) break;
    LogUnlessVanished(ptrace::Cont(copy, 0));
  }
  if (absl::Status s = ptrace::SetRegs(copy, prototype.regs); !s.ok()) {
    KillAndReap(copy);
    return s;
  }
  return copy;
}

}  // namespace internal

GuestPrototype::GuestPrototype(std::vector<std::string> argv, std::unique_ptr<internal::PrototypeState> state)
    : argv_(std::move(argv)), state_(std::move(state)) {}

absl::StatusOr<std::unique_ptr<GuestPrototype>> GuestPrototype::Create(const std::vector<std::string>& argv,
                                                                       const Subscription& subscription,
                                                                       const TracerOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("no command to run");
  absl::StatusOr<std::string> path = ResolveCommand(argv[0]);
  if (!path.ok()) return path.status();
  internal::PrototypeTool tool(subscription);
  internal::TracerCore core(tool, options);
  absl::StatusOr<std::unique_ptr<internal::PrototypeState>> state = core.Prepare(*path, argv);
  if (!state.ok()) return state.status();
  internal::LivePrototypes()[(*state)->pid] = state->get();
  return std::unique_ptr<GuestPrototype>(new GuestPrototype(argv, std::move(*state)));
}

GuestPrototype::~GuestPrototype() {
  if (state_->alive) {
    internal::LivePrototypes().erase(state_->pid);
    internal::KillAndReap(state_->pid);
  }
}

pid_t GuestPrototype::pid() const { return state_->pid; }
bool GuestPrototype::alive() const { return state_->alive; }

}  // namespace ravel
