#include "scheduler/atomics.h"

#include <Zydis/Zydis.h>
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace ravel {
namespace {

// An instruction a spin loop's body may hold: it reads, compares or waits, and writes no
// memory and nothing but its destination register and the flags. `reads_memory`: it
// loads from memory.
bool SpinBodyInstruction(const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops, bool* reads_memory) {
  if (insn.attributes & ZYDIS_ATTRIB_HAS_LOCK) return false;
  bool memory = false;
  for (int k = 0; k < insn.operand_count_visible; ++k) memory |= ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY;
  switch (insn.mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
    case ZYDIS_MNEMONIC_MOVZX:
    case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_MOVSXD:
      // A load (or a register copy): never a store.
      if (insn.operand_count_visible < 2 || ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER) return false;
      *reads_memory |= memory;
      return true;
    case ZYDIS_MNEMONIC_TEST:
    case ZYDIS_MNEMONIC_CMP:
      *reads_memory |= memory;
      return true;
    case ZYDIS_MNEMONIC_PAUSE:
    case ZYDIS_MNEMONIC_NOP:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<uint64_t> FindSpinLoopHeads(const uint8_t* code, uint64_t size, uint64_t base) {
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  std::vector<uint64_t> heads;
  uint64_t at = 0;
  while (at < size) {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + at, size - at, &insn, ops))) {
      ++at;
      continue;
    }
    const uint64_t next = at + insn.length;
    if (insn.meta.category == ZYDIS_CATEGORY_COND_BR && insn.operand_count_visible == 1 &&
        ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[0].imm.is_relative) {
      const int64_t target = static_cast<int64_t>(next) + ops[0].imm.value.s;
      if (target >= 0 && static_cast<uint64_t>(target) < at && at - static_cast<uint64_t>(target) <= kMaxSpinLoopBytes) {
        // The body, decoded from the target: it must end exactly at the jump.
        uint64_t pc = static_cast<uint64_t>(target);
        bool spin = true, reads_memory = false;
        while (spin && pc < at) {
          ZydisDecodedInstruction body;
          ZydisDecodedOperand body_ops[ZYDIS_MAX_OPERAND_COUNT];
          spin = ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + pc, at - pc, &body, body_ops)) &&
                 SpinBodyInstruction(body, body_ops, &reads_memory);
          if (spin) pc += body.length;
        }
        if (spin && pc == at && reads_memory) heads.push_back(base + static_cast<uint64_t>(target));
      }
    }
    at = next;
  }
  std::sort(heads.begin(), heads.end());
  heads.erase(std::unique(heads.begin(), heads.end()), heads.end());
  return heads;
}

absl::StatusOr<AtomicSites> FindAtomicInstructions(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const char* why) { return absl::InvalidArgumentError(absl::StrCat(path, ": ", why)); };
  if (file.size() < sizeof(Elf64_Ehdr)) return bad("not an ELF file");
  Elf64_Ehdr eh;
  memcpy(&eh, file.data(), sizeof(eh));
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
    return bad("not an x86-64 ELF file");
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > file.size() ||
      static_cast<uint64_t>(eh.e_shnum) * sizeof(Elf64_Shdr) > file.size() - eh.e_shoff) {
    return bad("bad section headers");
  }
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  AtomicSites sites;
  sites.entry = eh.e_entry;
  if (eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phoff <= file.size() &&
      static_cast<uint64_t>(eh.e_phnum) * sizeof(Elf64_Phdr) <= file.size() - eh.e_phoff) {
    for (int i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph;
      memcpy(&ph, file.data() + eh.e_phoff + static_cast<uint64_t>(i) * sizeof(ph), sizeof(ph));
      if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
      sites.exec_segments.push_back({ph.p_offset & ~uint64_t{4095}, ph.p_vaddr & ~uint64_t{4095}, ph.p_vaddr + ph.p_memsz});
    }
  }
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    memcpy(&sh, file.data() + eh.e_shoff + static_cast<uint64_t>(i) * sizeof(sh), sizeof(sh));
    if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR)) continue;
    if (sh.sh_offset > file.size() || sh.sh_size > file.size() - sh.sh_offset) return bad("a section lies outside the file");
    const auto* code = reinterpret_cast<const uint8_t*>(file.data() + sh.sh_offset);
    uint64_t at = 0;
    while (at < sh.sh_size) {
      ZydisDecodedInstruction insn;
      ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
      if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + at, sh.sh_size - at, &insn, ops))) {
        ++at;
        continue;
      }
      bool atomic = (insn.attributes & ZYDIS_ATTRIB_HAS_LOCK) != 0;
      if (!atomic && insn.mnemonic == ZYDIS_MNEMONIC_XCHG) {
        for (int k = 0; k < insn.operand_count_visible; ++k) atomic |= ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY;
      }
      if (atomic) sites.addresses.push_back(sh.sh_addr + at);
      at += insn.length;
    }
    for (uint64_t head : FindSpinLoopHeads(code, sh.sh_size, sh.sh_addr)) sites.spin_heads.push_back(head);
  }
  std::sort(sites.spin_heads.begin(), sites.spin_heads.end());
  return sites;
}

}  // namespace ravel
