#include "gdb/registers.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ravel::gdb {
namespace {

enum class Feature { kCore, kSse, kLinux, kSegments };

// Where a register's bytes come from.
enum class Source {
  kGpr,     // user_regs_struct field at `offset`, low `bytes` bytes (zero-extended on write)
  kSt,      // x87 stack register `index`
  kFpCtl,   // x87 control register `index` (see FpControl)
  kXmm,     // xmm `index`
  kMxcsr,
};

// The x87 control registers gdb lists after st7, in order.
enum FpControl { kFctrl, kFstat, kFtag, kFiseg, kFioff, kFoseg, kFooff, kFop };

struct RegisterInfo {
  const char* name;
  int bits;
  const char* type;
  const char* group;  // nullptr: gdb's default
  Feature feature;
  Source source;
  size_t index;  // offsetof() for kGpr, else the register's index in its bank
};

#define GPR(name, bits, type) \
  {#name, bits, type, nullptr, Feature::kCore, Source::kGpr, offsetof(user_regs_struct, name)}
#define ST(i) {"st" #i, 80, "i387_ext", nullptr, Feature::kCore, Source::kSt, i}
#define FPCTL(name, i) {#name, 32, "int", "float", Feature::kCore, Source::kFpCtl, i}
#define XMM(i) {"xmm" #i, 128, "vec128", nullptr, Feature::kSse, Source::kXmm, i}

constexpr RegisterInfo kRegisters[] = {
    GPR(rax, 64, "int64"), GPR(rbx, 64, "int64"), GPR(rcx, 64, "int64"),
    GPR(rdx, 64, "int64"), GPR(rsi, 64, "int64"), GPR(rdi, 64, "int64"),
    GPR(rbp, 64, "data_ptr"), GPR(rsp, 64, "data_ptr"),
    GPR(r8, 64, "int64"), GPR(r9, 64, "int64"), GPR(r10, 64, "int64"), GPR(r11, 64, "int64"),
    GPR(r12, 64, "int64"), GPR(r13, 64, "int64"), GPR(r14, 64, "int64"), GPR(r15, 64, "int64"),
    GPR(rip, 64, "code_ptr"), GPR(eflags, 32, "i386_eflags"),
    GPR(cs, 32, "int32"), GPR(ss, 32, "int32"), GPR(ds, 32, "int32"),
    GPR(es, 32, "int32"), GPR(fs, 32, "int32"), GPR(gs, 32, "int32"),
    ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),
    FPCTL(fctrl, kFctrl), FPCTL(fstat, kFstat), FPCTL(ftag, kFtag), FPCTL(fiseg, kFiseg),
    FPCTL(fioff, kFioff), FPCTL(foseg, kFoseg), FPCTL(fooff, kFooff), FPCTL(fop, kFop),
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
    {"mxcsr", 32, "i386_mxcsr", "vector", Feature::kSse, Source::kMxcsr, 0},
    {"orig_rax", 64, "int", nullptr, Feature::kLinux, Source::kGpr,
     offsetof(user_regs_struct, orig_rax)},
    {"fs_base", 64, "int", nullptr, Feature::kSegments, Source::kGpr,
     offsetof(user_regs_struct, fs_base)},
    {"gs_base", 64, "int", nullptr, Feature::kSegments, Source::kGpr,
     offsetof(user_regs_struct, gs_base)},
};

#undef GPR
#undef ST
#undef FPCTL
#undef XMM

constexpr size_t TotalBytes() {
  size_t total = 0;
  for (const RegisterInfo& r : kRegisters) total += r.bits / 8;
  return total;
}
static_assert(std::size(kRegisters) == kNumRegisters);
static_assert(TotalBytes() == kRegisterFileBytes);

// Little-endian bytes of the low `bytes` bytes of `value` (x86-64 is little-endian, so a
// memcpy of the object representation is the wire order).
std::string LowBytes(uint64_t value, size_t bytes) {
  std::string out(bytes, '\0');
  std::memcpy(out.data(), &value, bytes);
  return out;
}

uint64_t FromLowBytes(absl::string_view bytes) {
  uint64_t value = 0;
  std::memcpy(&value, bytes.data(), bytes.size());
  return value;
}

const unsigned char* StSlot(const user_fpregs_struct& fpr, size_t i) {
  return reinterpret_cast<const unsigned char*>(fpr.st_space) + 16 * i;
}

uint32_t ReadFpControl(const user_fpregs_struct& fpr, size_t which) {
  switch (which) {
    case kFctrl: return fpr.cwd;
    case kFstat: return fpr.swd;
    case kFtag: return FullTagWord(fpr.ftw & 0xff, fpr.swd, StSlot(fpr, 0));
    // In 64-bit FXSAVE the instruction/operand pointers are 64-bit; gdb shows the low
    // half as the offset and bits 32-47 as the "segment", as it does for native processes.
    case kFiseg: return (fpr.rip >> 32) & 0xffff;
    case kFioff: return fpr.rip & 0xffffffff;
    case kFoseg: return (fpr.rdp >> 32) & 0xffff;
    case kFooff: return fpr.rdp & 0xffffffff;
    case kFop: return fpr.fop & 0x7ff;
  }
  return 0;
}

void WriteFpControl(user_fpregs_struct& fpr, size_t which, uint32_t v) {
  switch (which) {
    case kFctrl: fpr.cwd = v & 0xffff; break;
    case kFstat: fpr.swd = v & 0xffff; break;
    case kFtag: fpr.ftw = AbridgedTag(v); break;
    case kFiseg: fpr.rip = (fpr.rip & 0xffffffffull) | uint64_t{v & 0xffff} << 32; break;
    case kFioff: fpr.rip = (fpr.rip & ~0xffffffffull) | v; break;
    case kFoseg: fpr.rdp = (fpr.rdp & 0xffffffffull) | uint64_t{v & 0xffff} << 32; break;
    case kFooff: fpr.rdp = (fpr.rdp & ~0xffffffffull) | v; break;
    case kFop: fpr.fop = v & 0x7ff; break;
  }
}

const char* FeatureName(Feature f) {
  switch (f) {
    case Feature::kCore: return "org.gnu.gdb.i386.core";
    case Feature::kSse: return "org.gnu.gdb.i386.sse";
    case Feature::kLinux: return "org.gnu.gdb.i386.linux";
    case Feature::kSegments: return "org.gnu.gdb.i386.segments";
  }
  return "";
}

// The named types each feature uses beyond gdb's predefined ones (int64, data_ptr,
// code_ptr, int32, int, i387_ext, ieee_single, ...).
constexpr char kCoreTypes[] =
    "  <flags id=\"i386_eflags\" size=\"4\">\n"
    "    <field name=\"CF\" start=\"0\" end=\"0\"/>\n"
    "    <field name=\"\" start=\"1\" end=\"1\"/>\n"
    "    <field name=\"PF\" start=\"2\" end=\"2\"/>\n"
    "    <field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "    <field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
    "    <field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "    <field name=\"TF\" start=\"8\" end=\"8\"/>\n"
    "    <field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "    <field name=\"DF\" start=\"10\" end=\"10\"/>\n"
    "    <field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "    <field name=\"NT\" start=\"14\" end=\"14\"/>\n"
    "    <field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "    <field name=\"VM\" start=\"17\" end=\"17\"/>\n"
    "    <field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "    <field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
    "    <field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "    <field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "  </flags>\n";

constexpr char kSseTypes[] =
    "  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "  <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    "  <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    "  <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    "  <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "  <union id=\"vec128\">\n"
    "    <field name=\"v4_float\" type=\"v4f\"/>\n"
    "    <field name=\"v2_double\" type=\"v2d\"/>\n"
    "    <field name=\"v16_int8\" type=\"v16i8\"/>\n"
    "    <field name=\"v8_int16\" type=\"v8i16\"/>\n"
    "    <field name=\"v4_int32\" type=\"v4i32\"/>\n"
    "    <field name=\"v2_int64\" type=\"v2i64\"/>\n"
    "    <field name=\"uint128\" type=\"uint128\"/>\n"
    "  </union>\n"
    "  <flags id=\"i386_mxcsr\" size=\"4\">\n"
    "    <field name=\"IE\" start=\"0\" end=\"0\"/>\n"
    "    <field name=\"DE\" start=\"1\" end=\"1\"/>\n"
    "    <field name=\"ZE\" start=\"2\" end=\"2\"/>\n"
    "    <field name=\"OE\" start=\"3\" end=\"3\"/>\n"
    "    <field name=\"UE\" start=\"4\" end=\"4\"/>\n"
    "    <field name=\"PE\" start=\"5\" end=\"5\"/>\n"
    "    <field name=\"DAZ\" start=\"6\" end=\"6\"/>\n"
    "    <field name=\"IM\" start=\"7\" end=\"7\"/>\n"
    "    <field name=\"DM\" start=\"8\" end=\"8\"/>\n"
    "    <field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
    "    <field name=\"OM\" start=\"10\" end=\"10\"/>\n"
    "    <field name=\"UM\" start=\"11\" end=\"11\"/>\n"
    "    <field name=\"PM\" start=\"12\" end=\"12\"/>\n"
    "    <field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
    "  </flags>\n";

std::string BuildTargetXml() {
  std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n"
      "  <architecture>i386:x86-64</architecture>\n"
      "  <osabi>GNU/Linux</osabi>\n";
  for (size_t i = 0; i < std::size(kRegisters);) {
    const Feature feature = kRegisters[i].feature;
    absl::StrAppend(&xml, "<feature name=\"", FeatureName(feature), "\">\n");
    if (feature == Feature::kCore) xml += kCoreTypes;
    if (feature == Feature::kSse) xml += kSseTypes;
    for (; i < std::size(kRegisters) && kRegisters[i].feature == feature; ++i) {
      const RegisterInfo& r = kRegisters[i];
      // Explicit regnums: the remote numbering (and so the g layout) is this table's order.
      absl::StrAppend(&xml, "  <reg name=\"", r.name, "\" bitsize=\"", r.bits, "\" type=\"",
                      r.type, "\" regnum=\"", i, "\"");
      if (r.group != nullptr) absl::StrAppend(&xml, " group=\"", r.group, "\"");
      xml += "/>\n";
    }
    xml += "</feature>\n";
  }
  xml += "</target>\n";
  return xml;
}

}  // namespace

std::optional<size_t> RegisterSize(int regno) {
  if (regno < 0 || regno >= kNumRegisters) return std::nullopt;
  return kRegisters[regno].bits / 8;
}

bool IsFpRegister(int regno) {
  return regno >= 0 && regno < kNumRegisters && kRegisters[regno].source != Source::kGpr;
}

std::string ReadRegister(const RegisterFile& file, int regno) {
  const RegisterInfo& r = kRegisters[regno];
  const size_t bytes = r.bits / 8;
  switch (r.source) {
    case Source::kGpr: {
      uint64_t value;
      std::memcpy(&value, reinterpret_cast<const char*>(&file.gpr) + r.index, sizeof(value));
      return LowBytes(value, bytes);
    }
    case Source::kSt:
      return std::string(reinterpret_cast<const char*>(StSlot(file.fpr, r.index)), bytes);
    case Source::kFpCtl:
      return LowBytes(ReadFpControl(file.fpr, r.index), bytes);
    case Source::kXmm:
      return std::string(reinterpret_cast<const char*>(file.fpr.xmm_space) + 16 * r.index,
                         bytes);
    case Source::kMxcsr:
      return LowBytes(file.fpr.mxcsr, bytes);
  }
  return std::string(bytes, '\0');
}

bool WriteRegister(RegisterFile& file, int regno, absl::string_view bytes) {
  const std::optional<size_t> size = RegisterSize(regno);
  if (!size.has_value() || bytes.size() != *size) return false;
  const RegisterInfo& r = kRegisters[regno];
  switch (r.source) {
    case Source::kGpr: {
      const uint64_t value = FromLowBytes(bytes);  // zero-extends the 32-bit ones
      std::memcpy(reinterpret_cast<char*>(&file.gpr) + r.index, &value, sizeof(value));
      break;
    }
    case Source::kSt:
      std::memcpy(reinterpret_cast<char*>(file.fpr.st_space) + 16 * r.index, bytes.data(),
                  bytes.size());
      break;
    case Source::kFpCtl:
      WriteFpControl(file.fpr, r.index, static_cast<uint32_t>(FromLowBytes(bytes)));
      break;
    case Source::kXmm:
      std::memcpy(reinterpret_cast<char*>(file.fpr.xmm_space) + 16 * r.index, bytes.data(),
                  bytes.size());
      break;
    case Source::kMxcsr:
      file.fpr.mxcsr = static_cast<uint32_t>(FromLowBytes(bytes));
      break;
  }
  return true;
}

std::string ReadAllRegisters(const RegisterFile& file) {
  std::string out;
  out.reserve(kRegisterFileBytes);
  for (int i = 0; i < kNumRegisters; ++i) out += ReadRegister(file, i);
  return out;
}

bool WriteAllRegisters(RegisterFile& file, absl::string_view bytes) {
  if (bytes.size() != kRegisterFileBytes) return false;
  RegisterFile updated = file;
  for (int i = 0; i < kNumRegisters; ++i) {
    const size_t size = kRegisters[i].bits / 8;
    WriteRegister(updated, i, bytes.substr(0, size));
    bytes.remove_prefix(size);
  }
  file = updated;
  return true;
}

const std::string& TargetXml() {
  static const std::string* const xml = new std::string(BuildTargetXml());
  return *xml;
}

unsigned FullTagWord(unsigned abridged, unsigned fstat, const unsigned char* st_space) {
  const unsigned top = (fstat >> 11) & 7;
  unsigned full = 0;
  for (unsigned physical = 0; physical < 8; ++physical) {
    unsigned tag = 3;  // empty
    if (abridged & (1u << physical)) {
      const unsigned char* raw = st_space + 16 * ((physical - top) & 7);
      const unsigned exponent = (raw[8] | raw[9] << 8) & 0x7fff;
      uint64_t mantissa;
      std::memcpy(&mantissa, raw, sizeof(mantissa));
      const bool integer_bit = (mantissa >> 63) != 0;
      if (exponent == 0x7fff) {
        tag = 2;                                  // infinity or NaN
      } else if (exponent == 0) {
        tag = mantissa == 0 ? 1 : 2;              // zero, or denormal
      } else {
        tag = integer_bit ? 0 : 2;                // valid, or unnormal
      }
    }
    full |= tag << (2 * physical);
  }
  return full;
}

unsigned AbridgedTag(unsigned full) {
  unsigned abridged = 0;
  for (unsigned physical = 0; physical < 8; ++physical) {
    if (((full >> (2 * physical)) & 3) != 3) abridged |= 1u << physical;
  }
  return abridged;
}

}  // namespace ravel::gdb
