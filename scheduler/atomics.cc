#include "scheduler/atomics.h"

#include <Zydis/Zydis.h>
#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace ravel {

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
  }
  return sites;
}

}  // namespace ravel
