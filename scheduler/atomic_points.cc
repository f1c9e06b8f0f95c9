// Spin points (--preempt spin) work the same way, on the head of each spin loop of the
// executable (FindSpinLoopHeads); each pass is a step "spin" and a yield.
//
// Atomic points (--preempt atomic): after each exec, an int3 on every atomic instruction
// of the executable (FindAtomicInstructions); a thread that reaches one stops before the
// instruction runs, which is a scheduling point (step "atomic", the address mixed into
// the fingerprint). When the thread goes on, the original byte is put back for one
// single-stepped instruction and the int3 planted again, so every execution is a point.
// The single-step stops the thread just after the instruction too: a second point there
// (step "atomic-after") costs a decision, not a stop, and separates an atomic store from
// the plain accesses after it (a flag published before the data it guards).
#include <elf.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "scheduler/atomics.h"
#include "scheduler/guest_access.h"
#include "scheduler/resource.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

uint64_t AuxvEntry(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  uint64_t pair[2], entry = 0;
  while (read(fd, pair, sizeof(pair)) == sizeof(pair) && pair[0] != AT_NULL) {
    if (pair[0] == AT_ENTRY) entry = pair[1];
  }
  close(fd);
  return entry;
}

}  // namespace

void Scheduler::PlantAtomics(Guest& guest) {
  char link[64], exe[4096];
  snprintf(link, sizeof(link), "/proc/%d/exe", guest.pid());
  ssize_t n = readlink(link, exe, sizeof(exe) - 1);
  if (n <= 0) return;
  exe[n] = '\0';
  const AtomicSites* sites = Scan(exe);
  const uint64_t entry = AuxvEntry(guest.pid());
  if (sites == nullptr || entry == 0) return;
  PlantSites(guest, *sites, entry - sites->entry, 0, UINT64_MAX);  // bias 0 for a non-PIE executable
  if (options_.spin_points) {
    GuestCode code(guest.memory());
    for (uint64_t link_addr : sites->spin_heads) {
      planted_sites_.Plant(code, guest.pid(), link_addr + entry - sites->entry, /*spin=*/true);
    }
  }
}

const AtomicSites* Scheduler::Scan(const std::string& path) {
  absl::Status error;
  const AtomicSites* sites = CachedAtomicSites(path, &error);
  if (sites == nullptr && warned_.insert(absl::StrCat("atomics-", path)).second) {
    LOG(WARNING) << "no atomic points in " << path << ": " << error.message();
  }
  return sites;
}

void Scheduler::PlantSites(Guest& guest, const AtomicSites& sites, uint64_t bias, uint64_t lo, uint64_t hi) {
  if (!options_.atomic_points) return;
  GuestCode code(guest.memory());
  for (uint64_t link_addr : sites.addresses) {
    if (link_addr < lo || link_addr >= hi) continue;
    planted_sites_.Plant(code, guest.pid(), link_addr + bias, /*spin=*/false);
  }
}

static bool ModuleMatches(const std::string& path, const std::vector<std::string>& names) {
  const std::string base = path.substr(path.rfind('/') + 1);
  for (const std::string& name : names) {
    if (path == name || base == name || (base.size() > name.size() && base.compare(0, name.size(), name) == 0 &&
                                         base[name.size()] == '.')) {
      return true;
    }
  }
  return false;
}

SyscallResult Scheduler::MapModule(Guest& guest, const Syscall& call) {
  const uint64_t prot = call.args[2];
  const int fd = static_cast<int>(call.args[4]);
  const uint64_t offset = call.args[5];
  if (!(prot & PROT_EXEC) || fd < 0) return guest.TailInject(call);
  char link[64], path[4096];
  snprintf(link, sizeof(link), "/proc/%d/fd/%d", guest.pid(), fd);
  ssize_t n = readlink(link, path, sizeof(path) - 1);
  if (n <= 0) return guest.TailInject(call);
  path[n] = '\0';
  if (!ModuleMatches(path, options_.atomic_modules)) return guest.TailInject(call);
  absl::StatusOr<int64_t> mapped = guest.Inject(call);
  if (!mapped.ok()) return 0;
  if (*mapped < 0 && *mapped > -4096) return *mapped;
  const AtomicSites* sites = Scan(path);
  if (sites == nullptr) return *mapped;
  for (const AtomicSites::Segment& seg : sites->exec_segments) {
    if (seg.offset != (offset & ~uint64_t{4095})) continue;
    const uint64_t base = static_cast<uint64_t>(*mapped) - (offset - seg.offset);
    PlantSites(guest, *sites, base - seg.vaddr, seg.vaddr, seg.end);
  }
  return *mapped;
}

bool Scheduler::AtomicTrap(Guest& guest, const Registers& regs) {
  const uint64_t addr = regs.ip() - 1;
  const PlantedSites::Site* site = planted_sites_.Find(guest.pid(), addr);
  if (site == nullptr) return false;
  const uint8_t saved = site->saved;
  const bool spin = site->spin;
  Registers at = regs;
  at.set_ip(addr);
  (void)guest.SetRegisters(at);
  auto id = by_tid_.find(guest.tid());
  if (id != by_tid_.end() && running_ == id->second) {
    // The point, before the instruction runs (the int3 stays for the others meanwhile).
    // A spin loop's pass is a wait for another thread: a yield.
    Thread& t = At(id->second);
    Step(guest, t, spin ? kWhatSpin : kWhatAtomic, spin ? PointKind::kYield : PointKind::kAtomic);
    Mix(addr);
    if (spin) {
      // The only thread that can run waits for another: it would spin until the next
      // deadline (a sleeper's, a timer's) lets someone else run. The clock goes there at once.
      const std::vector<ThreadId> runnable = Runnable();
      const std::optional<uint64_t> next = NextDeadline();
      if (runnable.size() == 1 && runnable[0] == t.id && next.has_value() && *next > clock_.now()) {
        clock_.JumpTo(*next);
        Mix(0x7370696e6a756d70ull);
        WakeExpired();
      }
    }
    // What the atomic instruction touches, for the strategies that tell conflicts apart.
    uint64_t resource = 0;
    if (!spin) {
      uint8_t code[16] = {};
      if (guest.memory().ReadArray(RemotePtr<uint8_t>(addr), code, sizeof(code)).ok()) {
        code[0] = saved;
        resource = MemoryOperandAddress(code, sizeof(code), addr, regs.raw()).value_or(0);
      }
    }
    if (!Reschedule(guest, t, spin ? StepPoint(t, PointKind::kYield, -1, /*yield_hint=*/true)
                                   : StepPoint(t, PointKind::kAtomic, -1, /*yield_hint=*/false, resource))) {
      return true;
    }
  }
  // Run the instruction itself, then plant the int3 again, unless the site's budget is
  // spent: from then on it runs natively.
  GuestThread thread(guest);
  const bool stepped = planted_sites_.StepOver(thread, guest.pid(), addr, saved, spin);
  id = by_tid_.find(guest.tid());
  if (!spin && stepped && id != by_tid_.end() && running_ == id->second) {
    Thread& t = At(id->second);
    Step(guest, t, kWhatAtomicAfter, PointKind::kAtomic);
    Mix(addr);
    (void)Reschedule(guest, t, StepPoint(t, PointKind::kAtomic));
  }
  return true;
}

}  // namespace ravel
