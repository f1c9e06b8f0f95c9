// The in-guest hand-off (#17): the scheduler's side of the pages the sync shim shares with
// it (preempt/sync_marker.h, "The in-guest hand-off").
//
// A thread that yields and is not picked waits in the guest, on its own word of its
// process's page, instead of at a ptrace stop: the scheduler lets it run again by setting
// the word to 1 and waking it through its own mapping of the same memfd. And where the
// scheduler can tell the picks of the next yields in advance (every pick a yield's, each
// by the thread the previous one picked, nothing else in between), it writes a plan into
// the page: the yielding thread then wakes the next one itself, without a stop. The
// scheduler accounts for the plan's yields made at its next stop of any kind, exactly as
// at a stop, so decisions, steps, fingerprints and recordings are those of a run without
// the fast path.
//
// Owns: per guest process, its page as the scheduler maps it, the slot of each of its
// threads (by logical id) and where the shim keeps its process state.
// Invariants: a process has an entry from its page's registration until its exec or end;
// a slot is never given twice in one process; at most one plan is out in the whole run,
// and only while no other thread of the guest can produce an event but by a signal.
#ifndef RAVEL_SCHEDULER_HANDOFF_H_
#define RAVEL_SCHEDULER_HANDOFF_H_

#include <sys/types.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "preempt/sync_marker.h"
#include "strategies/strategy.h"

namespace ravel {

class HandoffPages {
 public:
  struct Process {
    RavelHandoffPage* page = nullptr;  // the scheduler's mapping of the process's page, or null
    uint64_t shim_state = 0;           // the shim's struct RavelHandoff, in the guest
    uint64_t guest_page = 0;           // where the guest maps the page
    // The shim's hand-on labels (sync_marker.h, `yield_window`) as it registered them (a
    // page whose labels make no sense is refused).
    std::array<uint64_t, 4> yield_window{};
    int32_t next_slot = 0;
    std::vector<ThreadId> by_slot;
  };

  HandoffPages() = default;
  HandoffPages(const HandoffPages&) = delete;
  HandoffPages& operator=(const HandoffPages&) = delete;
  ~HandoffPages();

  // Process `pid` registers its page: `fd` is the memfd in the guest (the scheduler opens
  // it through /proc), mapped there at `guest_page`; `shim_state` the shim's struct
  // RavelHandoff. Without `map` (no fast path) only `shim_state` is kept, for the
  // process's forks: its page stays null. An error leaves the process without an entry.
  absl::Status Register(pid_t pid, int fd, uint64_t guest_page, uint64_t shim_state, bool map);
  // Null when the process has not registered (its page may still be null).
  Process* Find(pid_t pid);
  // The process's page as the scheduler maps it; null when it has none.
  RavelHandoffPage* Page(pid_t pid) {
    Process* process = Find(pid);
    return process != nullptr ? process->page : nullptr;
  }
  // The process's image is gone (exec, end): its page too.
  void Forget(pid_t pid);

  // A slot for thread `id` of `process`; -1 when every slot is taken.
  static int32_t AssignSlot(Process& process, ThreadId id);
  // The thread in `slot` waits from now on (its word is 0).
  static void Hold(RavelHandoffPage* page, int32_t slot);
  // The thread in `slot` may run: its word is 1, and it is woken if it sleeps on it.
  static void Release(RavelHandoffPage* page, int32_t slot);
  // Asks the thread in `from`, which waits awake, to let the thread in `to` run (sync_marker.h,
  // "Hand-ons by the caller"); false when it sleeps (or has a hand-on out already).
  static bool AskHandOn(RavelHandoffPage* page, int32_t from, int32_t to);
  // Takes back the hand-on asked of `from` for `to`; false when `from` has made it.
  static bool TakeBackHandOn(RavelHandoffPage* page, int32_t from, int32_t to);
  // Tells the thread in `slot`, which waits awake, to sleep now (RAVEL_HANDOFF_SLEEP_NOW): another
  // thread gets the CPU. False when it sleeps already or has a hand-on out.
  static bool SleepNow(RavelHandoffPage* page, int32_t slot);
  // The thread in `slot` is woken (to look at its word again).
  static void Wake(RavelHandoffPage* page, int32_t slot);
  // The slot whose word is at `addr` in the guest's mapping of the process's page; -1 if
  // none is.
  static int32_t SlotOfWord(const Process& process, uint64_t addr);

  // Puts a plan out: order[0] holds the CPU; the plan's i-th yield hands it to order[i+1]
  // (TurnEntry values). `order` has 2 to RAVEL_HANDOFF_PLAN + 1 entries; `generation` is
  // the plan's, for the logs of its markers.
  static void Publish(RavelHandoffPage* page, const std::vector<uint32_t>& order, uint32_t generation);
  // An order[] entry: the thread in `slot` holds the CPU in that turn and may log up to
  // `points` markers in it (sync_marker.h, "Markers under a plan"; at most kMaxTurnPoints).
  static constexpr uint32_t kMaxTurnPoints = 0x7fff;
  static uint32_t TurnEntry(int32_t slot, uint32_t points) {
    return static_cast<uint32_t>(slot) | (std::min(points, kMaxTurnPoints) << 16);
  }
  // The markers the thread in `slot` has logged under plan `generation` (none for a log of
  // another plan); its entries below that count are written.
  static uint32_t TurnLogged(const RavelHandoffPage* page, int32_t slot, uint32_t generation);
  // Seals the log of the thread in `slot` for plan `generation` (taken back): its later
  // markers fail to log. Returns the markers it logged.
  static uint32_t SealTurnLog(RavelHandoffPage* page, int32_t slot, uint32_t generation);
  // The plan out, as the guest has run it so far.
  struct Progress {
    bool closed = true;
    uint32_t made = 0;     // yields made
    uint32_t covered = 0;  // yields covered
  };
  static Progress Read(const RavelHandoffPage* page);
  // Extends the plan out (covering `covered` yields, not closed) by `more` slots: the plan's
  // yields covered + 1, covered + 2, ... False if it was closed meanwhile. The caller keeps
  // covered + more - made <= RAVEL_HANDOFF_PLAN for a `made` it has read.
  static bool Extend(RavelHandoffPage* page, uint32_t covered, const std::vector<uint32_t>& more);
  // The thread of the plan's turn `turn` (covered, its entry out) may end it in a futex wait
  // that blocks (sync_marker.h, "Futex calls under a plan").
  static void AllowBlock(RavelHandoffPage* page, uint32_t turn);
  // Takes the plan back: from now on no yield is made under it. Returns how many were.
  static uint32_t Close(RavelHandoffPage* page);

 private:
  absl::flat_hash_map<pid_t, Process> processes_;
  // The last process found: the scheduler asks about the same one many times a step. (An
  // insertion or erasure may move the map's values: both clear it.)
  pid_t last_pid_ = 0;
  Process* last_ = nullptr;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_HANDOFF_H_
