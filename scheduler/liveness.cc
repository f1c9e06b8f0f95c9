#include "scheduler/liveness.h"

#include <time.h>
#include <xxhash.h>

#include <algorithm>
#include <iterator>

#include "base/logging.h"
#include "base/proc.h"

namespace ravel {
namespace {

constexpr uint8_t kInt3 = 0xcc;

// Whether the instruction that starts with `code` would stop the thread for something
// other than the step: a system call, a software interrupt, or an instruction the tracer
// may trap (RDTSC, RDTSCP, CPUID), or that faults (UD2).
bool StopsTheThread(const uint8_t code[2]) {
  if (code[0] == 0xcc || code[0] == 0xcd) return true;  // int3, int n
  if (code[0] != 0x0f) return false;
  switch (code[1]) {
    case 0x05:  // syscall
    case 0x34:  // sysenter
    case 0x31:  // rdtsc
    case 0x01:  // rdtscp (and the rest of group 7)
    case 0xa2:  // cpuid
    case 0x0b:  // ud2
      return true;
    default:
      return false;
  }
}

}  // namespace

uint64_t RegisterHash(const Registers& regs) {
  user_regs_struct r = regs.raw();
  r.orig_rax = 0;
  r.eflags = 0;
  return XXH3_64bits(&r, sizeof(r));
}

std::optional<double> HostCpuProbe::ProcessCpuSeconds(pid_t pid) {
  clockid_t clock;
  timespec cpu;
  if (clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &cpu) != 0) return std::nullopt;
  return static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) * 1e-9;
}

bool HostCpuProbe::Running(pid_t pid, pid_t tid) {
  std::optional<ProcStat> stat = ReadProcStat(pid, tid);
  return stat.has_value() && stat->state == 'R';
}

bool Liveness::Tick(Control& control, const Holder& holder, uint64_t steps,
                    absl::FunctionRef<bool()> keeps_others_waiting) {
  // One thread of the process runs at a time (its parked threads use no CPU), so the
  // process's CPU time since the slice began is the holder's.
  const std::optional<double> cpu_now = cpu_.ProcessCpuSeconds(holder.pid);
  if (!cpu_now.has_value()) return false;
  if (slice_step_ != steps || slice_thread_ != holder.thread) {
    slice_step_ = steps;
    slice_thread_ = holder.thread;
    slice_cpu_start_ = *cpu_now;
    return false;
  }
  if (*cpu_now - slice_cpu_start_ < kLivenessSliceSeconds) return false;
  if (interrupt_thread_ == holder.thread && interrupt_step_ == steps) return false;  // asked already
  if (!keeps_others_waiting() || !cpu_.Running(holder.pid, holder.tid)) return false;
  interrupt_thread_ = holder.thread;
  interrupt_step_ = steps;
  control.Interrupt(holder.tid);
  return true;
}

bool Liveness::TakeInterrupt(ThreadId thread, uint64_t steps, ThreadId running) {
  // Stale: it reached a point of its own since the request, or lost the baton.
  if (interrupt_thread_ != thread || interrupt_step_ != steps || running != thread) return false;
  interrupt_thread_ = kNoThread;
  return true;
}

void Liveness::WalkToLoopHead(SteppableThread& thread, Registers& regs) {
  // Where PTRACE_INTERRUPT lands in a loop depends on real time, and the point records
  // the instruction and a hash of the registers: at the loop's head they are the same in
  // every run.
  for (int i = 0; i < kLoopHeadSteps; ++i) {
    uint8_t code[2] = {};
    if (!thread.ReadCode(RemotePtr<uint8_t>(regs.ip()), code, sizeof(code)).ok() || StopsTheThread(code)) return;
    const uint64_t before = regs.ip();
    if (!thread.SingleStep().ok()) return;
    absl::StatusOr<Registers> after = thread.GetRegisters();
    if (!after.ok()) return;
    regs = *after;
    if (regs.ip() < before) return;  // a backward jump taken: at the loop's head
  }
}

uint64_t Liveness::Preempted(ThreadId thread, const Registers& regs) {
  if (++preemptions_ == 1) {
    LOG(WARNING) << "T" << thread << " ran for " << kLivenessSliceSeconds
                 << " s of CPU time without a scheduling point (a spin?); it was preempted so that other threads can run "
                    "(the run may no longer be deterministic)";
  }
  if (static_cast<size_t>(thread) >= spinning_.size()) spinning_.resize(static_cast<size_t>(thread) + 1, false);
  if (!spinning_[thread]) {
    spinning_[thread] = true;
    ++spinning_count_;
  }
  return RegisterHash(regs);
}

void Liveness::HoldSpinners(absl::Span<const ThreadId> runnable, std::vector<ThreadId>& held) const {
  // Switching to a spinner costs a whole slice of spinning at every point of the thread it
  // waits for (GLib's threaded-toggle-notify: an atomic point per turn of the worker, a
  // 0.2 s spin each).
  if (runnable.size() - held.size() <= 1 || spinning_count_ == 0) return;
  std::vector<ThreadId> spinners;
  bool working = false;
  for (ThreadId id : runnable) {
    if (std::binary_search(held.begin(), held.end(), id)) continue;
    if (static_cast<size_t>(id) < spinning_.size() && spinning_[id]) {
      spinners.push_back(id);
    } else {
      working = true;
    }
  }
  if (!working || spinners.empty()) return;
  std::vector<ThreadId> all;
  all.reserve(held.size() + spinners.size());
  std::merge(held.begin(), held.end(), spinners.begin(), spinners.end(), std::back_inserter(all));
  held = std::move(all);
}

void Liveness::Plant(ProcessCode& code, pid_t pid) {
  const ForcedPreemption& want = plan_[next_forced_];
  Planted p;
  p.pid = pid;
  p.addr = want.rip;
  const RemotePtr<uint8_t> at(p.addr);
  if (!code.ReadCode(at, &p.saved, 1).ok() || !code.PokeCode(at, kInt3).ok()) return;
  planted_ = p;
}

Liveness::Trap Liveness::OnTrap(SteppableThread& thread, pid_t pid, ThreadId id, const Registers& regs,
                                uint64_t steps, ThreadId running, Registers* at) {
  if (!planted_.has_value() || pid != planted_->pid || regs.ip() != planted_->addr + 1) return Trap::kNotPlanted;
  const RemotePtr<uint8_t> addr(planted_->addr);
  (void)thread.PokeCode(addr, planted_->saved);
  *at = regs;
  at->set_ip(planted_->addr);
  (void)thread.SetRegisters(*at);
  const ForcedPreemption& want = plan_[next_forced_];
  if (id != kNoThread && id == want.thread && steps == want.step && running == want.thread &&
      RegisterHash(*at) == want.reg_hash) {
    planted_.reset();
    ++next_forced_;
    return Trap::kPreempt;
  }
  // Another pass (another iteration, or another thread): run the instruction, plant again.
  if (++planted_->passes > kMaxForcedPasses) {
    // Not found: the replay goes on without it, and diverges at this step.
    LOG(WARNING) << "the recorded preemption of step " << want.step << " (rip 0x" << std::hex << want.rip
                 << ") was not found in " << std::dec << kMaxForcedPasses << " passes";
    planted_.reset();
    ++next_forced_;
    return Trap::kPassed;
  }
  if (!thread.SingleStep().ok()) return Trap::kPassed;
  (void)thread.PokeCode(addr, kInt3);
  return Trap::kPassed;
}

}  // namespace ravel
