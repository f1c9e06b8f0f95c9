// The event loop: one waitpid(-1, __WALL) at a time, dispatched by stop kind.
#include "intercept/tracer.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cpuid.h>
#include <x86intrin.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <ctime>

#include "base/logging.h"
#include "base/proc.h"
#include "absl/strings/str_cat.h"
#include "intercept/cpu_split.h"
#include "intercept/owned_kill.h"
#include "intercept/ptrace.h"
#include "intercept/ptrace_guard.h"
#include "intercept/seccomp_filter.h"
#include "intercept/spawn.h"
#include "intercept/status.h"
#include "intercept/tracer_core.h"

namespace ravel {

int RunResult::ExitCode() const {
  if (interrupted_by != 0) return 128 + interrupted_by;
  if (WIFEXITED(main_status)) return WEXITSTATUS(main_status);
  if (WIFSIGNALED(main_status)) return 128 + WTERMSIG(main_status);
  return 1;
}

Tracer::Tracer(Tool& tool, TracerOptions options)
    : core_(std::make_unique<internal::TracerCore>(tool, options)) {}
Tracer::~Tracer() = default;
absl::StatusOr<RunResult> Tracer::Run(const std::vector<std::string>& argv) {
  return core_->Run(argv);
}
absl::StatusOr<RunResult> Tracer::Run(GuestPrototype& prototype) {
  return core_->Run(*prototype.state_);
}

std::string Syscall::name() const {
  if (const SyscallInfo* info = FindSyscall(nr)) return std::string(info->name);
  return absl::StrCat("syscall_0x", absl::Hex(nr));
}

SyscallResult Tool::OnSyscall(Guest& guest, const Syscall& call) {
  return guest.TailInject(call);
}
TscResult Tool::OnRdtsc(Guest& guest, bool rdtscp) {
  TscResult r;
  if (rdtscp) {
    unsigned aux = 0;
    r.tsc = __rdtscp(&aux);
    r.aux = aux;
  } else {
    r.tsc = __rdtsc();
  }
  return r;
}
CpuidResult Tool::OnCpuid(Guest& guest, uint32_t leaf, uint32_t subleaf) {
  CpuidResult r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

namespace internal {
namespace {

// Set by ravel's own SIGINT/SIGTERM/SIGHUP handler; the handler also kills the main guest
// process so that a waitpid blocked on a quiet guest returns.
volatile sig_atomic_t g_interrupt = 0;
volatile sig_atomic_t g_main_pid = 0;
volatile sig_atomic_t g_alarm = 0;

void OnInterrupt(int sig) {
  g_interrupt = sig;
  if (g_main_pid > 0) SignalOwned(g_main_pid, SIGKILL);
}
void OnAlarm(int) { g_alarm = 1; }

// How often results of observed tail injections are collected while the guest is quiet.
constexpr long kCaptureFlushMicros = 20000;


class SignalScope {
 public:
  SignalScope() {
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    // No SA_RESTART: waitpid must return so the loop sees the interrupt.
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, &old_[sig]);
    sa.sa_handler = OnAlarm;
    sigaction(SIGALRM, &sa, &old_[SIGALRM]);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_[SIGPIPE]);
  }
  ~SignalScope() {
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGPIPE}) sigaction(sig, &old_[sig], nullptr);
    g_main_pid = 0;
  }

 private:
  struct sigaction old_[NSIG] {};
};

// The kernel's internal "interrupted, restart me" results (-ERESTARTSYS and friends).
bool IsRestartCode(int64_t r) { return r == -512 || r == -513 || r == -514 || r == -516; }

bool IsStopSignal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// Handler stacks, kept from run to run: a tool that runs many guests one after another
// (stress) would otherwise allocate and fault in new stacks for every run.
const boost::context::pooled_fixedsize_stack& HandlerStacks() {
  static const boost::context::pooled_fixedsize_stack* stacks = new boost::context::pooled_fixedsize_stack(256 * 1024);
  return *stacks;
}

// TracerOptions::split_cpus for one Run: the claim (CpuSplit) while the run lasts, and the
// tracer thread's own CPUs back at the end.
class CpuSplitForRun {
 public:
  explicit CpuSplitForRun(bool wanted) {
    if (wanted && sched_getaffinity(0, sizeof(own_), &own_) == 0) {
      split_ = CpuSplit::Claim(own_, CpuSplit::ClaimName());
    }
  }
  ~CpuSplitForRun() {
    if (bound_) sched_setaffinity(0, sizeof(own_), &own_);
  }
  std::optional<cpu_set_t> guest_cpus() const {
    return split_.has_value() ? std::optional<cpu_set_t>(split_->guest_cpus()) : std::nullopt;
  }
  // After the guest's spawn: the tracer leaves the guest's CPU to it.
  void BindTracer() {
    if (split_.has_value()) bound_ = sched_setaffinity(0, sizeof(cpu_set_t), &split_->tracer_cpus()) == 0;
  }

 private:
  cpu_set_t own_;
  std::optional<CpuSplit> split_;
  bool bound_ = false;
};

}  // namespace

bool InterruptRequested() { return g_interrupt != 0; }

std::string Describe(const ThreadRecord& t) { return absl::StrCat("tid ", t.tid); }

TracerCore::TracerCore(Tool& tool, TracerOptions options)
    : tool_(tool), subscription_(tool.subscription()), options_(options),
      stacks_(HandlerStacks()) {
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) == 1) spin_polls_ = 0;
}

TracerCore::~TracerCore() = default;

std::vector<sock_filter> TracerCore::InitialFilter() const {
  return BuildSeccompFilter(FilterSyscalls(subscription_, !subscription_.until_first_clone.has_value()),
                            subscription_.exempt);
}

absl::StatusOr<Spawned> TracerCore::SpawnGuest(const std::string& path, const std::vector<std::string>& argv,
                                               const std::optional<cpu_set_t>& cpus) {
  SpawnRequest request;
  request.cpus = cpus;
  request.path = path;
  request.argv = argv;
  request.filter = InitialFilter();
  request.disable_aslr = options_.disable_aslr;
  request.ptrace_options = kPtraceOptions;
  for (int fd = 0; fd < 3; ++fd) request.stdio[fd] = options_.stdio[fd];
  return SpawnTraced(request);
}

absl::StatusOr<RunResult> TracerCore::Run(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("no command to run");
  absl::StatusOr<std::string> path = ResolveCommand(argv[0]);
  if (!path.ok()) return path.status();

  SignalScope signals;
  StartPolls();
  g_interrupt = 0;
  prctl(PR_SET_CHILD_SUBREAPER, 1);  // orphaned guest processes come back to ravel

  widened_ = !subscription_.until_first_clone.has_value();
  CpuSplitForRun split(options_.split_cpus);
  absl::StatusOr<Spawned> spawned = SpawnGuest(*path, argv, split.guest_cpus());
  if (!spawned.ok()) return spawned.status();
  split.BindTracer();
  main_pid_ = spawned->pid;
  g_main_pid = main_pid_;
  ProcessRecord& process = AddProcess(main_pid_);
  AddThread(main_pid_, &process);

  absl::Status looped = Loop();
  if (!looped.ok()) {
    close(spawned->exec_error_fd);
    return looped;
  }
  RunResult result;
  result.main_status = main_status_;
  result.interrupted_by = g_interrupt;
  int exec_errno = 0;
  if (read(spawned->exec_error_fd, &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
    result.exec_errno = exec_errno;
  }
  close(spawned->exec_error_fd);
  return result;
}

absl::StatusOr<RunResult> TracerCore::Run(PrototypeState& prototype) {
  const Subscription& made_for = prototype.subscription;
  if (made_for.syscalls != subscription_.syscalls || made_for.until_first_clone != subscription_.until_first_clone ||
      made_for.rdtsc != subscription_.rdtsc || made_for.cpuid != subscription_.cpuid) {
    return absl::InvalidArgumentError("the tool's subscription is not the one the guest prototype was made for");
  }
  if (!prototype.alive) return absl::FailedPreconditionError("the guest prototype's process is gone");
  SignalScope signals;
  StartPolls();
  g_interrupt = 0;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  widened_ = !subscription_.until_first_clone.has_value();
  absl::StatusOr<pid_t> copy = ForkPrototype(prototype);
  if (!copy.ok()) {
    return copy.status();
  }
  main_pid_ = *copy;
  g_main_pid = main_pid_;
  ProcessRecord& process = AddProcess(main_pid_);
  ThreadRecord& t = AddThread(main_pid_, &process);
  prototype.trampoline->FreeAllStubs();  // whatever the last run's threads held
  process.trampoline = prototype.trampoline;
  t.entry_regs = prototype.regs;
  // As after a spawn's exec: the thread starts, then the tool sets the new image up.
  StartThread(t);
  StartImage(t);
  Resume(t, PTRACE_CONT, 0);

  absl::Status looped = Loop();
  if (!looped.ok()) return looped;
  RunResult result;
  result.main_status = main_status_;
  result.interrupted_by = g_interrupt;
  return result;
}

absl::Status TracerCore::Loop() {
  bool timer_armed = false;
  // The periodic timer serves both the tool's ticks and the collection of observed
  // results; it is armed once and runs for the rest of the run.
  const long tick_micros = subscription_.tick_ms > 0 ? subscription_.tick_ms * 1000L : 0;
  const long timer_micros = tick_micros > 0 ? std::min(tick_micros, kCaptureFlushMicros) : kCaptureFlushMicros;
  struct timespec last_tick {};
  clock_gettime(CLOCK_MONOTONIC, &last_tick);
  g_alarm = 0;
  while (true) {
    if (g_interrupt != 0 && !killing_) KillAll();
    RunReady();
    if ((!capturing_.empty() || tick_micros > 0) && !timer_armed) {
      itimerval every{{0, timer_micros}, {0, timer_micros}};
      setitimer(ITIMER_REAL, &every, nullptr);
      timer_armed = true;
    }
    if (g_alarm != 0) {
      g_alarm = 0;
      FlushCaptures();
      struct timespec now {};
      clock_gettime(CLOCK_MONOTONIC, &now);
      long elapsed = (now.tv_sec - last_tick.tv_sec) * 1000000L + (now.tv_nsec - last_tick.tv_nsec) / 1000;
      if (tick_micros > 0 && elapsed >= tick_micros && !killing_) {
        last_tick = now;
        tool_.OnTick(*this);
        continue;
      }
    }
    if (!deferred_.empty()) {
      auto [tid, status] = deferred_.front();
      deferred_.pop_front();
      HandleStatus(tid, status);
      continue;
    }
    // The run ends when every guest process it knows of is reaped (a process it does not
    // know of yet would be a clone child whose parent's event is still due, and that
    // parent is then still known). Not at ECHILD: a GuestPrototype's process is a stopped
    // tracee and child of this process for as long as the prototype lives.
    if (processes_.empty() && early_stops_.empty()) {
      ReapOrphans();
      break;
    }
    int status = 0;
    pid_t tid = 0;
    if (spin_polls_ > 0) tid = PollForStop(&status);
    // The tick first (the loop's top clears the flag), and work the tool's OnIdle left
    // ready (its handlers run at the loop's top).
    if (tid == 0 && (g_alarm != 0 || !ready_.empty())) continue;
    if (tid == 0 && tool_.BeforeBlockingWait()) continue;  // work that came meanwhile first
    if (tid == 0) tid = waitpid(-1, &status, __WALL);
    if (tid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      return ErrnoStatus("waitpid", 0, errno);
    }
    if (auto it = LivePrototypes().find(tid); it != LivePrototypes().end()) {
      // Nothing resumes it during a run; only its end (a SIGKILL from elsewhere) reports.
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        it->second->alive = false;
        LivePrototypes().erase(it);
      }
      continue;
    }
    NoteEvent(/*stop=*/true);
    HandleStatus(tid, status);
  }
  FlushCaptures();
  return absl::OkStatus();
}

ProcessRecord& TracerCore::AddProcess(pid_t pid) {
  auto record = std::make_unique<ProcessRecord>();
  record->pid = pid;
  ProcessRecord& ref = *record;
  processes_[pid] = std::move(record);
  return ref;
}

ThreadRecord& TracerCore::AddThread(pid_t tid, ProcessRecord* process) {
  auto record = std::make_unique<ThreadRecord>();
  record->tid = tid;
  record->process = process;
  record->index = next_index_++;
  process->live_threads++;
  ThreadRecord& ref = *record;
  threads_[tid] = std::move(record);
  return ref;
}

void TracerCore::RemoveThread(ThreadRecord& t) {
  ReleaseStub(t);
  t.process->live_threads--;
  threads_.erase(t.tid);
}

void TracerCore::ReapOrphans() {
  // A guest process's exit reaches the tracer as its tracer; its zombie stays for its
  // parent, and comes here (the subreaper) when that parent dies. Every guest process has
  // exited by now, so each such zombie already is a child of this process.
  while (true) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, __WALL | WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;
    if (auto it = LivePrototypes().find(pid); it != LivePrototypes().end()) {
      it->second->alive = false;
      LivePrototypes().erase(it);
    }
  }
  if (!killing_) return;
  // KillAll also killed children this run did not trace (KillUntracedChildren): wait for
  // each to be gone, so that none is left behind as a zombie.
  for (pid_t pid : UntracedChildren()) {
    while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {}
  }
}

void TracerCore::KillAll() {
  killing_ = true;
  for (const auto& [pid, process] : processes_) SignalOwned(pid, SIGKILL);
  // Children whose parent's event never came (the parent died at it) are tracees too.
  for (pid_t tid : early_stops_) SignalOwned(tid, SIGKILL);
  // Children ravel does not trace (should the ptrace link to one ever be lost) are still
  // its children, being the subreaper: without this the loop would wait for them forever.
  KillUntracedChildren();
}

void TracerCore::KillUntracedChildren() {
  for (pid_t pid : UntracedChildren()) SignalOwned(pid, SIGKILL);
}

std::vector<pid_t> TracerCore::UntracedChildren() const {
  std::vector<pid_t> found;
  const pid_t self = getpid();
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || processes_.contains(static_cast<pid_t>(pid))) continue;
    if (LivePrototypes().contains(static_cast<pid_t>(pid))) continue;
    std::optional<ProcStat> stat = ReadProcStat(static_cast<pid_t>(pid));
    if (stat.has_value() && stat->ppid == self) found.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return found;
}

void TracerCore::StartPolls() {
  polls_beside_ = tool_.PollsBesideStops();
  sparse_ = false;
  sparse_rounds_ = 0;
  window_stops_ = 0;
  window_work_ = 0;
}

void TracerCore::NoteEvent(bool stop) {
  ++(stop ? window_stops_ : window_work_);
  if (window_stops_ + window_work_ < kRegimeWindow) return;
  sparse_ = polls_beside_ && window_stops_ * kSparseRatio < window_work_;
  window_stops_ = 0;
  window_work_ = 0;
}

pid_t TracerCore::PollForStop(int* status) {
  pid_t tid = 0;
  if (++waits_ % kAnyTraceeEvery == 0 || (last_resumed_ == 0 && tool_.ExpectedStop() == 0)) {
    tid = waitpid(-1, status, __WALL | WNOHANG);
    if (tid != 0) return tid;  // a stop, or an error the blocking wait reports again
  }
  for (int i = 0; i < spin_polls_ && tid == 0; ++i) {
    // The tool's work first: what a handler just left ready beside the guest (a plan to
    // extend) is wanted sooner than a stop can come.
    bool worked = false;
    for (int j = 0, idle = 0; j < kWorkRounds && idle < kIdlePolls; ++j) {
      if (!tool_.OnIdle()) {
        ++idle;
        __builtin_ia32_pause();
        continue;
      }
      NoteEvent(/*stop=*/false);
      worked = true;
      idle = 0;
      if (!ready_.empty()) return 0;  // handlers to resume first
    }
    // Where OnIdle's work is most of what comes (sparse_), a wait only every kSparsePolls
    // rounds; the others are not counted as polls (the tracer sleeps after as many waits).
    if (sparse_ && ++sparse_rounds_ % kSparsePolls != 0 && g_alarm == 0) {
      if (worked) {
        i = -1;
      } else {
        --i;
      }
      continue;
    }
    // (Its stop may have been taken by an earlier wait, or it may be gone: ECHILD.) While
    // the tool keeps finding work this loop goes on: every kAnyTraceeEvery-th wait in it is
    // for any tracee too, so that another's stop is not left waiting behind that work.
    const pid_t expected = tool_.ExpectedStop();
    const pid_t want = ++waits_ % kAnyTraceeEvery == 0 ? 0 : expected != 0 ? expected : last_resumed_;
    tid = waitpid(want != 0 ? want : -1, status, __WALL | WNOHANG);
    if (tid < 0) return 0;
    if (tid != 0 || g_alarm != 0) break;
    if (worked) {
      i = -1;  // work beside the guest: poll on
      continue;
    }
    if (i % 10 == 9) sched_yield();
  }
  return tid;
}

void TracerCore::Resume(ThreadRecord& t, int request, int signo) {
  last_resumed_ = t.tid;
  switch (request) {
    case PTRACE_SYSCALL:
      LogUnlessVanished(ptrace::Syscall(t.tid, signo));
      break;
    case PTRACE_SINGLESTEP:
      LogUnlessVanished(ptrace::SingleStep(t.tid, signo));
      break;
    default:
      LogUnlessVanished(ptrace::Cont(t.tid, signo));
      break;
  }
}

void TracerCore::ResumeAfterEvent(ThreadRecord& t, int signo) {
  bool syscall_mode = t.wait == Wait::kSyscallExit || t.exec_exit_pending;
  Resume(t, t.wait == Wait::kStep ? PTRACE_SINGLESTEP : syscall_mode ? PTRACE_SYSCALL : PTRACE_CONT, signo);
}

void TracerCore::HandleStatus(pid_t tid, int status) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    HandleExited(tid, status);
    return;
  }
  if (!WIFSTOPPED(status)) return;
  auto it = threads_.find(tid);
  if (it == threads_.end()) {
    if (killing_) {
      SignalOwned(tid, SIGKILL);
      LogUnlessVanished(ptrace::Cont(tid, 0));
      return;
    }
    // A clone child reporting before its parent's event: hold it until the event says
    // whose it is.
    early_stops_.insert(tid);
    return;
  }
  HandleStop(*it->second, status);
}

void TracerCore::StartThread(ThreadRecord& t) {
  if (t.started) return;
  t.started = true;
  Guest guest(*this, t);
  tool_.OnThreadStart(guest);
}

void TracerCore::StartNewThread(ThreadRecord& t) {
  t.started = true;
  StartEventHandler(t, &Tool::OnThreadStart);
}

void TracerCore::StartEventHandler(ThreadRecord& t, void (Tool::*callback)(Guest&)) {
  absl::StatusOr<Registers> regs = ptrace::GetRegs(t.tid);
  if (!regs.ok()) return;  // gone: its end is reported next
  t.entry_regs = *regs;
  t.stop_kind = StopKind::kOther;
  t.consumed = false;
  t.regs_dirty = false;
  StartHandler(t, [this, &t, callback](Guest& guest) {
    (tool_.*callback)(guest);
    if (t.vanished) return;
    if (t.consumed || t.regs_dirty) {
      if (absl::Status s = ptrace::SetRegs(t.tid, t.entry_regs); !s.ok()) {
        LogUnlessVanished(s);
        return;
      }
    }
    Resume(t, PTRACE_CONT, 0);
    RedeliverStashed(t);
  });
}

void TracerCore::KillGuest() {
  if (!killing_) KillAll();
}

void TracerCore::Interrupt(pid_t tid) {
  auto it = threads_.find(tid);
  if (it == threads_.end() || killing_) return;
  ThreadRecord& t = *it->second;
  if (t.interrupt_requested || t.exiting) return;
  t.interrupt_requested = true;
  if (absl::Status s = ptrace::Interrupt(tid); !s.ok()) {
    LogUnlessVanished(s);
    t.interrupt_requested = false;
  }
}


absl::StatusOr<Registers> TracerCore::ThreadRegisters(pid_t tid) {
  auto it = threads_.find(tid);
  if (it == threads_.end()) return absl::NotFoundError(absl::StrCat("thread ", tid, " is not traced"));
  ThreadRecord& t = *it->second;
  if (t.in_handler) return t.entry_regs;
  return ptrace::GetRegs(tid);
}

absl::Status TracerCore::SetThreadRegisters(pid_t tid, const Registers& regs) {
  auto it = threads_.find(tid);
  if (it == threads_.end()) return absl::NotFoundError(absl::StrCat("thread ", tid, " is not traced"));
  return SetRegisters(*it->second, regs);
}

absl::StatusOr<user_fpregs_struct> TracerCore::ThreadFpRegisters(pid_t tid) {
  if (!threads_.contains(tid)) return absl::NotFoundError(absl::StrCat("thread ", tid, " is not traced"));
  return ptrace::GetFpRegs(tid);
}

absl::Status TracerCore::SetThreadFpRegisters(pid_t tid, const user_fpregs_struct& regs) {
  if (!threads_.contains(tid)) return absl::NotFoundError(absl::StrCat("thread ", tid, " is not traced"));
  return ptrace::SetFpRegs(tid, regs);
}

void TracerCore::HandleStop(ThreadRecord& t, int status) {
  const int sig = WSTOPSIG(status);
  const int event = status >> 16;
  if (killing_) {
    // Anything still stopping was missed by KillAll (e.g. a child forked meanwhile).
    SignalOwned(t.process->pid, SIGKILL);
    Resume(t, PTRACE_CONT, 0);
    return;
  }
  if (t.awaiting_first_stop) {
    // The new thread's initial PTRACE_EVENT_STOP.
    t.awaiting_first_stop = false;
    StartNewThread(t);
    return;
  }
  StartThread(t);
  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      OnSeccompStop(t);
      return;
    case PTRACE_EVENT_CLONE:
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
      HandleNewChild(t, event);
      return;
    case PTRACE_EVENT_EXEC:
      HandleExecEvent(t.tid);
      return;
    case PTRACE_EVENT_EXIT: {
      // (A thread killed meanwhile reports its end next; its exit status is then unknown.)
      absl::StatusOr<unsigned long> msg = ptrace::GetEventMsg(t.tid);
      LogUnlessVanished(msg.status());
      t.exiting = true;
      {
        absl::StatusOr<Registers> regs = ptrace::GetRegs(t.tid);
        ResolveCapture(t, regs.ok() ? &*regs : nullptr);
      }
      {
        Guest guest(*this, t);
        tool_.OnThreadExit(guest, static_cast<int>(msg.value_or(0)));
      }
      if (!t.fiber) {
        Resume(t, PTRACE_CONT, 0);
      } else {
        // A handler waiting for this thread learns it is gone.
        t.vanished = true;
        ResumeHandler(t);
        Resume(t, PTRACE_CONT, 0);
      }
      return;
    }
    case PTRACE_EVENT_STOP:
      if (IsStopSignal(sig)) {
        // Group-stop: stay stopped as job control wants, but keep getting events.
        if (!t.group_stopped) {
          t.group_stopped = true;
          Guest guest(*this, t);
          tool_.OnJobControl(guest, true);
        }
        LogUnlessVanished(ptrace::Listen(t.tid));
      } else {
        if (t.group_stopped) {
          t.group_stopped = false;
          Guest guest(*this, t);
          tool_.OnJobControl(guest, false);
        }
        if (t.interrupt_requested) {
          // PTRACE_INTERRUPT's stop. Only a thread that is simply running takes it; one
          // that a handler is busy with goes on as that handler needs.
          t.interrupt_requested = false;
          if (t.wait == Wait::kNone && !t.fiber && !t.in_handler) {
            StartEventHandler(t, &Tool::OnInterrupt);
            return;
          }
        }
        ResumeAfterEvent(t);
      }
      return;
    default:
      break;
  }
  if (sig == (SIGTRAP | 0x80)) {
    // Syscall-exit stop (entry stops are never requested without a wait).
    if (t.exec_exit_pending) {
      t.exec_exit_pending = false;
      SetUpNewImage(t);
      if (t.wait == Wait::kSyscallExit) {
        CompleteWait(t);
      } else {
        Resume(t, PTRACE_CONT, 0);
      }
      return;
    }
    if (t.wait == Wait::kSyscallExit) {
      CompleteWait(t);
      return;
    }
    // An entry stop we did not ask for a handler (e.g. the tail of an exec setup).
    ResumeAfterEvent(t);
    return;
  }
  HandleSignalStop(t, sig);
}

void TracerCore::HandleExited(pid_t tid, int status) {
  early_stops_.erase(tid);
  if (tid == main_pid_) {
    main_status_ = status;
    main_reaped_ = true;
  }
  auto it = threads_.find(tid);
  ProcessRecord* process = nullptr;
  if (it != threads_.end()) {
    ThreadRecord& t = *it->second;
    process = t.process;
    if (t.fiber) {
      t.vanished = true;
      ResumeHandler(t);
    }
    ResolveCapture(t, nullptr);
    const bool leader = process != nullptr && process->pid == tid;
    RemoveThread(t);
    if (!leader) tool_.OnThreadGone(tid);
  } else if (auto p = processes_.find(tid); p != processes_.end()) {
    process = p->second.get();
  }
  if (tid == main_pid_ && !killing_) {
    // The command ravel ran is gone; whatever it left running goes with it, so that a run
    // never leaves guest processes behind.
    bool others = !early_stops_.empty();
    for (const auto& [pid, record] : processes_) others |= pid != main_pid_;
    if (others) KillAll();
  }
  if (process == nullptr) return;
  if (process->pid == tid) {
    process->leader_reaped = true;
    process->status = status;
  }
  if (process->leader_reaped && process->live_threads <= 0) {
    pid_t pid = process->pid;
    int pstatus = process->status;
    // Threads of the process that never reported their end are gone with it.
    std::vector<pid_t> leftovers;
    for (const auto& [other, record] : threads_) {
      if (record->process == process) leftovers.push_back(other);
    }
    for (pid_t other : leftovers) RemoveThread(*threads_[other]);
    processes_.erase(pid);
    tool_.OnProcessExit(pid, pstatus);
  }
}

void TracerCore::HandleNewChild(ThreadRecord& parent, int event) {
  absl::StatusOr<unsigned long> msg = ptrace::GetEventMsg(parent.tid);
  if (!msg.ok() || *msg == 0) {
    // The parent died at its event (e.g. another thread's exit_group): its end reports
    // next. Its child, if one was made, is a tracee whose stop waits in early_stops_ and
    // is killed with the rest. Never take the missing answer for pid 0: that would name
    // ravel's own process group.
    return;
  }
  pid_t child = static_cast<pid_t>(*msg);
  bool is_thread = false;
  if (event == PTRACE_EVENT_CLONE) {
    // The parent is stopped at its clone event, its call's arguments still in place.
    // (Should it be gone, its end reports next: the child is taken for a process.)
    absl::StatusOr<Registers> regs = ptrace::GetRegs(parent.tid);
    uint64_t flags = regs.ok() ? regs->args()[0] : 0;
    if (regs.ok() && regs->syscall_nr() == SYS_clone3) {
      GuestMemory mem(parent.tid);
      uint64_t f = 0;
      if (mem.Read(RemotePtr<uint64_t>(regs->args()[0]), f).ok()) flags = f;
    }
    is_thread = (flags & CLONE_THREAD) != 0;
  }
  ProcessRecord* process;
  if (is_thread) {
    process = parent.process;
  } else {
    process = &AddProcess(child);
    process->trampoline = parent.process->trampoline;  // MAP_SHARED: inherited as is
  }
  ThreadRecord& t = AddThread(child, process);
  if (killing_) SignalOwned(child, SIGKILL);
  if (early_stops_.erase(child) > 0) {
    StartNewThread(t);
  } else {
    t.awaiting_first_stop = true;
  }
  ResumeAfterEvent(parent);
}

void TracerCore::HandleExecEvent(pid_t tid) {
  // The tid the exec'ing thread had (the event message); a failure means it is gone.
  absl::StatusOr<unsigned long> former = ptrace::GetEventMsg(tid);
  LogUnlessVanished(former.status());
  pid_t old_tid = former.ok() ? static_cast<pid_t>(*former) : tid;
  if (old_tid != tid) {
    // A non-leader thread exec'd: it now has the leader's tid; the old leader is gone
    // without a report of its own.
    auto leader = threads_.find(tid);
    if (leader != threads_.end()) {
      ThreadRecord& l = *leader->second;
      if (l.fiber) {
        l.vanished = true;
        ResumeHandler(l);
      }
      RemoveThread(l);
    }
    auto node = threads_.extract(old_tid);
    CHECK(!node.empty()) << "exec from unknown tid " << old_tid;
    node.key() = tid;
    node.mapped()->tid = tid;
    threads_.insert(std::move(node));
  }
  ThreadRecord& t = *threads_[tid];
  ResolveCapture(t, nullptr);  // a result stored before the exec is still reported
  ReleaseStub(t);
  t.process->trampoline.reset();
  t.process->entry_breakpoint = 0;
  t.exec_exit_pending = true;
  ResumeAfterEvent(t);
}

void TracerCore::HandleSignalStop(ThreadRecord& t, int signo) {
  absl::StatusOr<siginfo_t> got = ptrace::GetSigInfo(t.tid);
  if (!got.ok()) {
    LogUnlessVanished(got.status());
    Resume(t, PTRACE_CONT, signo);
    return;
  }
  siginfo_t info = *got;
  if (t.wait == Wait::kStep && signo == SIGTRAP) {
    CompleteWait(t);  // Guest::SingleStep: one instruction done
    return;
  }
  if (t.wait == Wait::kTrap && signo == SIGTRAP) {
    absl::StatusOr<Registers> regs = ptrace::GetRegs(t.tid);
    if (regs.ok() && regs->ip() == trampoline::kSyscallReturn + 1) {
      CompleteWait(t);
      return;
    }
  }
  if (t.wait != Wait::kNone) {
    // A handler is injecting: keep the signal for later, let the injection finish.
    if (t.wait == Wait::kTrap) {
      // The injected call was interrupted (a blocking call the signal is meant to end).
      // With the signal held back the kernel would restart it, and it might block for
      // good; instead it returns its restart code to the handler, and the guest gets the
      // kernel's restart-or-EINTR treatment when the signal is delivered after the handler.
      absl::StatusOr<Registers> regs = ptrace::GetRegs(t.tid);
      if (regs.ok() && regs->ip() == trampoline::kSyscallReturn && regs->syscall_nr() >= 0 &&
          IsRestartCode(regs->result())) {
        regs->raw().orig_rax = static_cast<uint64_t>(-1);
        LogUnlessVanished(ptrace::SetRegs(t.tid, *regs));
      }
    }
    t.stashed.push_back(info);
    ResumeAfterEvent(t, 0);
    return;
  }
  if (!t.redeliver.empty() && signo == t.redeliver.front().si_signo &&
      info.si_code == SI_TKILL && info.si_pid == getpid()) {
    info = t.redeliver.front();
    t.redeliver.pop_front();
    LogUnlessVanished(ptrace::SetSigInfo(t.tid, info));
  }
  if (signo == SIGTRAP) {
    absl::StatusOr<Registers> regs = ptrace::GetRegs(t.tid);
    if (regs.ok() && HitEntryBreakpoint(t, *regs)) return;
  }
  if (signo == SIGSEGV && HandleRdtscOrCpuid(t, info)) return;
  absl::StatusOr<Registers> regs = ptrace::GetRegs(t.tid);
  if (!regs.ok()) {
    LogUnlessVanished(regs.status());
    Resume(t, PTRACE_CONT, signo);
    return;
  }
  BeginSignalStop(t, info, *regs);
  StartHandler(t, [this, &t](Guest& guest) {
    int deliver = tool_.OnSignal(guest, t.signal);
    FinishSignal(t, deliver);
  });
}

void TracerCore::BeginSignalStop(ThreadRecord& t, const siginfo_t& info, Registers& regs) {
  if (ResolveCapture(t, &regs)) LogUnlessVanished(ptrace::SetRegs(t.tid, regs));
  t.signal = info;
  t.entry_regs = regs;
  t.stop_kind = StopKind::kSignal;
  t.consumed = false;
  t.regs_dirty = false;
}

bool TracerCore::HandleRdtscOrCpuid(ThreadRecord& t, const siginfo_t& info) {
  if (info.si_code != SI_KERNEL || (!subscription_.rdtsc && !subscription_.cpuid)) return false;
  absl::StatusOr<Registers> got = ptrace::GetRegs(t.tid);
  if (!got.ok()) return false;
  Registers regs = *got;
  uint8_t code[3] = {};
  GuestMemory mem(t.tid);
  if (mem.Read(regs.ip(), code, sizeof(code)) < 2 || code[0] != 0x0f) return false;
  const bool rdtsc = subscription_.rdtsc && code[1] == 0x31;
  const bool rdtscp = subscription_.rdtsc && code[1] == 0x01 && code[2] == 0xf9;
  if (rdtsc || rdtscp) {
    // A handler, like a signal's: the tool may park the thread here (a scheduling point).
    // The thread stays before the instruction until the answer is written.
    BeginSignalStop(t, info, regs);
    StartHandler(t, [this, &t, rdtscp](Guest& guest) {
      const TscResult v = tool_.OnRdtsc(guest, rdtscp);
      if (t.vanished) return;
      user_regs_struct& r = t.entry_regs.raw();
      r.rax = v.tsc & 0xffffffffu;
      r.rdx = v.tsc >> 32;
      if (rdtscp) r.rcx = v.aux;
      r.rip += rdtscp ? 3 : 2;
      t.regs_dirty = true;
      FinishSignal(t, 0);
    });
    return true;
  }
  if (!subscription_.cpuid || code[1] != 0xa2) return false;
  Guest guest(*this, t);
  user_regs_struct& r = regs.raw();
  CpuidResult c = tool_.OnCpuid(guest, static_cast<uint32_t>(r.rax), static_cast<uint32_t>(r.rcx));
  r.rax = c.eax;
  r.rbx = c.ebx;
  r.rcx = c.ecx;
  r.rdx = c.edx;
  r.rip += 2;
  if (absl::Status s = ptrace::SetRegs(t.tid, regs); !s.ok()) {
    LogUnlessVanished(s);
    return true;  // gone: its end reports next
  }
  Resume(t, PTRACE_CONT, 0);
  return true;
}

}  // namespace internal
}  // namespace ravel
