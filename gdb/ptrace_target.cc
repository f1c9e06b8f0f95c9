#include "gdb/ptrace_target.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "intercept/ptrace.h"

namespace ravel::gdb {
namespace {

constexpr char kInt3 = '\xcc';

absl::Status ErrnoError(absl::string_view what, pid_t pid) {
  return absl::InternalError(absl::StrCat(what, "(pid ", pid, "): ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PtraceTarget>> PtraceTarget::Spawn(const std::string& path) {
  const pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork", 0);
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    (void)ptrace::TraceMe();  // (a failure shows as no SIGTRAP at the exec)
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::unique_ptr<PtraceTarget> target(new PtraceTarget(pid, -1));
  absl::StatusOr<StopReport> first = target->Wait();
  if (!first.ok()) return first.status();
  if (first->kind != StopReport::kSignal || first->signal != SIGTRAP) {
    return absl::InternalError(absl::StrCat("exec of ", path, " did not stop with SIGTRAP"));
  }
  if (absl::Status s = ptrace::SetOptions(pid, PTRACE_O_EXITKILL); !s.ok()) return s;
  target->mem_fd_ = open(absl::StrCat("/proc/", pid, "/mem").c_str(), O_RDWR | O_CLOEXEC);
  if (target->mem_fd_ < 0) return ErrnoError("open /proc/pid/mem", pid);
  return target;
}

PtraceTarget::~PtraceTarget() { Kill(); }

void PtraceTarget::Kill() {
  if (mem_fd_ >= 0) close(mem_fd_);
  mem_fd_ = -1;
  if (!alive_) return;
  kill(pid_, SIGKILL);
  int status;
  while (waitpid(pid_, &status, __WALL) < 0 && errno == EINTR) {
  }
  alive_ = false;
}

absl::StatusOr<StopReport> PtraceTarget::Wait() {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(kWaitLimit);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG | __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("waitpid", pid_);
    if (r == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        Kill();
        return absl::DeadlineExceededError("the guest did not stop in time; killed");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (WIFEXITED(status)) {
      alive_ = false;
      return StopReport{StopReport::kExited, 0, 0, WEXITSTATUS(status)};
    }
    if (WIFSIGNALED(status)) {
      alive_ = false;
      return StopReport{StopReport::kKilled, 0, WTERMSIG(status)};
    }
    return StopReport{StopReport::kSignal, pid_, WSTOPSIG(status)};
  }
}

absl::StatusOr<StopReport> PtraceTarget::StepOnce(int signal) {
  absl::StatusOr<user_regs_struct> regs = GetRegs(pid_);
  if (!regs.ok()) return regs.status();
  const auto planted = breakpoints_.find(regs->rip);
  if (planted != breakpoints_.end()) {
    if (absl::Status s = Poke(planted->first, planted->second); !s.ok()) return s;
  }
  if (absl::Status s = ptrace::SingleStep(pid_, signal); !s.ok()) return s;
  absl::StatusOr<StopReport> stop = Wait();
  if (planted != breakpoints_.end() && alive_) {
    if (absl::Status s = Poke(planted->first, kInt3); !s.ok()) return s;
  }
  return stop;
}

absl::StatusOr<StopReport> PtraceTarget::Run(const Resume& resume) {
  if (!alive_) return absl::FailedPreconditionError("the guest has exited");
  int signal = resume.signal;
  if (resume.kind == Resume::kStep) return StepOnce(signal);
  if (resume.kind != Resume::kContinue) return absl::InvalidArgumentError("not a resume");
  absl::StatusOr<user_regs_struct> regs = GetRegs(pid_);
  if (!regs.ok()) return regs.status();
  if (breakpoints_.count(regs->rip)) {
    // Execute the real instruction under our int3 first.
    absl::StatusOr<StopReport> stepped = StepOnce(signal);
    if (!stepped.ok()) return stepped;
    if (stepped->kind != StopReport::kSignal || stepped->signal != SIGTRAP) return stepped;
    signal = 0;
  }
  if (absl::Status s = ptrace::Cont(pid_, signal); !s.ok()) return s;
  absl::StatusOr<StopReport> stop = Wait();
  if (!stop.ok() || stop->kind != StopReport::kSignal || stop->signal != SIGTRAP) return stop;
  regs = GetRegs(pid_);
  if (!regs.ok()) return regs.status();
  if (breakpoints_.count(regs->rip - 1)) {
    regs->rip -= 1;  // back onto the int3, as gdb expects with swbreak
    if (absl::Status s = SetRegs(pid_, *regs); !s.ok()) return s;
    stop->breakpoint = true;
  }
  return stop;
}

std::vector<pid_t> PtraceTarget::Threads() {
  if (!alive_) return {};
  return {pid_};
}

absl::StatusOr<user_regs_struct> PtraceTarget::GetRegs(pid_t tid) {
  absl::StatusOr<Registers> regs = ptrace::GetRegs(tid);
  if (!regs.ok()) return regs.status();
  return regs->raw();
}

absl::Status PtraceTarget::SetRegs(pid_t tid, const user_regs_struct& regs) {
  return ptrace::SetRegs(tid, Registers(regs));
}

absl::StatusOr<user_fpregs_struct> PtraceTarget::GetFpRegs(pid_t tid) {
  return ptrace::GetFpRegs(tid);
}

absl::Status PtraceTarget::SetFpRegs(pid_t tid, const user_fpregs_struct& fpregs) {
  return ptrace::SetFpRegs(tid, fpregs);
}

absl::StatusOr<std::string> PtraceTarget::ReadMemory(uint64_t addr, size_t len) {
  if (addr > static_cast<uint64_t>(INT64_MAX)) return absl::OutOfRangeError("kernel address");
  std::string bytes(len, '\0');
  const ssize_t n = pread(mem_fd_, bytes.data(), len, static_cast<off_t>(addr));
  if (n < 0) return ErrnoError("pread /proc/pid/mem", pid_);
  if (n == 0) return absl::OutOfRangeError("unreadable");
  bytes.resize(static_cast<size_t>(n));
  // Show the original bytes under planted breakpoints.
  for (auto it = breakpoints_.lower_bound(addr); it != breakpoints_.end() && it->first < addr + n;
       ++it) {
    bytes[it->first - addr] = it->second;
  }
  return bytes;
}

absl::Status PtraceTarget::WriteMemory(uint64_t addr, absl::string_view data) {
  if (addr > static_cast<uint64_t>(INT64_MAX)) return absl::OutOfRangeError("kernel address");
  std::string bytes(data);
  // Keep planted breakpoints planted; what was written becomes their original byte.
  for (auto it = breakpoints_.lower_bound(addr);
       it != breakpoints_.end() && it->first < addr + bytes.size(); ++it) {
    it->second = bytes[it->first - addr];
    bytes[it->first - addr] = kInt3;
  }
  const ssize_t n = pwrite(mem_fd_, bytes.data(), bytes.size(), static_cast<off_t>(addr));
  if (n != static_cast<ssize_t>(bytes.size())) return ErrnoError("pwrite /proc/pid/mem", pid_);
  return absl::OkStatus();
}

absl::Status PtraceTarget::Poke(uint64_t addr, char byte) {
  if (pwrite(mem_fd_, &byte, 1, static_cast<off_t>(addr)) != 1) {
    return ErrnoError("pwrite /proc/pid/mem", pid_);
  }
  return absl::OkStatus();
}

absl::Status PtraceTarget::InsertBreakpoint(uint64_t addr) {
  if (breakpoints_.count(addr)) return absl::OkStatus();
  absl::StatusOr<std::string> original = ReadMemory(addr, 1);
  if (!original.ok()) return original.status();
  if (absl::Status s = Poke(addr, kInt3); !s.ok()) return s;
  breakpoints_[addr] = (*original)[0];
  return absl::OkStatus();
}

absl::Status PtraceTarget::RemoveBreakpoint(uint64_t addr) {
  const auto it = breakpoints_.find(addr);
  if (it == breakpoints_.end()) return absl::OkStatus();
  if (absl::Status s = Poke(addr, it->second); !s.ok()) return s;
  breakpoints_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::string> PtraceTarget::Auxv() {
  std::ifstream in(absl::StrCat("/proc/", pid_, "/auxv"), std::ios::binary);
  if (!in) return absl::NotFoundError("no auxv");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string PtraceTarget::ExecFile() {
  char path[4096];
  const ssize_t n = readlink(absl::StrCat("/proc/", pid_, "/exe").c_str(), path, sizeof(path));
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string();
}

}  // namespace ravel::gdb
