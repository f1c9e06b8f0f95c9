// VirtualClock: the guest's CLOCK_MONOTONIC and CLOCK_REALTIME under the scheduler.
//
// It moves only when the scheduler moves it: a step quantum at each step, a jump to the
// next deadline when nothing else can run (or time chaos asks for one). So a 10 s sleep
// costs no real time, and what the guest reads depends on the schedule, not the machine.
//
// Invariants:
//  - monotonic time never goes back (JumpTo to an earlier time does nothing);
//  - realtime - monotonic is fixed for the run: realtime starts at the run's real start
//    (files the guest compares with the clock carry real timestamps) and moves with it.
#ifndef RAVEL_SCHEDULER_VIRTUAL_CLOCK_H_
#define RAVEL_SCHEDULER_VIRTUAL_CLOCK_H_

#include <cstdint>

namespace ravel {

class VirtualClock {
 public:
  VirtualClock(uint64_t monotonic_start_ns, uint64_t realtime_start_ns)
      : now_(monotonic_start_ns), realtime_offset_(realtime_start_ns - monotonic_start_ns) {}

  uint64_t now() const { return now_; }                            // CLOCK_MONOTONIC, ns
  uint64_t realtime() const { return now_ + realtime_offset_; }    // CLOCK_REALTIME, ns

  void Advance(uint64_t ns) { now_ += ns; }
  // To `deadline` (monotonic), if that is later than now.
  void JumpTo(uint64_t deadline) {
    if (deadline > now_) now_ = deadline;
  }

  // The monotonic time of an absolute CLOCK_REALTIME time (now, if it has passed).
  uint64_t FromRealtime(uint64_t realtime_ns) const {
    const uint64_t real = realtime();
    return realtime_ns > real ? now_ + (realtime_ns - real) : now_;
  }

 private:
  uint64_t now_;
  uint64_t realtime_offset_;  // (unsigned: wraps as it must when realtime < monotonic)
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_VIRTUAL_CLOCK_H_
