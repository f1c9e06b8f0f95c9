// Liveness: a thread that spins without a scheduling point is preempted all the same.
//
// A thread that waits for a plain flag in a loop makes no syscall, so the scheduler never
// gets to hand the baton on. On each tick the scheduler asks Tick about the baton holder:
// once its process has used kLivenessSliceSeconds of CPU time since the first tick after
// its latest step (CPU time, not real time: on a loaded machine a thread waits for a CPU,
// and that wait must not turn a computation into a "spin"), while it runs in user space
// and keeps someone waiting, Tick asks Control::Interrupt to stop it. The report
// (Tool::OnInterrupt) is current only if the thread has made no step since and still holds
// the baton (TakeInterrupt). WalkToLoopHead then steps it on to the head of its loop, so
// that where the interrupt landed does not matter in a pure spin loop, and the scheduler
// makes a step "preempt" there, recorded with the instruction and RegisterHash.
//
// A replay makes the same preemptions from the recording (the plan): when a preemption's
// step is next, an int3 goes at its instruction (Plant); a pass by another thread, at
// another step or with other registers puts the byte back, runs the instruction and plants
// the int3 again; the matching pass is the point (OnTrap). After kMaxForcedPasses passes
// the preemption is given up and the replay goes on without it (and diverges there).
//
// A thread preempted this way is "spinning" until its next point of another kind: it is
// no preemption target while a thread that makes points can run (HoldSpinners).
//
// Owns: the slice being measured, the interrupt asked for, the spinning threads, the
// count of preemptions, the replay's plan and the int3 planted for it. The scheduler owns
// the threads, the steps and the baton; the CPU clock comes from a CpuProbe, the guest
// through guest_access.h, so a test drives all of it without a guest.
//
// Invariants:
//  - At most one interrupt is outstanding, of one thread at one step; any other report is
//    stale and ignored, and a current one is taken once.
//  - At most one int3 is planted, for the next preemption of the plan; the plan's entries
//    are made or given up in order, each once.
//  - spinning_count_ is the number of threads whose spinning_ flag is set.
#ifndef RAVEL_SCHEDULER_LIVENESS_H_
#define RAVEL_SCHEDULER_LIVENESS_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "intercept/regs.h"
#include "intercept/tool.h"
#include "scheduler/guest_access.h"
#include "strategies/strategy.h"

namespace ravel {

// The baton holder running in user space for this much CPU time without a point is
// interrupted. Long enough that a thread which computes rarely loses the baton this way
// (each such preemption depends on timing), short enough that a spin on a flag costs
// little real time.
inline constexpr double kLivenessSliceSeconds = 0.2;
// At most this many instructions are single-stepped towards a loop's head: straight-line
// code keeps its landing place.
inline constexpr int kLoopHeadSteps = 64;
// Replay: passes over a forced preemption's int3 before it counts as not found (each pass
// costs a few ptrace stops; a spin whose registers change at every turn is not replayable
// this way beyond that).
inline constexpr int kMaxForcedPasses = 20000;

// A liveness preemption of a recorded run, for its replay to make again: at step `step`,
// thread `thread` is stopped at the first execution of `rip` whose registers hash to
// `reg_hash` (an int3 planted there finds it; other passes step over it).
struct ForcedPreemption {
  uint64_t step = 0;
  ThreadId thread = kNoThread;
  uint64_t rip = 0;
  uint64_t reg_hash = 0;
};

// A hash of a thread's registers that is the same wherever the thread was stopped from:
// without orig_rax and eflags (its trap and resume bits depend on the kind of stop).
uint64_t RegisterHash(const Registers& regs);

// What Tick reads of the host: a process's CPU time, and whether a thread runs.
class CpuProbe {
 public:
  virtual ~CpuProbe() = default;
  // CPU time used by process `pid` so far (all its threads), in seconds; nullopt when it
  // cannot be read.
  virtual std::optional<double> ProcessCpuSeconds(pid_t pid) = 0;
  // Whether thread `tid` of `pid` is running ("R" in /proc), not asleep in a call (which is
  // the watchdog's business).
  virtual bool Running(pid_t pid, pid_t tid) = 0;
};

// The real one: clock_getcpuclockid, and /proc/PID/task/TID/stat.
class HostCpuProbe : public CpuProbe {
 public:
  std::optional<double> ProcessCpuSeconds(pid_t pid) override;
  bool Running(pid_t pid, pid_t tid) override;
};

class Liveness {
 public:
  // `cpu` (not owned) outlives this; `plan` is a replay's recorded preemptions in step
  // order (empty otherwise).
  Liveness(CpuProbe& cpu, std::vector<ForcedPreemption> plan) : cpu_(cpu), plan_(std::move(plan)) {}

  // The baton holder at a tick: thread `thread` (tid `tid` of process `pid`), no step since
  // step `steps`.
  struct Holder {
    ThreadId thread = kNoThread;
    pid_t tid = 0;
    pid_t pid = 0;
  };
  // Asks `control` to interrupt the holder once its slice is spent, it has not been asked
  // at this step yet, `keeps_others_waiting()` (another thread could run, or a deadline is
  // pending) and it runs in user space. A new step or holder starts a new slice. True if it
  // asked.
  bool Tick(Control& control, const Holder& holder, uint64_t steps, absl::FunctionRef<bool()> keeps_others_waiting);
  // An interrupt report of `thread`: true if it is the one asked for and still current (no
  // step since: `steps`; `running` holds the baton). A current report is taken: a second
  // report of the same request is stale.
  bool TakeInterrupt(ThreadId thread, uint64_t steps, ThreadId running);

  // Steps `thread` (stopped at `regs`, updated as it goes) on to just after the next
  // backward jump taken: in a spin loop the registers there are the same on every pass.
  // Never over an instruction that would stop the thread for something else (syscall,
  // sysenter, int n, int3, RDTSC, RDTSCP and the rest of 0F 01, CPUID, UD2), and at most
  // kLoopHeadSteps instructions.
  static void WalkToLoopHead(SteppableThread& thread, Registers& regs);

  // `thread` is preempted at `regs`: counted, warned about once, and spinning from now
  // until its next point of another kind. Returns RegisterHash(regs).
  uint64_t Preempted(ThreadId thread, const Registers& regs);
  // `thread` made a point of another kind, or exited: it is not spinning.
  void NotSpinning(ThreadId thread) {
    if (static_cast<size_t>(thread) < spinning_.size() && spinning_[thread]) {
      spinning_[thread] = false;
      --spinning_count_;
    }
  }
  // Adds to `held` (ascending, within `runnable`) the spinners among the threads of
  // `runnable` it does not hold, when those include threads that are not spinning too: a
  // spinner runs when the others block or yield. Nothing to do (O(1)) while none spins.
  void HoldSpinners(absl::Span<const ThreadId> runnable, std::vector<ThreadId>& held) const;
  // Whether some thread is spinning now.
  bool AnySpinning() const { return spinning_count_ > 0; }
  int preemptions() const { return preemptions_; }

  // Replay. The preemption whose int3 is due at step `steps`: none is planted and the
  // plan's next is at this step. Null otherwise (asked at every step: no more than that).
  const ForcedPreemption* DueAt(uint64_t steps) const {
    if (planted_.has_value() || next_forced_ >= plan_.size() || plan_[next_forced_].step != steps) return nullptr;
    return &plan_[next_forced_];
  }
  // Plants the int3 of the due preemption in process `pid`, whose code `code` is. Nothing
  // is planted if the code cannot be read or written.
  void Plant(ProcessCode& code, pid_t pid);
  // Preemptions of the plan still to be made.
  bool ReplayPending() const { return planted_.has_value() || next_forced_ < plan_.size(); }

  // A SIGTRAP of an int3 of thread `id` (kNoThread: unknown) of process `pid`, stopped
  // (`thread`) at `regs`, just after the int3, at step `steps` while `running` holds the
  // baton.
  enum class Trap {
    kNotPlanted,  // not the planted int3: someone else's
    kPreempt,     // the recorded pass: make the preemption at `*at` (the int3 is gone)
    kPassed,      // another pass, stepped over (or the preemption given up)
  };
  Trap OnTrap(SteppableThread& thread, pid_t pid, ThreadId id, const Registers& regs, uint64_t steps,
              ThreadId running, Registers* at);

 private:
  struct Planted {
    pid_t pid = 0;
    uint64_t addr = 0;
    uint8_t saved = 0;  // the byte under the int3
    int passes = 0;
  };

  CpuProbe& cpu_;
  // The slice being measured: of which thread, from which step, and its process's CPU
  // time when the measure began.
  uint64_t slice_step_ = ~0ull;
  ThreadId slice_thread_ = kNoThread;
  double slice_cpu_start_ = 0;
  // The interrupt asked for: of which thread, at which step.
  ThreadId interrupt_thread_ = kNoThread;
  uint64_t interrupt_step_ = 0;
  std::vector<bool> spinning_;  // by logical id
  int spinning_count_ = 0;
  int preemptions_ = 0;
  std::vector<ForcedPreemption> plan_;
  size_t next_forced_ = 0;
  std::optional<Planted> planted_;  // the int3 of plan_[next_forced_]
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_LIVENESS_H_
