#include "scheduler/cpu_model.h"

#include <cpuid.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace ravel {
namespace {

constexpr uint32_t Bit(int n) { return 1u << n; }

// The feature registers: a bit set means the CPU has the feature, so a recorded model may
// run on a host only if each is a subset of the host's.
struct FeatureRegister {
  uint32_t leaf, subleaf;
  int reg;  // 0 EAX, 1 EBX, 2 ECX, 3 EDX
};
constexpr FeatureRegister kFeatureRegisters[] = {
    {0x1, 0, 2}, {0x1, 0, 3}, {0x7, 0, 1}, {0x7, 0, 2}, {0x7, 0, 3}, {0x7, 1, 0},
    {0xd, 0, 0}, {0xd, 1, 0}, {0x80000001, 0, 2}, {0x80000001, 0, 3},
};

uint32_t Reg(const CpuidRegs& r, int i) { return i == 0 ? r.eax : i == 1 ? r.ebx : i == 2 ? r.ecx : r.edx; }

// Names of the features string functions and common libraries choose by.
const char* FeatureName(uint32_t leaf, uint32_t subleaf, int reg, int bit) {
  struct Named {
    uint32_t leaf, subleaf;
    int reg, bit;
    const char* name;
  };
  static constexpr Named kNames[] = {
      {0x1, 0, 2, 0, "SSE3"},     {0x1, 0, 2, 9, "SSSE3"},    {0x1, 0, 2, 12, "FMA"},   {0x1, 0, 2, 19, "SSE4.1"},
      {0x1, 0, 2, 20, "SSE4.2"},  {0x1, 0, 2, 23, "POPCNT"},  {0x1, 0, 2, 26, "XSAVE"}, {0x1, 0, 2, 28, "AVX"},
      {0x1, 0, 3, 25, "SSE"},     {0x1, 0, 3, 26, "SSE2"},    {0x7, 0, 1, 3, "BMI1"},   {0x7, 0, 1, 5, "AVX2"},
      {0x7, 0, 1, 8, "BMI2"},     {0x7, 0, 1, 9, "ERMS"},     {0x7, 0, 1, 16, "AVX512F"},
      {0x7, 0, 1, 29, "SHA"},     {0x7, 0, 2, 9, "VAES"},     {0x80000001, 0, 2, 5, "LZCNT"},
  };
  for (const Named& n : kNames) {
    if (n.leaf == leaf && n.subleaf == subleaf && n.reg == reg && n.bit == bit) return n.name;
  }
  return nullptr;
}

}  // namespace

uint32_t CpuidSubleaf(uint32_t leaf, uint32_t ecx) {
  switch (leaf) {
    case 0x4: case 0x7: case 0xb: case 0xd: case 0xf: case 0x10: case 0x12: case 0x14: case 0x17:
    case 0x18: case 0x1d: case 0x1f: case 0x20: case 0x23: case 0x24: case 0x8000001d: case 0x80000020:
    case 0x80000026:
      return ecx;
    default:
      return 0;
  }
}

CpuidRegs HostCpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

CpuidRegs MaskCpuid(uint32_t leaf, uint32_t subleaf, CpuidRegs r) {
  switch (leaf) {
    case 0x1:
      r.ecx &= ~Bit(30);     // RDRAND
      r.ebx &= 0x00ffffffu;  // initial APIC id
      break;
    case 0x7:
      if (subleaf == 0) r.ebx &= ~(Bit(18) | Bit(4) | Bit(11));  // RDSEED, HLE, RTM
      break;
    case 0xb:
    case 0x1f:
      r.edx = 0;  // x2APIC id
      break;
    case 0x8000001e:
      r.eax = 0;  // extended APIC id
      break;
    default:
      break;
  }
  return r;
}

std::string CpuModel::Serialize() const {
  std::string out;
  for (const auto& [key, r] : leaves_) {
    absl::StrAppend(&out, out.empty() ? "" : ";",
                    absl::StrFormat("%x.%x=%x,%x,%x,%x", key.first, key.second, r.eax, r.ebx, r.ecx, r.edx));
  }
  return out;
}

absl::StatusOr<CpuModel> CpuModel::Parse(const std::string& text) {
  CpuModel m;
  for (absl::string_view item : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    std::vector<absl::string_view> sides = absl::StrSplit(item, '=');
    std::vector<absl::string_view> key = sides.size() == 2 ? absl::StrSplit(sides[0], '.') : std::vector<absl::string_view>{};
    std::vector<absl::string_view> regs = sides.size() == 2 ? absl::StrSplit(sides[1], ',') : std::vector<absl::string_view>{};
    uint32_t leaf = 0, subleaf = 0, v[4] = {};
    bool ok = key.size() == 2 && regs.size() == 4 && absl::SimpleHexAtoi(key[0], &leaf) &&
              absl::SimpleHexAtoi(key[1], &subleaf);
    for (int i = 0; ok && i < 4; ++i) ok = absl::SimpleHexAtoi(regs[i], &v[i]);
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad CPUID model entry '", item, "'"));
    m.leaves_[{leaf, subleaf}] = CpuidRegs{v[0], v[1], v[2], v[3]};
  }
  if (m.leaves_.empty()) return absl::InvalidArgumentError("an empty CPUID model");
  return m;
}

bool CpuModel::Answer(uint32_t leaf, uint32_t subleaf, CpuidRegs* out) const {
  auto it = leaves_.find({leaf, subleaf});
  if (it == leaves_.end()) return false;
  *out = it->second;
  return true;
}

std::vector<std::string> CpuModel::MissingOn(const CpuModel& host) const {
  std::vector<std::string> missing;
  for (const FeatureRegister& f : kFeatureRegisters) {
    CpuidRegs mine, theirs;
    if (!Answer(f.leaf, f.subleaf, &mine)) continue;
    if (!host.Answer(f.leaf, f.subleaf, &theirs)) theirs = CpuidRegs{};
    const uint32_t lacking = Reg(mine, f.reg) & ~Reg(theirs, f.reg);
    for (int bit = 0; bit < 32; ++bit) {
      if (!(lacking & Bit(bit))) continue;
      const char* name = FeatureName(f.leaf, f.subleaf, f.reg, bit);
      static constexpr const char* kRegNames[] = {"EAX", "EBX", "ECX", "EDX"};
      missing.push_back(absl::StrFormat("leaf %x.%x %s bit %d%s", f.leaf, f.subleaf, kRegNames[f.reg], bit,
                                        name != nullptr ? absl::StrCat(" (", name, ")") : ""));
    }
  }
  return missing;
}

}  // namespace ravel
