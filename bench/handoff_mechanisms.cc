// handoff_mechanisms [--calls N] [--repeat R]: the cost per event of each mechanism a
// scheduler could use to take control of a guest thread at a syscall, side by side in one
// run, so that issue #17 (an in-guest fast path for scheduling hand-offs) can choose a design.
//
// Every variant runs in a forked child of its own: a seccomp filter or syscall user dispatch
// cannot be removed once installed, and CPU pinning must not leak into the next variant. The
// child makes one warm-up round and then R rounds of N getppid calls, which the variant's
// mechanism intercepts, and times each round itself with the vDSO clock (no syscall, so
// nothing the filters see); a whole round trip through a tracer or supervisor is therefore in
// the number. It reports the microseconds per call of each round over a pipe; the table shows
// the median. getppid is cheap, has no side effects, and its answer tells an emulated call
// (the SIGSYS handlers return kEmulated) from a real one. Every answer is checked and the
// tracer and the supervisor count what they saw, so a mechanism that silently intercepted
// nothing fails instead of looking fast.
//
// The variants:
//   native              getppid alone;
//   seccomp RET_ALLOW   a filter that matches getppid and allows it: the fixed cost of a filter;
//   ptrace RET_TRACE    the child is traced with PTRACE_O_TRACESECCOMP, every call stops, the
//                       tracer waits for the stop and PTRACE_CONTs: ravel today, one stop per
//                       step. With a blocking waitpid, and with the nonblocking polls ravel's
//                       tracer makes before it blocks (TracerCore::PollForStop);
//   user notification   SECCOMP_RET_USER_NOTIF: a supervisor thread in this process receives
//                       each call and answers SECCOMP_USER_NOTIF_FLAG_CONTINUE, also with
//                       SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6);
//   RET_TRAP, SUD       SIGSYS, from a seccomp filter or from syscall user dispatch, to an
//                       in-process handler that emulates the call: what an in-guest runtime
//                       pays to see a call;
//   ... (ptraced)       the same, in a child traced as in the RET_TRACE variant: each SIGSYS
//                       is first a signal-delivery-stop, and the tracer PTRACE_CONTs with
//                       SIGSYS for the handler to run. What an in-guest runtime relying on
//                       SIGSYS pays under ravel, whose guests are always ptraced;
//   in-guest hand-off   two threads of one process on one CPU whose SIGSYS handler passes a
//                       futex "baton" to the other thread at every call and waits to get it
//                       back (a fast path that switches threads at every point), or keeps it
//                       (a point where the decision is "keep running");
//   futex ping-pong     the floor: two threads on one CPU passing the baton, no interception.
// The cross-process variants run with both sides free to use any CPU and with both pinned to
// one CPU, as the two-thread ones are: which is faster depends on the machine.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "intercept/ptrace.h"

// Kernel ABI values newer than some installed headers.
#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYSCALL_DISPATCH_FILTER_ALLOW
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace {

constexpr long kEmulated = 4242;  // what the SIGSYS handlers make getppid return
constexpr int kMaxRepeat = 1000;  // keeps a child's report within a pipe's buffer

struct Config {
  int calls = 10000;  // calls per round
  int repeat = 9;     // measured rounds, after one warm-up round
  int cpu = 0;        // the CPU of the one-CPU variants
};

// What a variant measured: the median microseconds per event, or why there is no number.
struct Outcome {
  enum Kind { kOk, kSkipped, kFailed };
  Kind kind = kFailed;
  double us = 0;
  std::string reason;
};

Outcome Failed(std::string reason) { return {Outcome::kFailed, 0, std::move(reason)}; }
Outcome Skipped(std::string reason) { return {Outcome::kSkipped, 0, std::move(reason)}; }

// `what` and the current errno, for a message.
std::string WithErrno(const std::string& what) {
  const int err = errno;
  return what + ": " + strerror(err);
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// getppid as a single syscall instruction, so that the measured loop enters the kernel
// exactly once per call and through no library code (syscall user dispatch traps any
// syscall instruction, wherever it is).
inline long RawGetppid() {
  long result;
  asm volatile("syscall" : "=a"(result) : "0"(static_cast<long>(SYS_getppid)) : "rcx", "r11", "memory");
  return result;
}

// Pins the calling thread, and the threads it creates afterwards, to one CPU.
bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

// Pins the calling thread for the lifetime of this object if asked, then restores its
// affinity (the tracer of a one-CPU ptrace variant is this process's main thread).
class ScopedPin {
 public:
  ScopedPin(bool pin, int cpu) {
    if (!pin) return;
    ok_ = sched_getaffinity(0, sizeof(saved_), &saved_) == 0;
    if (ok_) {
      ok_ = PinToCpu(cpu);
      restore_ = true;
    }
  }
  ~ScopedPin() {
    if (restore_ && sched_setaffinity(0, sizeof(saved_), &saved_) != 0) {
      fprintf(stderr, "warning: %s\n", WithErrno("restoring the CPU affinity").c_str());
    }
  }
  ScopedPin(const ScopedPin&) = delete;
  ScopedPin& operator=(const ScopedPin&) = delete;
  bool ok() const { return ok_; }

 private:
  cpu_set_t saved_;
  bool ok_ = true;
  bool restore_ = false;
};

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// ---- The child's side: reporting, filters, the measured rounds. ----

// In a child: the write end of its report pipe. A report is one line per measured round,
// "round <microseconds per event>", or a single "skip <why>" or "fail <what>" line.
int g_report_fd = -1;

void Report(const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = write(g_report_fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3);  // the pipe is gone, and with it anyone to tell
    done += static_cast<size_t>(n);
  }
}

[[noreturn]] void ChildSkip(const std::string& why) {
  Report("skip " + why + "\n");
  _exit(0);
}

// Also called from SIGSYS handlers, where building a string is not async-signal-safe: it
// only happens on the way out of a child that is failing anyway.
[[noreturn]] void ChildFail(const std::string& what) {
  Report("fail " + what + "\n");
  _exit(1);
}

// Installs a seccomp filter on the calling thread (the threads it creates afterwards inherit
// it) that returns `action` for getppid and allows every other call. Returns the listener fd
// with SECCOMP_FILTER_FLAG_NEW_LISTENER, 0 without, -1 with errno on failure.
int InstallFilter(uint32_t action, unsigned int flags) {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program = {static_cast<unsigned short>(std::size(code)), code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) != 0) return -1;
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &program));
}

// InstallFilter in a child, or the end of the child: a skip where the kernel lacks the action
// or the flag (EINVAL), a failure otherwise.
int InstallFilterOrExit(uint32_t action, unsigned int flags, const std::string& name) {
  const int fd = InstallFilter(action, flags);
  if (fd < 0) {
    const std::string message = WithErrno("seccomp filter returning " + name);
    if (errno == EINVAL || errno == ENOSYS) ChildSkip(message + " (not supported by this kernel)");
    ChildFail(message);
  }
  return fd;
}

void InstallSigsysHandler(void (*handler)(int, siginfo_t*, void*)) {
  struct sigaction action = {};
  action.sa_sigaction = handler;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, nullptr) != 0) ChildFail(WithErrno("sigaction(SIGSYS)"));
}

// Makes `calls` calls and returns the microseconds per call. Ends the child if a call returns
// anything but `expected`: the mechanism did not do what the variant claims.
template <typename Call>
double TimeCalls(int calls, long expected, Call call) {
  const double start = Now();
  for (int i = 0; i < calls; ++i) {
    const long got = call();
    if (got != expected) {
      ChildFail("getppid returned " + std::to_string(got) + ", expected " + std::to_string(expected));
    }
  }
  return (Now() - start) * 1e6 / calls;
}

// Runs one warm-up round, then the measured ones, reporting each one's microseconds per event.
template <typename Round>
void RunRounds(const Config& config, Round round) {
  round();
  for (int r = 0; r < config.repeat; ++r) Report("round " + std::to_string(round()) + "\n");
}

// How many calls a child makes in all (the warm-up round included), for the tracer's and the
// supervisor's counts.
long TotalCalls(const Config& config) { return static_cast<long>(config.repeat + 1) * config.calls; }

// ---- The parent's side: one child per variant. ----

pid_t WaitChild(pid_t pid, int* status) {
  pid_t got;
  while ((got = waitpid(pid, status, 0)) < 0 && errno == EINTR) {
  }
  return got;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "child exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "child killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "child status " + std::to_string(status);
}

// A forked child running one variant's guest side, with the read end of its report pipe. The
// destructor kills and reaps it unless it was reaped already, so that no child outlives an
// error; a child also dies with this process (PR_SET_PDEATHSIG, or PTRACE_O_EXITKILL).
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      int status;
      WaitChild(pid_, &status);
    }
    if (report_ >= 0) close(report_);
  }

  // Forks a child that runs body() and exits. False with errno if pipe or fork failed.
  bool Start(const std::function<void()>& body) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    const pid_t parent = getpid();
    fflush(stdout);
    fflush(stderr);
    pid_ = fork();
    if (pid_ < 0) {
      const int err = errno;
      close(fds[0]);
      close(fds[1]);
      errno = err;
      return false;
    }
    if (pid_ == 0) {
      close(fds[0]);
      g_report_fd = fds[1];
      if (prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(SIGKILL)) != 0) ChildFail(WithErrno("PR_SET_PDEATHSIG"));
      if (getppid() != parent) _exit(1);  // the parent died before the prctl
      body();
      _exit(0);
    }
    close(fds[1]);
    report_ = fds[0];
    return true;
  }

  pid_t pid() const { return pid_; }

  // The variant reaped the child itself (a tracer's wait loop sees its exit).
  void Reaped(int status) {
    reaped_ = true;
    status_ = status;
  }

  // Waits for the child to exit and reads its report: the median of its `rounds` rounds, or
  // the skip or the failure it reported, or how it died.
  Outcome Finish(int rounds) {
    if (!reaped_) {
      int status;
      if (WaitChild(pid_, &status) < 0) return Failed(WithErrno("waitpid"));
      Reaped(status);
    }
    std::string text;
    char buffer[4096];
    for (;;) {
      const ssize_t n = read(report_, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Failed(WithErrno("reading the child's report"));
      if (n == 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
    std::vector<double> samples;
    size_t begin = 0;
    while (begin < text.size()) {
      size_t end = text.find('\n', begin);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(begin, end - begin);
      begin = end + 1;
      if (line.starts_with("skip ")) return Skipped(line.substr(5));
      if (line.starts_with("fail ")) return Failed(line.substr(5));
      if (line.starts_with("round ")) samples.push_back(strtod(line.c_str() + 6, nullptr));
    }
    if (!WIFEXITED(status_) || WEXITSTATUS(status_) != 0) return Failed(DescribeStatus(status_));
    if (samples.size() != static_cast<size_t>(rounds)) {
      return Failed("child reported " + std::to_string(samples.size()) + " rounds of " + std::to_string(rounds));
    }
    std::sort(samples.begin(), samples.end());
    const size_t middle = samples.size() / 2;
    const double median =
        samples.size() % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2;
    return {Outcome::kOk, median, ""};
  }

 private:
  pid_t pid_ = -1;
  int report_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Forks a child that runs `body` and returns its outcome, for the variants whose parent has
// nothing to do but wait.
Outcome RunInChild(const Config& config, const std::function<void()>& body) {
  ChildProcess child;
  if (!child.Start(body)) return Failed(WithErrno("fork"));
  return child.Finish(config.repeat);
}

// ---- 1, 2: native, and a seccomp filter that allows the call. ----

Outcome Native(const Config& config) {
  return RunInChild(config, [&] {
    const long parent = RawGetppid();
    RunRounds(config, [&] { return TimeCalls(config.calls, parent, [] { return RawGetppid(); }); });
  });
}

Outcome SeccompAllow(const Config& config) {
  return RunInChild(config, [&] {
    const long parent = RawGetppid();
    InstallFilterOrExit(SECCOMP_RET_ALLOW, 0, "SECCOMP_RET_ALLOW");
    RunRounds(config, [&] { return TimeCalls(config.calls, parent, [] { return RawGetppid(); }); });
  });
}

// ---- 3: ptrace with seccomp RET_TRACE, one stop per call. ----

// The nonblocking polls ravel's tracer makes for the stop of the thread it resumed before it
// sleeps in waitpid (TracerCore::PollForStop): with a CPU to spare, the stop often comes while
// the tracer is still awake, which saves the tracer a sleep and the kernel a wake-up.
pid_t PollThenWait(pid_t pid, int* status) {
  constexpr int kPolls = 50;  // as ravel's kSpinPolls
  for (int i = 0; i < kPolls; ++i) {
    const pid_t got = waitpid(pid, status, WNOHANG);
    if (got > 0 || (got < 0 && errno != EINTR)) return got;
    if (i % 10 == 9) sched_yield();
  }
  return WaitChild(pid, status);
}

// Makes this child a tracee of its parent and stops it (the tracer sets its options at the
// stop), for the guest side of the ptrace variants. Skips where ptrace is not allowed.
void BecomeTracee() {
  if (absl::Status s = ravel::ptrace::TraceMe(); !s.ok()) {
    if (absl::IsPermissionDenied(s)) ChildSkip(std::string(s.message()) + " (already traced, or ptrace not allowed here)");
    ChildFail(std::string(s.message()));
  }
  if (raise(SIGSTOP) != 0) ChildFail(WithErrno("raise(SIGSTOP)"));
}

// Runs `guest` in a child that calls BecomeTracee first, and traces it as ravel does
// (PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL): at every stop the tracer waits for it and
// PTRACE_CONTs, passing on the signal of a signal-delivery-stop (so that a SIGSYS reaches the
// guest's handler) and no signal after an event stop. It counts the stops whose status >> 8
// is `counted` (an event stop's SIGTRAP | event << 8, or a signal-delivery-stop's signal
// number) and fails unless there was one per call, `what` naming them in the message.
Outcome TraceChild(const Config& config, bool one_cpu, bool poll, const std::function<void()>& guest, int counted,
                   const std::string& what) {
  ScopedPin pin(one_cpu, config.cpu);  // the child inherits it
  if (!pin.ok()) return Failed(WithErrno("pinning the tracer"));
  ChildProcess child;
  const bool started = child.Start([&] {
    BecomeTracee();
    guest();
  });
  if (!started) return Failed(WithErrno("fork"));
  const pid_t pid = child.pid();
  int status;
  if (WaitChild(pid, &status) < 0) return Failed(WithErrno("waitpid"));
  if (!WIFSTOPPED(status)) {  // it ended before its first stop, and its report says why
    child.Reaped(status);
    return child.Finish(config.repeat);
  }
  if (WSTOPSIG(status) != SIGSTOP) return Failed("first stop of the child: signal " + std::to_string(WSTOPSIG(status)));
  const intptr_t options = PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;
  if (absl::Status s = ravel::ptrace::SetOptions(pid, options); !s.ok()) return Failed(std::string(s.message()));
  long stops = 0;
  int signal_to_deliver = 0;  // none: the first resume swallows the SIGSTOP
  for (;;) {
    if (absl::Status s = ravel::ptrace::Cont(pid, signal_to_deliver); !s.ok()) return Failed(std::string(s.message()));
    if ((poll ? PollThenWait(pid, &status) : WaitChild(pid, &status)) < 0) return Failed(WithErrno("waitpid"));
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      child.Reaped(status);
      break;
    }
    if (!WIFSTOPPED(status)) return Failed("unexpected wait status " + std::to_string(status));
    if (status >> 8 == counted) ++stops;
    // No event bits: a signal-delivery-stop (a PTRACE_TRACEME tracee reports a group-stop the
    // same way, but only for a stopping signal, which the guest does not get), whose signal the
    // guest must receive. An event stop has no signal to deliver.
    signal_to_deliver = status >> 16 == 0 ? WSTOPSIG(status) : 0;
  }
  Outcome outcome = child.Finish(config.repeat);
  if (outcome.kind == Outcome::kOk && stops != TotalCalls(config)) {
    return Failed(std::to_string(stops) + " " + what + " for " + std::to_string(TotalCalls(config)) + " calls");
  }
  return outcome;
}

Outcome PtraceRetTrace(const Config& config, bool one_cpu, bool poll) {
  return TraceChild(
      config, one_cpu, poll,
      [&] {
        const long parent = RawGetppid();
        InstallFilterOrExit(SECCOMP_RET_TRACE, 0, "SECCOMP_RET_TRACE");
        RunRounds(config, [&] { return TimeCalls(config.calls, parent, [] { return RawGetppid(); }); });
      },
      SIGTRAP | (PTRACE_EVENT_SECCOMP << 8), "seccomp stops");
}

// ---- 4: seccomp user notification, answered by a supervisor thread in this process. ----

// Passes a file descriptor over a Unix socket.
bool SendFd(int socket, int fd) {
  char byte = 'f';
  iovec data = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message = {};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(header), &fd, sizeof(int));
  ssize_t sent;
  while ((sent = sendmsg(socket, &message, 0)) < 0 && errno == EINTR) {
  }
  return sent == 1;
}

// The file descriptor SendFd passed, or -1 with errno (EPIPE if the sender closed its end).
int ReceiveFd(int socket) {
  char byte;
  iovec data = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message = {};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ssize_t received;
  while ((received = recvmsg(socket, &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (received < 0) return -1;
  const cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (received == 0 || header == nullptr || header->cmsg_type != SCM_RIGHTS) {
    errno = EPIPE;
    return -1;
  }
  int fd;
  memcpy(&fd, CMSG_DATA(header), sizeof(int));
  return fd;
}

// What the supervisor thread shares with the main thread, which stops it once the child has
// exited: a notification receive blocks even when no task can notify any more, so the main
// thread sets `stop` and interrupts it with SIGUSR1 (whose handler does nothing and is not
// SA_RESTART) until `finished`.
struct SupervisorState {
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};
  long notifications = 0;
  std::string error;  // what ended it early, if anything
};

void OnSigusr1(int) {}

// Answers every notification on `listener` with CONTINUE (the call then runs as usual).
void Supervise(int listener, pid_t child, std::optional<int> cpu, SupervisorState* state) {
  if (cpu.has_value() && !PinToCpu(*cpu)) {
    state->error = WithErrno("pinning the supervisor");
    kill(child, SIGKILL);  // nobody would answer its calls
  }
  while (state->error.empty() && !state->stop.load()) {
    seccomp_notif request;
    memset(&request, 0, sizeof(request));  // the kernel insists
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;  // told to stop, or the caller is gone
      state->error = WithErrno("SECCOMP_IOCTL_NOTIF_RECV");
      kill(child, SIGKILL);
      break;
    }
    ++state->notifications;
    seccomp_notif_resp response;
    memset(&response, 0, sizeof(response));
    response.id = request.id;
    response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) != 0 && errno != ENOENT) {
      state->error = WithErrno("SECCOMP_IOCTL_NOTIF_SEND");
      kill(child, SIGKILL);
    }
  }
  state->finished.store(true);
}

Outcome UserNotif(const Config& config, bool one_cpu, bool sync_wake_up) {
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) return Failed(WithErrno("socketpair"));
  UniqueFd parent_end(sockets[0]);
  UniqueFd child_end(sockets[1]);
  ChildProcess child;
  const bool started = child.Start([&] {
    parent_end.Reset();
    if (one_cpu && !PinToCpu(config.cpu)) ChildFail(WithErrno("sched_setaffinity"));
    const long parent = RawGetppid();
    const int listener =
        InstallFilterOrExit(SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER, "SECCOMP_RET_USER_NOTIF");
    if (!SendFd(child_end.get(), listener)) ChildFail(WithErrno("sending the listener fd"));
    close(listener);
    char go;
    if (read(child_end.get(), &go, 1) != 1) _exit(1);  // the parent gave up, and says why
    RunRounds(config, [&] { return TimeCalls(config.calls, parent, [] { return RawGetppid(); }); });
  });
  if (!started) return Failed(WithErrno("fork"));
  child_end.Reset();
  UniqueFd listener(ReceiveFd(parent_end.get()));
  if (listener.get() < 0) {
    const std::string error = WithErrno("receiving the listener fd");
    parent_end.Reset();  // ends a child that waits for the go
    Outcome outcome = child.Finish(config.repeat);
    return outcome.kind == Outcome::kOk ? Failed(error) : outcome;
  }
  const unsigned long sync_flag = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
  if (sync_wake_up && ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, sync_flag) != 0) {
    const std::string message = WithErrno("SECCOMP_IOCTL_NOTIF_SET_FLAGS(SYNC_WAKE_UP)");
    if (errno == EINVAL || errno == ENOTTY) return Skipped(message + " (needs Linux 6.6)");
    return Failed(message);
  }

  SupervisorState state;
  std::thread supervisor;
  try {
    supervisor = std::thread(Supervise, listener.get(), child.pid(),
                             one_cpu ? std::optional<int>(config.cpu) : std::nullopt, &state);
  } catch (const std::system_error& e) {
    return Failed(std::string("starting the supervisor thread: ") + e.what());
  }
  std::string error;
  if (write(parent_end.get(), "g", 1) != 1) {
    error = WithErrno("telling the child to go");
    kill(child.pid(), SIGKILL);
  }
  int status;
  if (WaitChild(child.pid(), &status) < 0) {
    if (error.empty()) error = WithErrno("waitpid");
    kill(child.pid(), SIGKILL);  // the supervisor must not wait for it forever
  } else {
    child.Reaped(status);
  }
  state.stop.store(true);
  while (!state.finished.load()) {
    pthread_kill(supervisor.native_handle(), SIGUSR1);
    usleep(1000);
  }
  supervisor.join();
  if (!error.empty()) return Failed(error);
  if (!state.error.empty()) return Failed(state.error);
  Outcome outcome = child.Finish(config.repeat);
  if (outcome.kind == Outcome::kOk && state.notifications != TotalCalls(config)) {
    return Failed(std::to_string(state.notifications) + " notifications for " + std::to_string(TotalCalls(config)) +
                  " calls");
  }
  return outcome;
}

// ---- 5, 6: SIGSYS to an in-process handler that emulates the call. ----

// Emulates getppid: sets the return register that the interrupted code sees when the handler
// returns (the kernel resumes it after the syscall instruction, the call itself skipped).
void OnSigsysEmulate(int, siginfo_t* info, void* context) {
  static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RAX] =
      info->si_syscall == SYS_getppid ? kEmulated : -ENOSYS;
}

// The guest side of the RET_TRAP variants: a filter that traps getppid, a handler that
// emulates it.
void RetTrapGuest(const Config& config) {
  InstallSigsysHandler(OnSigsysEmulate);
  InstallFilterOrExit(SECCOMP_RET_TRAP, 0, "SECCOMP_RET_TRAP");
  RunRounds(config, [&] { return TimeCalls(config.calls, kEmulated, [] { return RawGetppid(); }); });
}

Outcome RetTrapSigsys(const Config& config) {
  return RunInChild(config, [&] { RetTrapGuest(config); });
}

// The selector byte of syscall user dispatch: while it says BLOCK, every syscall this thread
// makes is a SIGSYS instead.
volatile char g_selector = SYSCALL_DISPATCH_FILTER_ALLOW;

void OnSigsysDispatch(int signo, siginfo_t* info, void* context) {
  // First, so that the handler's own return (rt_sigreturn, from glibc's restorer) runs.
  g_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  OnSigsysEmulate(signo, info, context);
}

// The guest side of the syscall user dispatch variants: the selector blocks each measured
// call, a handler emulates it. Skips if the kernel has no syscall user dispatch.
void UserDispatchGuest(const Config& config) {
  InstallSigsysHandler(OnSigsysDispatch);
  // No always-allowed code range (offset and length 0): the selector alone decides.
  if (prctl(PR_SET_SYSCALL_USER_DISPATCH, static_cast<unsigned long>(PR_SYS_DISPATCH_ON), 0UL, 0UL,
            reinterpret_cast<unsigned long>(const_cast<char*>(&g_selector))) != 0) {
    ChildSkip(WithErrno("prctl(PR_SET_SYSCALL_USER_DISPATCH)"));
  }
  RunRounds(config, [&] {
    return TimeCalls(config.calls, kEmulated, [] {
      g_selector = SYSCALL_DISPATCH_FILTER_BLOCK;  // the handler sets it back to ALLOW
      return RawGetppid();
    });
  });
}

Outcome UserDispatchSigsys(const Config& config) {
  return RunInChild(config, [&] { UserDispatchGuest(config); });
}

// ---- 5p, 6p: the same SIGSYS handlers in a guest that is ptraced, as ravel's guests are. ----

// Under ptrace every signal but SIGKILL first stops the tracee in a signal-delivery-stop; the
// tracer resumes it with PTRACE_CONT passing SIGSYS, and only then does the handler run. So an
// in-guest runtime that relies on SIGSYS pays a tracer round trip per call anyway. The tracer
// counts the SIGSYS signal-delivery-stops (one per call) and waits for them with a blocking
// waitpid, both sides on any CPU, as in the first RET_TRACE variant.
Outcome PtracedRetTrapSigsys(const Config& config) {
  return TraceChild(config, false, false, [&] { RetTrapGuest(config); }, SIGSYS, "SIGSYS signal-delivery-stops");
}

Outcome PtracedUserDispatchSigsys(const Config& config) {
  return TraceChild(config, false, false, [&] { UserDispatchGuest(config); }, SIGSYS,
                    "SIGSYS signal-delivery-stops");
}

// ---- 7, 8: two threads on one CPU passing a baton, with and without SIGSYS. ----

// The baton: the index (0 or 1) of the thread allowed to run. Its holder passes it by storing
// the other index and waking the futex; a thread waits for it by sleeping on the futex while
// the word names the other thread.
std::atomic<uint32_t> g_baton{0};
static_assert(sizeof(g_baton) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free);
thread_local uint32_t t_me = 0;       // this thread's index
bool g_switch_at_every_call = false;  // the in-guest hand-off's decision at every call

void Futex(int op, uint32_t value) {
  if (syscall(SYS_futex, &g_baton, op, value, nullptr, nullptr, 0) < 0 && errno != EAGAIN && errno != EINTR) {
    ChildFail(WithErrno("futex"));
  }
}

void WaitForBaton(uint32_t me) {
  while (g_baton.load(std::memory_order_acquire) != me) Futex(FUTEX_WAIT_PRIVATE, 1 - me);
}

void PassBaton(uint32_t me) {
  g_baton.store(1 - me, std::memory_order_release);
  Futex(FUTEX_WAKE_PRIVATE, 1);
}

// Runs body() on this thread and on a second one, each holding the baton while it runs (the
// baton starts with this thread; each passes it on for good when done), and returns the
// microseconds per event for `events` events. Thread creation is in the time, a few tens of
// microseconds against a round's tens of milliseconds.
template <typename Body>
double TimeTwoThreads(long events, Body body) {
  auto run = [&](uint32_t me) {
    t_me = me;
    WaitForBaton(me);
    body(me);
    PassBaton(me);
  };
  g_baton.store(0);
  const double start = Now();
  std::thread other(run, 1);
  run(0);
  other.join();
  return (Now() - start) * 1e6 / static_cast<double>(events);
}

// The in-guest hand-off's SIGSYS handler: the point where a fast path in the guest decides
// which thread runs next, here "the other one" at every call or "this one" at every call.
void OnSigsysHandOff(int signo, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (g_switch_at_every_call) {
    PassBaton(t_me);
    WaitForBaton(t_me);
  }
  errno = saved_errno;
  OnSigsysEmulate(signo, info, context);
}

Outcome InGuestHandOff(const Config& config, bool switch_at_every_call) {
  return RunInChild(config, [&] {
    if (!PinToCpu(config.cpu)) ChildFail(WithErrno("sched_setaffinity"));
    g_switch_at_every_call = switch_at_every_call;
    InstallSigsysHandler(OnSigsysHandOff);
    InstallFilterOrExit(SECCOMP_RET_TRAP, 0, "SECCOMP_RET_TRAP");  // before the second thread exists
    RunRounds(config, [&] {
      return TimeTwoThreads(2L * config.calls, [&](uint32_t) {
        for (int i = 0; i < config.calls; ++i) {
          const long got = RawGetppid();
          if (got != kEmulated) ChildFail("getppid returned " + std::to_string(got) + " instead of the emulated value");
        }
      });
    });
  });
}

Outcome FutexPingPong(const Config& config) {
  return RunInChild(config, [&] {
    if (!PinToCpu(config.cpu)) ChildFail(WithErrno("sched_setaffinity"));
    RunRounds(config, [&] {
      return TimeTwoThreads(2L * config.calls, [&](uint32_t me) {
        for (int i = 0; i < config.calls; ++i) {
          PassBaton(me);
          WaitForBaton(me);
        }
      });
    });
  });
}

// ---- The run and the table. ----

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown CPU";
}

std::string FormatRatio(double ratio) {
  char text[32];
  snprintf(text, sizeof(text), ratio >= 100 ? "%.0f" : ratio >= 10 ? "%.1f" : ratio >= 0.1 ? "%.2f" : "%.3f", ratio);
  return text;
}

bool ParsePositive(const char* text, int limit, int* value) {
  char* end;
  errno = 0;
  const long parsed = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || parsed < 1 || parsed > limit) return false;
  *value = static_cast<int>(parsed);
  return true;
}

[[noreturn]] void Usage() {
  fprintf(stderr, "usage: handoff_mechanisms [--calls N] [--repeat R]  (R at most %d)\n", kMaxRepeat);
  exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--calls" && i + 1 < argc) {
      if (!ParsePositive(argv[++i], 100000000, &config.calls)) Usage();
    } else if (flag == "--repeat" && i + 1 < argc) {
      if (!ParsePositive(argv[++i], kMaxRepeat, &config.repeat)) Usage();
    } else {
      Usage();
    }
  }

  // The one-CPU variants use the last CPU this process may run on.
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) {
    perror("sched_getaffinity");
    return 1;
  }
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &cpus)) config.cpu = cpu;
  }

  struct sigaction interrupt = {};
  interrupt.sa_handler = OnSigusr1;  // no SA_RESTART: see SupervisorState
  sigemptyset(&interrupt.sa_mask);
  if (sigaction(SIGUSR1, &interrupt, nullptr) != 0) {
    perror("sigaction(SIGUSR1)");
    return 1;
  }

  utsname system;
  if (uname(&system) != 0) {
    perror("uname");
    return 1;
  }
  printf("Variants marked (ptraced) run under a tracer and pay a signal-delivery-stop per call.\n");
  printf("CPU: %s; kernel: %s %s\n", CpuModel().c_str(), system.sysname, system.release);
  printf("%d calls per round, median of %d rounds after a warm-up round; %d CPUs usable, "
         "one-CPU variants on CPU %d.\n\n",
         config.calls, config.repeat, CPU_COUNT(&cpus), config.cpu);

  struct Variant {
    std::string name;
    std::function<Outcome()> run;
  };
  const std::vector<Variant> variants = {
      {"native getppid", [&] { return Native(config); }},
      {"seccomp RET_ALLOW", [&] { return SeccompAllow(config); }},
      {"ptrace + RET_TRACE, blocking waitpid (any CPU)", [&] { return PtraceRetTrace(config, false, false); }},
      {"ptrace + RET_TRACE, polls then waitpid, as ravel (any CPU)",
       [&] { return PtraceRetTrace(config, false, true); }},
      {"ptrace + RET_TRACE, blocking waitpid (one CPU)", [&] { return PtraceRetTrace(config, true, false); }},
      {"user notif, CONTINUE (any CPU)", [&] { return UserNotif(config, false, false); }},
      {"user notif + SYNC_WAKE_UP, CONTINUE (any CPU)", [&] { return UserNotif(config, false, true); }},
      {"user notif, CONTINUE (one CPU)", [&] { return UserNotif(config, true, false); }},
      {"user notif + SYNC_WAKE_UP, CONTINUE (one CPU)", [&] { return UserNotif(config, true, true); }},
      {"RET_TRAP SIGSYS, emulated in handler", [&] { return RetTrapSigsys(config); }},
      {"syscall user dispatch SIGSYS, emulated in handler", [&] { return UserDispatchSigsys(config); }},
      {"RET_TRAP SIGSYS, emulated in handler (ptraced)", [&] { return PtracedRetTrapSigsys(config); }},
      {"syscall user dispatch SIGSYS, emulated in handler (ptraced)",
       [&] { return PtracedUserDispatchSigsys(config); }},
      {"in-guest hand-off: RET_TRAP + futex switch (one CPU)", [&] { return InGuestHandOff(config, true); }},
      {"in-guest hand-off: RET_TRAP, keeps the baton (one CPU)", [&] { return InGuestHandOff(config, false); }},
      {"futex ping-pong floor, per hand-off (one CPU)", [&] { return FutexPingPong(config); }},
  };
  constexpr size_t kNative = 0;
  constexpr size_t kPtrace = 2;  // what ravel does today

  std::vector<Outcome> outcomes;
  for (size_t i = 0; i < variants.size(); ++i) {
    fprintf(stderr, "[%zu/%zu] %s\n", i + 1, variants.size(), variants[i].name.c_str());
    outcomes.push_back(variants[i].run());
  }

  printf("| variant | us per event | ratio to native | ratio to ptrace RET_TRACE |\n");
  printf("|---|---:|---:|---:|\n");
  bool any_failed = false;
  for (size_t i = 0; i < variants.size(); ++i) {
    const Outcome& o = outcomes[i];
    if (o.kind != Outcome::kOk) {
      any_failed |= o.kind == Outcome::kFailed;
      printf("| %s | %s | | |\n", variants[i].name.c_str(), o.kind == Outcome::kSkipped ? "skipped" : "FAILED");
      continue;
    }
    const auto ratio = [&](size_t base) {
      return outcomes[base].kind == Outcome::kOk ? FormatRatio(o.us / outcomes[base].us) : std::string("-");
    };
    printf("| %s | %.3f | %s | %s |\n", variants[i].name.c_str(), o.us, ratio(kNative).c_str(), ratio(kPtrace).c_str());
  }
  bool first_note = true;
  for (size_t i = 0; i < variants.size(); ++i) {
    if (outcomes[i].kind == Outcome::kOk) continue;
    printf("%s%s %s: %s\n", first_note ? "\n" : "", outcomes[i].kind == Outcome::kSkipped ? "skipped" : "FAILED",
           variants[i].name.c_str(), outcomes[i].reason.c_str());
    first_note = false;
  }
  return any_failed ? 1 : 0;
}
