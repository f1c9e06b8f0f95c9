// PlantedSites: the int3s of atomic points and spin points, per guest process.
//
// With --preempt atomic (or spin) the scheduler plants an int3 on each atomic instruction
// (each spin loop's head) of the executable and of the modules it is asked about
// (atomic_points.cc). A thread that reaches one stops there: a point. To go on, the
// original byte goes back for one single-stepped instruction and the int3 is planted
// again (StepOver), so every execution is a point, until an atomic instruction has been
// a point kAtomicSiteBudget times in its process; from then on it runs natively. A forked
// child inherits its parent's int3s with its memory, and so its table; an exec, or the
// process's end, drops them.
//
// Owns: per process, each planted address with the byte under its int3, its kind (a spin
// loop's head, else an atomic instruction) and how often it has been a point there. The
// scheduler owns the points themselves; the guest is reached through guest_access.h.
// Invariants: a listed site has its int3 in the process's code, except while a thread is
// stepped over it; a site whose budget is spent is unlisted and has its byte back.
#ifndef RAVEL_SCHEDULER_PLANTED_SITES_H_
#define RAVEL_SCHEDULER_PLANTED_SITES_H_

#include <sys/types.h>

#include <cstdint>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "scheduler/guest_access.h"

namespace ravel {

// An atomic instruction is a point for its first this many executions in a process, then
// runs natively: a test's hot atomic loop would otherwise cost ~100 us a turn for ever
// (GLib's threadtests: over 300 s), and a race on an atomic shows in its first turns.
inline constexpr uint32_t kAtomicSiteBudget = 1000;

class PlantedSites {
 public:
  struct Site {
    uint8_t saved = 0;  // the original byte under the int3
    bool spin = false;  // a spin loop's head (else an atomic instruction)
    uint32_t hits = 0;  // times it was stepped over in this process (an atomic instruction's)
  };

  // Plants an int3 at `addr` of process `pid`, whose code is `code`: an atomic instruction
  // (`spin` false), planted afresh whatever the table says (a module mapped again over
  // itself has its original bytes back), or a spin loop's head, which is left as it is when
  // a site is planted there already. Nothing is listed when the code cannot be read or
  // written.
  void Plant(ProcessCode& code, pid_t pid, uint64_t addr, bool spin);
  // The site at `addr` of process `pid`; null when none is planted there.
  const Site* Find(pid_t pid, uint64_t addr) const;
  // Runs the instruction at `addr` of `thread` (of process `pid`, stopped there) with its
  // original byte `saved`, then plants the int3 again, unless the site is an atomic
  // instruction whose budget is now spent (or is gone from the table meanwhile). `saved`
  // and `spin` are the site's as it was at the trap: the thread may have been parked since.
  // True if the thread was stepped.
  bool StepOver(SteppableThread& thread, pid_t pid, uint64_t addr, uint8_t saved, bool spin);

  // Process `child` was forked from `parent`: its memory, int3s included, is a copy.
  void Forked(pid_t parent, pid_t child);
  // Process `pid` exec'd (its image and int3s are gone) or ended.
  void Forget(pid_t pid) { sites_.erase(pid); }

 private:
  absl::flat_hash_map<pid_t, std::map<uint64_t, Site>> sites_;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_PLANTED_SITES_H_
