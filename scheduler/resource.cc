#include "scheduler/resource.h"

#include <sys/syscall.h>
#include <sys/user.h>

#include <Zydis/Zydis.h>

#include "strategies/strategy.h"

namespace ravel {
namespace {

bool TakesFdFirst(int64_t nr) {
  switch (nr) {
    case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64: case SYS_readv:
    case SYS_writev: case SYS_preadv: case SYS_pwritev: case SYS_preadv2: case SYS_pwritev2:
    case SYS_close: case SYS_lseek: case SYS_fsync: case SYS_fdatasync: case SYS_ftruncate:
    case SYS_fstat: case SYS_flock: case SYS_fcntl: case SYS_ioctl: case SYS_dup:
    case SYS_sendto: case SYS_recvfrom: case SYS_sendmsg: case SYS_recvmsg: case SYS_sendmmsg:
    case SYS_recvmmsg: case SYS_shutdown: case SYS_accept: case SYS_accept4: case SYS_connect:
    case SYS_getdents64: case SYS_fallocate: case SYS_sync_file_range:
      return true;
    default:
      return false;
  }
}

// The value of a 64-bit (or 32-bit, zero-extended as an address would be) general register.
std::optional<uint64_t> RegisterValue(ZydisRegister reg, const user_regs_struct& r) {
  switch (reg) {
    case ZYDIS_REGISTER_NONE: return 0;
    case ZYDIS_REGISTER_RAX: return r.rax;
    case ZYDIS_REGISTER_RBX: return r.rbx;
    case ZYDIS_REGISTER_RCX: return r.rcx;
    case ZYDIS_REGISTER_RDX: return r.rdx;
    case ZYDIS_REGISTER_RSI: return r.rsi;
    case ZYDIS_REGISTER_RDI: return r.rdi;
    case ZYDIS_REGISTER_RBP: return r.rbp;
    case ZYDIS_REGISTER_RSP: return r.rsp;
    case ZYDIS_REGISTER_R8: return r.r8;
    case ZYDIS_REGISTER_R9: return r.r9;
    case ZYDIS_REGISTER_R10: return r.r10;
    case ZYDIS_REGISTER_R11: return r.r11;
    case ZYDIS_REGISTER_R12: return r.r12;
    case ZYDIS_REGISTER_R13: return r.r13;
    case ZYDIS_REGISTER_R14: return r.r14;
    case ZYDIS_REGISTER_R15: return r.r15;
    default: break;
  }
  // A 32-bit address register (an address-size prefix): the low half of its 64-bit one.
  const ZydisRegister wide = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
  if (wide != reg && ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, reg) == 32) {
    if (std::optional<uint64_t> v = RegisterValue(wide, r)) return *v & 0xffffffffu;
  }
  return std::nullopt;
}

}  // namespace

uint64_t SyscallResource(int64_t nr, const std::array<uint64_t, 6>& args, int process) {
  if (nr == SYS_futex) return args[0];
  if (TakesFdFirst(nr)) {
    const uint64_t fd = args[0] & 0xfffff;
    return kFdResourceTag | (static_cast<uint64_t>(static_cast<uint32_t>(process)) << 20) | fd;
  }
  return 0;
}

std::optional<uint64_t> MemoryOperandAddress(const uint8_t* code, size_t size, uint64_t ip,
                                             const user_regs_struct& regs) {
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code, size, &insn, ops))) return std::nullopt;
  for (int k = 0; k < insn.operand_count_visible; ++k) {
    const ZydisDecodedOperand& op = ops[k];
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.mem.type != ZYDIS_MEMOP_TYPE_MEM) continue;
    uint64_t address = 0;
    if (op.mem.base == ZYDIS_REGISTER_RIP) {
      address = ip + insn.length;
    } else {
      std::optional<uint64_t> base = RegisterValue(op.mem.base, regs);
      if (!base.has_value()) return std::nullopt;
      address = *base;
    }
    std::optional<uint64_t> index = RegisterValue(op.mem.index, regs);
    if (!index.has_value()) return std::nullopt;
    address += *index * (op.mem.scale == 0 ? 1 : op.mem.scale);
    if (op.mem.disp.has_displacement) address += static_cast<uint64_t>(op.mem.disp.value);
    if (op.mem.segment == ZYDIS_REGISTER_FS) address += regs.fs_base;
    if (op.mem.segment == ZYDIS_REGISTER_GS) address += regs.gs_base;
    if (insn.address_width == 32) address &= 0xffffffffu;
    return address;
  }
  return std::nullopt;
}

}  // namespace ravel
