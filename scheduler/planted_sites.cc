#include "scheduler/planted_sites.h"

#include <utility>

#include "scheduler/per_process.h"

namespace ravel {
namespace {

constexpr uint8_t kInt3 = 0xcc;

}  // namespace

void PlantedSites::Plant(ProcessCode& code, pid_t pid, uint64_t addr, bool spin) {
  std::map<uint64_t, Site>& planted = sites_[pid];
  if (spin && planted.contains(addr)) return;
  uint8_t saved = 0;
  const RemotePtr<uint8_t> at(addr);
  if (!code.ReadCode(at, &saved, 1).ok() || !code.PokeCode(at, kInt3).ok()) return;
  planted[addr] = Site{saved, spin};
}

const PlantedSites::Site* PlantedSites::Find(pid_t pid, uint64_t addr) const {
  auto sites = sites_.find(pid);
  if (sites == sites_.end()) return nullptr;
  auto site = sites->second.find(addr);
  return site != sites->second.end() ? &site->second : nullptr;
}

bool PlantedSites::StepOver(SteppableThread& thread, pid_t pid, uint64_t addr, uint8_t saved, bool spin) {
  const RemotePtr<uint8_t> at(addr);
  (void)thread.PokeCode(at, saved);
  const bool stepped = thread.SingleStep().ok();
  // Looked up again: while the thread was parked at the point, others may have used up
  // the budget, or the table may have grown.
  bool replant = false;
  if (auto sites = sites_.find(pid); sites != sites_.end()) {
    if (auto site = sites->second.find(addr); site != sites->second.end()) {
      replant = spin || ++site->second.hits < kAtomicSiteBudget;
      if (!replant) sites->second.erase(site);
    }
  }
  if (replant) (void)thread.PokeCode(at, kInt3);
  return stepped;
}

void PlantedSites::Forked(pid_t parent, pid_t child) { CopyToForkedChild(sites_, parent, child); }

}  // namespace ravel
