// Atomic points (--preempt atomic): after each exec, an int3 on every atomic instruction
// of the executable (FindAtomicInstructions); a thread that reaches one stops before the
// instruction runs, which is a scheduling point (step "atomic", the address mixed into
// the fingerprint). When the thread goes on, the original byte is put back for one
// single-stepped instruction and the int3 planted again, so every execution is a point.
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "base/logging.h"
#include "scheduler/atomics.h"
#include "scheduler/scheduler.h"

namespace ravel {
namespace {

constexpr uint8_t kInt3 = 0xcc;

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
  absl::StatusOr<AtomicSites> sites = FindAtomicInstructions(exe);
  if (!sites.ok()) {
    if (warned_.insert(absl::StrCat("atomics-", exe)).second) {
      LOG(WARNING) << "no atomic points in " << exe << ": " << sites.status().message();
    }
    return;
  }
  const uint64_t entry = AuxvEntry(guest.pid());
  if (entry == 0) return;
  const uint64_t bias = entry - sites->entry;  // 0 for a non-PIE executable
  std::map<uint64_t, uint8_t>& planted = atomic_sites_[guest.pid()];
  GuestMemory& mem = guest.memory();
  for (uint64_t link_addr : sites->addresses) {
    const uint64_t addr = link_addr + bias;
    uint8_t saved = 0;
    if (!mem.ReadExact(addr, &saved, 1).ok() || !mem.Poke(addr, &kInt3, 1).ok()) continue;
    planted[addr] = saved;
  }
}

bool Scheduler::AtomicTrap(Guest& guest, const Registers& regs) {
  auto sites = atomic_sites_.find(guest.pid());
  if (sites == atomic_sites_.end()) return false;
  const uint64_t addr = regs.ip() - 1;
  auto site = sites->second.find(addr);
  if (site == sites->second.end()) return false;
  const uint8_t saved = site->second;
  Registers at = regs;
  at.set_ip(addr);
  (void)guest.SetRegisters(at);
  auto id = by_tid_.find(guest.tid());
  if (id != by_tid_.end() && running_ == id->second) {
    // The point, before the instruction runs (the int3 stays for the others meanwhile).
    Thread& t = threads_.at(id->second);
    Step(t, kStepAtomic, PointKind::kAtomic);
    Mix(addr);
    SchedulingPoint point;
    point.step = steps_ - 1;
    point.current = t.id;
    point.kind = PointKind::kAtomic;
    point.syscall_nr = -1;
    point.current_runnable = true;
    if (!Reschedule(guest, t, point)) return true;
  }
  // Run the instruction itself, then plant the int3 again.
  GuestMemory& mem = guest.memory();
  (void)mem.Poke(addr, &saved, 1);
  (void)guest.SingleStep();
  (void)mem.Poke(addr, &kInt3, 1);
  return true;
}

}  // namespace ravel
