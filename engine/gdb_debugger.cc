#include "engine/gdb_debugger.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/proc.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "intercept/guest.h"
#include "intercept/memory.h"

namespace ravel {
namespace {

constexpr uint8_t kInt3 = 0xcc;
// How long the run waits for gdb to connect at its first stop.
constexpr absl::Duration kAcceptTimeout = absl::Minutes(10);

}  // namespace

// gdb's view of the debugged process, through the tracer's Control (every thread is
// stopped while gdb is served) and /proc/PID/mem, with the debugger's int3s hidden.
class GdbDebugger::Target : public gdb::Target {
 public:
  explicit Target(GdbDebugger& d) : d_(d) {}

  std::vector<pid_t> Threads() override {
    std::vector<pid_t> live;
    for (pid_t tid : d_.thread_order_) {
      if (d_.threads_.count(tid) != 0) live.push_back(tid);
    }
    return live;
  }
  pid_t Pid() override { return d_.pid_; }
  // Through the tracer: a thread at a stop of ravel's shows the registers it will go on
  // with, not those of ravel's work on its behalf (injections, the trampoline).
  absl::StatusOr<user_regs_struct> GetRegs(pid_t tid) override {
    absl::StatusOr<Registers> regs = d_.control_->ThreadRegisters(tid);
    if (!regs.ok()) return regs.status();
    return regs->raw();
  }
  absl::Status SetRegs(pid_t tid, const user_regs_struct& regs) override {
    return d_.control_->SetThreadRegisters(tid, Registers(regs));
  }
  absl::StatusOr<user_fpregs_struct> GetFpRegs(pid_t tid) override { return d_.control_->ThreadFpRegisters(tid); }
  absl::Status SetFpRegs(pid_t tid, const user_fpregs_struct& regs) override {
    return d_.control_->SetThreadFpRegisters(tid, regs);
  }
  absl::StatusOr<std::string> ReadMemory(uint64_t addr, size_t len) override {
    std::string bytes(len, '\0');
    GuestMemory mem(d_.pid_);
    const size_t got = mem.Read(addr, bytes.data(), len);
    if (got == 0 && len > 0) return absl::NotFoundError(absl::StrFormat("cannot read memory at 0x%x", addr));
    bytes.resize(got);
    // gdb sees the original bytes under ravel's int3s.
    auto hide = [&](uint64_t at, uint8_t saved) {
      if (at >= addr && at < addr + bytes.size()) bytes[at - addr] = static_cast<char>(saved);
    };
    for (const auto& [at, saved] : d_.breakpoints_) hide(at, saved);
    if (d_.temp_ != Temp::kNone) hide(d_.temp_addr_, d_.temp_saved_);
    return bytes;
  }
  absl::Status WriteMemory(uint64_t addr, absl::string_view bytes) override {
    std::string data(bytes);
    // A byte under an int3 becomes the int3's saved byte; the int3 stays.
    for (size_t i = 0; i < data.size(); ++i) {
      auto it = d_.breakpoints_.find(addr + i);
      if (it != d_.breakpoints_.end()) {
        it->second = static_cast<uint8_t>(data[i]);
        data[i] = static_cast<char>(kInt3);
      }
    }
    GuestMemory mem(d_.pid_);
    return mem.Poke(RemotePtr<uint8_t>(addr), reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  absl::Status InsertBreakpoint(uint64_t addr) override {
    if (d_.breakpoints_.count(addr) != 0) return absl::OkStatus();
    GuestMemory mem(d_.pid_);
    uint8_t saved = 0;
    if (absl::Status s = mem.Read(RemotePtr<uint8_t>(addr), saved); !s.ok()) return s;
    if (d_.temp_ != Temp::kNone && addr == d_.temp_addr_) saved = d_.temp_saved_;
    if (absl::Status s = mem.Poke(RemotePtr<uint8_t>(addr), kInt3); !s.ok()) return s;
    d_.breakpoints_[addr] = saved;
    if (d_.temp_ != Temp::kNone && addr == d_.temp_addr_) d_.temp_saved_ = kInt3;  // taken over by gdb's
    return absl::OkStatus();
  }
  absl::Status RemoveBreakpoint(uint64_t addr) override {
    auto it = d_.breakpoints_.find(addr);
    if (it == d_.breakpoints_.end()) return absl::OkStatus();
    GuestMemory mem(d_.pid_);
    const uint8_t saved = it->second;
    d_.breakpoints_.erase(it);
    if (d_.replant_ == addr) d_.replant_ = 0;
    if (d_.temp_ != Temp::kNone && addr == d_.temp_addr_) {
      d_.temp_saved_ = saved;  // the temporary one stays planted
      return absl::OkStatus();
    }
    return mem.Poke(RemotePtr<uint8_t>(addr), saved);
  }
  absl::StatusOr<std::string> Auxv() override { return ReadProcAuxv(d_.pid_); }
  std::string ExecFile() override { return d_.executable_; }

 private:
  GdbDebugger& d_;
};

GdbDebugger::GdbDebugger(Scheduler& scheduler, gdb::Server& server, std::string executable)
    : scheduler_(scheduler), server_(server), executable_(std::move(executable)),
      target_(std::make_unique<Target>(*this)) {}

GdbDebugger::~GdbDebugger() = default;

SyscallResult GdbDebugger::OnSyscall(Guest& guest, const Syscall& call) {
  last_running_ = guest.tid();
  return scheduler_.OnSyscall(guest, call);
}

void GdbDebugger::OnThreadStart(Guest& guest) {
  if (guest.is_initial_thread()) pid_ = guest.pid();
  if (guest.pid() == pid_ && threads_.insert(guest.tid()).second) thread_order_.push_back(guest.tid());
  scheduler_.OnThreadStart(guest);
}

void GdbDebugger::OnThreadExit(Guest& guest, int status) {
  // An exiting thread has no registers to show; the first stays listed while the process
  // lives (gdb names the process by it).
  if (guest.tid() != pid_) threads_.erase(guest.tid());
  scheduler_.OnThreadExit(guest, status);
}

void GdbDebugger::OnThreadGone(pid_t tid) {
  threads_.erase(tid);
  scheduler_.OnThreadGone(tid);
}

void GdbDebugger::OnProcessExit(pid_t pid, int status) {
  scheduler_.OnProcessExit(pid, status);
  if (pid != pid_) return;
  threads_.clear();
  if (!Active() || !server_.connected()) return;
  gdb::StopReport stop;
  if (WIFSIGNALED(status)) {
    stop.kind = gdb::StopReport::kKilled;
    stop.signal = WTERMSIG(status);
  } else {
    stop.kind = gdb::StopReport::kExited;
    stop.exit_status = WEXITSTATUS(status);
  }
  stop.tid = pid;
  (void)server_.Serve(stop, *target_);
  detached_ = true;
  server_.Disconnect();
}

void GdbDebugger::OnPostExec(Guest& guest) {
  scheduler_.OnPostExec(guest);
  if (started_ || !Active() || guest.pid() != pid_) return;
  // The first instruction of the new image stops for gdb: a temporary int3 there, taken
  // at once (a signal stop, where gdb may also single-step).
  absl::StatusOr<Registers> regs = guest.GetRegisters();
  if (!regs.ok()) return;
  GuestMemory& mem = guest.memory();
  const RemotePtr<uint8_t> at(regs->ip());
  if (!mem.Read(at, temp_saved_).ok() || !mem.Poke(at, kInt3).ok()) return;
  started_ = true;
  temp_addr_ = regs->ip();
  temp_ = Temp::kStart;
}

void GdbDebugger::OnInterrupt(Guest& guest) {
  if (Active() && interrupt_tid_ == guest.tid()) {
    interrupt_tid_ = 0;
    gdb::StopReport stop;
    stop.tid = guest.tid();
    stop.signal = SIGINT;
    (void)Hold(guest, stop);  // gdb's Ctrl-C: no signal goes to the guest
  }
  scheduler_.OnInterrupt(guest);
}

int GdbDebugger::OnSignal(Guest& guest, const siginfo_t& info) {
  if (Active() && info.si_signo == SIGTRAP && info.si_code == SI_KERNEL) {
    absl::StatusOr<Registers> regs = guest.GetRegisters();
    if (regs.ok()) {
      const uint64_t addr = regs->ip() - 1;
      Registers at = *regs;
      at.set_ip(addr);
      GuestMemory& mem = guest.memory();
      if (temp_ != Temp::kNone && addr == temp_addr_ && guest.pid() == pid_) {
        (void)mem.Poke(RemotePtr<uint8_t>(addr), temp_saved_);
        (void)guest.SetRegisters(at);
        const Temp why = temp_;
        temp_ = Temp::kNone;
        if (replant_ != 0) {
          (void)mem.Poke(RemotePtr<uint8_t>(replant_), kInt3);
          replant_ = 0;
        }
        if (breakpoints_.count(addr) != 0) (void)mem.Poke(RemotePtr<uint8_t>(addr), kInt3);  // gdb's own is here too
        if (why == Temp::kStepOver) return 0;
        gdb::StopReport stop;
        stop.tid = guest.tid();
        stop.signal = SIGTRAP;
        stop.breakpoint = breakpoints_.count(addr) != 0;
        return Hold(guest, stop);
      }
      if (auto it = breakpoints_.find(addr); it != breakpoints_.end()) {
        (void)guest.SetRegisters(at);
        if (guest.pid() != pid_) {
          // A child forked with gdb's int3s in its copy of memory: take this one out.
          (void)mem.Poke(RemotePtr<uint8_t>(addr), it->second);
          return 0;
        }
        gdb::StopReport stop;
        stop.tid = guest.tid();
        stop.signal = SIGTRAP;
        stop.breakpoint = true;
        return Hold(guest, stop);
      }
    }
  }
  const int signal = scheduler_.OnSignal(guest, info);
  // A signal for the program itself (a crash, an abort, a kill): gdb sees it first, and
  // decides whether it is delivered (its `handle` settings).
  if (signal != 0 && signal != SIGCHLD && Active() && guest.pid() == pid_ && server_.connected()) {
    gdb::StopReport stop;
    stop.tid = guest.tid();
    stop.signal = signal;
    return Hold(guest, stop);
  }
  return signal;
}

void GdbDebugger::OnTick(Control& control) {
  scheduler_.OnTick(control);
  if (!Active() || !server_.connected()) return;
  absl::StatusOr<bool> interrupt = server_.PollInterrupt();
  if (!interrupt.ok()) {
    problem_ = std::string(interrupt.status().message());
    detached_ = true;  // gdb has gone: the run goes on without it
    return;
  }
  if (*interrupt) {
    // The thread that made the latest syscall is the likeliest to be running; before any,
    // the first thread.
    interrupt_tid_ = last_running_ != 0 ? last_running_ : pid_;
    control.Interrupt(interrupt_tid_);
  }
}

int GdbDebugger::Hold(Guest& guest, gdb::StopReport stop) {
  if (!Active()) return stop.signal == SIGTRAP ? 0 : stop.signal;
  control_ = &guest.control();
  if (!server_.connected()) {
    const double waited = MonotonicSeconds();
    absl::Status accepted = server_.Accept(kAcceptTimeout);
    scheduler_.PauseClocks(MonotonicSeconds() - waited);
    if (!accepted.ok()) {
      problem_ = absl::StrCat("gdb did not connect: ", accepted.message());
      Detach();
      return 0;
    }
  }
  while (true) {
    const double held = MonotonicSeconds();
    absl::StatusOr<gdb::Resume> resume = server_.Serve(stop, *target_);
    scheduler_.PauseClocks(MonotonicSeconds() - held);
    if (!resume.ok()) {
      problem_ = absl::StrCat("gdb connection lost: ", resume.status().message());
      Detach();
      return 0;
    }
    switch (resume->kind) {
      case gdb::Resume::kDetach:
        Detach();
        return 0;
      case gdb::Resume::kKill:
        killed_ = true;
        Detach();
        guest.control().KillGuest();
        return 0;
      case gdb::Resume::kStep:
        // Only the stopped thread can step: the others are parked at their points.
        if (!StepOver(guest, Temp::kStep)) return 0;  // stops at the temporary int3
        stop = gdb::StopReport{};
        stop.tid = guest.tid();
        stop.signal = SIGTRAP;
        continue;
      case gdb::Resume::kContinue: {
        absl::StatusOr<Registers> regs = guest.GetRegisters();
        if (regs.ok() && breakpoints_.count(regs->ip()) != 0) (void)StepOver(guest, Temp::kStepOver);
        // The stop's own SIGTRAP is gdb's; another signal goes on when gdb passes it.
        return resume->signal;
      }
    }
  }
}

bool GdbDebugger::StepOver(Guest& guest, Temp why) {
  absl::StatusOr<Registers> regs = guest.GetRegisters();
  if (!regs.ok()) return true;
  const uint64_t rip = regs->ip();
  GuestMemory& mem = guest.memory();
  uint8_t code[2] = {0, 0};
  (void)mem.ReadArray(RemotePtr<uint8_t>(rip), code, 2);
  auto bp = breakpoints_.find(rip);
  if (bp != breakpoints_.end()) code[0] = bp->second;
  if (code[0] == 0x0f && code[1] == 0x05) {
    // A syscall instruction is a scheduling point; single-stepping it would meet the
    // scheduler's stop. Run to the next instruction instead.
    if (bp != breakpoints_.end()) {
      (void)mem.Poke(RemotePtr<uint8_t>(rip), bp->second);
      replant_ = rip;
    }
    temp_addr_ = rip + 2;
    const RemotePtr<uint8_t> at(temp_addr_);
    if (!mem.Read(at, temp_saved_).ok() || !mem.Poke(at, kInt3).ok()) return true;
    temp_ = why;
    return false;
  }
  if (bp != breakpoints_.end()) (void)mem.Poke(RemotePtr<uint8_t>(rip), bp->second);
  (void)guest.SingleStep();
  if (bp != breakpoints_.end()) (void)mem.Poke(RemotePtr<uint8_t>(rip), kInt3);
  return true;
}

void GdbDebugger::Detach() {
  if (detached_) return;
  detached_ = true;
  if (pid_ != 0 && !threads_.empty()) {
    GuestMemory mem(pid_);
    for (const auto& [addr, saved] : breakpoints_) (void)mem.Poke(RemotePtr<uint8_t>(addr), saved);
    if (temp_ != Temp::kNone) (void)mem.Poke(RemotePtr<uint8_t>(temp_addr_), temp_saved_);
    if (replant_ != 0) replant_ = 0;
  }
  breakpoints_.clear();
  temp_ = Temp::kNone;
  server_.Disconnect();
}

}  // namespace ravel
