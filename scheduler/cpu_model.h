// The virtual CPU a guest sees through CPUID, where the kernel offers CPUID faulting.
//
// glibc and many libraries choose code paths from CPUID (string functions, hardware
// randomness, transactional memory, the size of the signal frame), so the answers are
// part of what a run depends on. Under ravel they come from a fixed model:
//  - the host's answers, with what would make runs differ taken out:
//      RDRAND (leaf 1 ECX bit 30) and RDSEED (leaf 7 EBX bit 18): hardware randomness,
//        which the seeded getrandom and /dev/urandom replace;
//      HLE and RTM (leaf 7 EBX bits 4 and 11): transactions abort at the hardware's whim;
//      the APIC ids (leaf 1 EBX bits 31-24, leaves 0xb and 0x1f EDX, leaf 0x8000001e
//        EAX): they name the CPU the thread happens to run on;
//  - everything else passes through unchanged (vendor, family, features, cache and TLB
//    descriptions, XSAVE sizes): a program must run on this host's instructions, and
//    these do not vary from run to run.
// The leaves that select code paths (kRecordedLeaves) are recorded in the schedule; a
// replay answers them from the recording, so it takes the recorded run's code paths, and
// refuses to start on a host that lacks a recorded feature (the guest would execute an
// instruction this CPU does not have).
//
// Pure: the host's answers come in as arguments.
#ifndef RAVEL_SCHEDULER_CPU_MODEL_H_
#define RAVEL_SCHEDULER_CPU_MODEL_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ravel {

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool operator==(const CpuidRegs&) const = default;
};

// (leaf, subleaf) pairs recorded in a schedule: the vendor and maximum leaves, the
// feature leaves glibc's cpu_features reads, and the XSAVE state sizes.
inline constexpr std::pair<uint32_t, uint32_t> kRecordedLeaves[] = {
    {0x0, 0},        {0x1, 0},        {0x7, 0},        {0x7, 1},        {0xd, 0}, {0xd, 1},
    {0x80000000, 0}, {0x80000001, 0}, {0x80000007, 0}, {0x80000008, 0},
};

// The host's answer to (leaf, subleaf) with the run-to-run differences above taken out.
CpuidRegs MaskCpuid(uint32_t leaf, uint32_t subleaf, CpuidRegs host);

// The subleaf as the CPU reads it: ECX for the leaves that take one, else 0 (whatever
// ECX held), so that a model's (leaf, 0) answers those.
uint32_t CpuidSubleaf(uint32_t leaf, uint32_t ecx);

// The CPUID instruction on this process's CPU (ravel's own CPUID never traps).
CpuidRegs HostCpuid(uint32_t leaf, uint32_t subleaf);

class CpuModel {
 public:
  // This host's model.
  static CpuModel OfThisHost() { return Of(HostCpuid); }
  // The model of a host: MaskCpuid of `host(leaf, subleaf)` for each recorded leaf.
  template <typename Host>
  static CpuModel Of(Host host) {
    CpuModel m;
    for (const auto& [leaf, subleaf] : kRecordedLeaves) m.leaves_[{leaf, subleaf}] = MaskCpuid(leaf, subleaf, host(leaf, subleaf));
    return m;
  }
  // "LEAF.SUB=EAX,EBX,ECX,EDX;..." in hex: a schedule's `option cpuid`.
  std::string Serialize() const;
  // InvalidArgument naming what is wrong.
  static absl::StatusOr<CpuModel> Parse(const std::string& text);

  // The model's answer if it has the leaf.
  bool Answer(uint32_t leaf, uint32_t subleaf, CpuidRegs* out) const;
  // The features of this model that `host` lacks, in words ("leaf 7 EBX bit 5 (AVX2)"); empty
  // when a guest given this model can run on `host`.
  std::vector<std::string> MissingOn(const CpuModel& host) const;

  bool operator==(const CpuModel&) const = default;

 private:
  std::map<std::pair<uint32_t, uint32_t>, CpuidRegs> leaves_;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_CPU_MODEL_H_
