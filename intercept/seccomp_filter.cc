#include "intercept/seccomp_filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "base/logging.h"
#include "intercept/trampoline.h"

namespace ravel {
namespace {

constexpr uint32_t kX32SyscallBit = 0x40000000;

sock_filter Stmt(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }
sock_filter Jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return BPF_JUMP(code, k, jt, jf);
}

constexpr uint32_t kIpLowOffset = offsetof(seccomp_data, instruction_pointer);
constexpr uint32_t kIpHighOffset = offsetof(seccomp_data, instruction_pointer) + 4;

}  // namespace

std::vector<sock_filter> BuildSeccompFilter(const SyscallSet& traced, const std::vector<SeccompExemption>& exempt) {
  using namespace trampoline;
  const uint32_t kErrnoNosys = SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA);
  std::vector<sock_filter> p;
  // 1. Architecture and x32.
  p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  p.push_back(Stmt(BPF_RET | BPF_K, kErrnoNosys));
  p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  p.push_back(Jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 0, 1));
  p.push_back(Stmt(BPF_RET | BPF_K, kErrnoNosys));
  // Exemptions, with nr in the accumulator: seven instructions each, which load it again.
  for (const SeccompExemption& e : exempt) {
    CHECK(e.nr >= 0 && e.arg >= 0 && e.arg < 6) << "bad seccomp exemption";
    const uint32_t arg_low = static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * static_cast<uint32_t>(e.arg));
    p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(e.nr), 0, 6));
    p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, arg_low));
    p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(e.value), 0, 3));
    p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, arg_low + 4));
    p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(e.value >> 32), 0, 1));
    p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  }
  // 2. A subscribed call: traced, unless it is ravel's own (it returns to the trampoline's
  // syscall site). Six instructions, emitted after each subscribed range.
  auto subscribed = [&p] {
    p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, kIpHighOffset));
    p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(kSyscallReturn >> 32), 0, 3));
    p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, kIpLowOffset));
    p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(kSyscallReturn), 0, 1));
    p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
  };
  constexpr uint8_t kSubscribedLength = 6;
  if (traced.all()) {
    subscribed();
    return p;
  }
  // 3. Subscribed numbers as ascending ranges; below a range's start means "not
  // subscribed". Those paths read only arch and nr, so the kernel's seccomp cache can
  // answer them without running the program at all.
  int nr = 0;
  while (nr < kSyscallLimit) {
    if (!traced.test(nr)) {
      ++nr;
      continue;
    }
    int lo = nr;
    while (nr < kSyscallLimit && traced.test(nr)) ++nr;
    int hi = nr - 1;
    p.push_back(Jump(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(lo), 1, 0));
    p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    p.push_back(Jump(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(hi), kSubscribedLength, 0));
    subscribed();
  }
  p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  CHECK_LE(p.size(), static_cast<size_t>(BPF_MAXINSNS)) << "seccomp program too long";
  return p;
}

int InstallSeccompFilter(const std::vector<sock_filter>& program) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  const_cast<sock_filter*>(program.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
}

uint32_t EvaluateSeccompFilter(const std::vector<sock_filter>& program, const seccomp_data& data,
                               std::vector<uint32_t>* loads) {
  uint32_t acc = 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>(&data);
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& in = program[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        CHECK_LE(in.k + 4, sizeof(data));
        memcpy(&acc, bytes + in.k, 4);
        if (loads != nullptr) loads->push_back(in.k);
        break;
      case BPF_RET | BPF_K:
        return in.k;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += (acc == in.k) ? in.jt : in.jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += (acc >= in.k) ? in.jt : in.jf;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += (acc > in.k) ? in.jt : in.jf;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (acc & in.k) ? in.jt : in.jf;
        break;
      default:
        LOG(FATAL) << "unexpected BPF instruction code " << in.code << " at " << pc;
    }
  }
  LOG(FATAL) << "seccomp program fell off its end";
  __builtin_unreachable();
}

}  // namespace ravel
