#include "scheduler/atomics.h"

#include <Zydis/Zydis.h>
#include <elf.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>

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

// Whether the instruction at `at` (decoded, operands not yet) closes a spin loop: a short
// conditional jump back to an instruction boundary with only spin-body instructions
// between. Returns the loop's head (its link-time address) if so.
std::optional<uint64_t> SpinLoopHead(const ZydisDecoder& decoder, const uint8_t* code, uint64_t at,
                                     const ZydisDecodedInstruction& insn, uint64_t base) {
  if (insn.meta.category != ZYDIS_CATEGORY_COND_BR || !insn.raw.imm[0].is_relative) return std::nullopt;
  const uint64_t next = at + insn.length;
  const int64_t target = static_cast<int64_t>(next) + insn.raw.imm[0].value.s;
  if (target < 0 || static_cast<uint64_t>(target) >= at || at - static_cast<uint64_t>(target) > kMaxSpinLoopBytes) {
    return std::nullopt;
  }
  // The body, decoded from the target: it must end exactly at the jump.
  uint64_t pc = static_cast<uint64_t>(target);
  bool reads_memory = false;
  while (pc < at) {
    ZydisDecodedInstruction body;
    ZydisDecodedOperand body_ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + pc, at - pc, &body, body_ops)) ||
        !SpinBodyInstruction(body, body_ops, &reads_memory)) {
      return std::nullopt;
    }
    pc += body.length;
  }
  if (pc != at || !reads_memory) return std::nullopt;
  return base + static_cast<uint64_t>(target);
}

// One linear pass over `size` bytes of code linked at `base`: its atomic instructions and
// its spin loops' heads (appended, each ascending within the pass). Operands are decoded
// only for the few instructions that need them (XCHG), which halves the cost of a pass.
void ScanCode(const uint8_t* code, uint64_t size, uint64_t base, std::vector<uint64_t>* atomics,
              std::vector<uint64_t>* spin_heads) {
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  uint64_t at = 0;
  while (at < size) {
    ZydisDecoderContext context;
    ZydisDecodedInstruction insn;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, &context, code + at, size - at, &insn))) {
      ++at;
      continue;
    }
    bool atomic = (insn.attributes & ZYDIS_ATTRIB_HAS_LOCK) != 0;
    if (!atomic && insn.mnemonic == ZYDIS_MNEMONIC_XCHG) {
      ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
      if (ZYAN_SUCCESS(ZydisDecoderDecodeOperands(&decoder, &context, &insn, ops, insn.operand_count_visible))) {
        for (int k = 0; k < insn.operand_count_visible; ++k) atomic |= ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY;
      }
    }
    if (atomic && atomics != nullptr) atomics->push_back(base + at);
    if (spin_heads != nullptr) {
      if (std::optional<uint64_t> head = SpinLoopHead(decoder, code, at, insn, base)) spin_heads->push_back(*head);
    }
    at += insn.length;
  }
}

absl::StatusOr<AtomicSites> ScanElf(const std::string& path, uint64_t file_size,
                                    const std::function<bool(uint64_t, void*, size_t)>& read_at) {
  auto bad = [&](const char* why) { return absl::InvalidArgumentError(absl::StrCat(path, ": ", why)); };
  Elf64_Ehdr eh;
  if (file_size < sizeof(Elf64_Ehdr) || !read_at(0, &eh, sizeof(eh))) return bad("not an ELF file");
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
    return bad("not an x86-64 ELF file");
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > file_size ||
      static_cast<uint64_t>(eh.e_shnum) * sizeof(Elf64_Shdr) > file_size - eh.e_shoff) {
    return bad("bad section headers");
  }
  AtomicSites sites;
  sites.entry = eh.e_entry;
  if (eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phoff <= file_size &&
      static_cast<uint64_t>(eh.e_phnum) * sizeof(Elf64_Phdr) <= file_size - eh.e_phoff) {
    std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
    if (read_at(eh.e_phoff, phdrs.data(), phdrs.size() * sizeof(Elf64_Phdr))) {
      for (const Elf64_Phdr& ph : phdrs) {
        if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
        sites.exec_segments.push_back({ph.p_offset & ~uint64_t{4095}, ph.p_vaddr & ~uint64_t{4095}, ph.p_vaddr + ph.p_memsz});
      }
    }
  }
  std::vector<Elf64_Shdr> shdrs(eh.e_shnum);
  if (!read_at(eh.e_shoff, shdrs.data(), shdrs.size() * sizeof(Elf64_Shdr))) return bad("bad section headers");
  std::vector<uint8_t> code;
  for (const Elf64_Shdr& sh : shdrs) {
    if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR)) continue;
    if (sh.sh_offset > file_size || sh.sh_size > file_size - sh.sh_offset) return bad("a section lies outside the file");
    code.resize(sh.sh_size);
    if (!read_at(sh.sh_offset, code.data(), code.size())) return bad("a section cannot be read");
    ScanCode(code.data(), code.size(), sh.sh_addr, &sites.addresses, &sites.spin_heads);
  }
  std::sort(sites.addresses.begin(), sites.addresses.end());
  std::sort(sites.spin_heads.begin(), sites.spin_heads.end());
  sites.spin_heads.erase(std::unique(sites.spin_heads.begin(), sites.spin_heads.end()), sites.spin_heads.end());
  return sites;
}

}  // namespace

std::vector<uint64_t> FindSpinLoopHeads(const uint8_t* code, uint64_t size, uint64_t base) {
  std::vector<uint64_t> heads;
  ScanCode(code, size, base, nullptr, &heads);
  std::sort(heads.begin(), heads.end());
  heads.erase(std::unique(heads.begin(), heads.end()), heads.end());
  return heads;
}

absl::StatusOr<AtomicSites> FindAtomicInstructions(const std::string& path) {
  // Only the headers and the executable sections are read: a test binary's debug
  // information can be ten times its code.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  auto read_at = [fd](uint64_t offset, void* buf, size_t n) {
    size_t done = 0;
    while (done < n) {
      const ssize_t got = pread(fd, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(offset + done));
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  };
  absl::StatusOr<AtomicSites> result = ScanElf(path, file_size, read_at);
  close(fd);
  return result;
}

const AtomicSites* CachedAtomicSites(const std::string& path, absl::Status* error) {
  // Keyed by the file's identity, so that a rebuilt executable is scanned again.
  struct Key {
    std::string path;
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    bool operator<(const Key& o) const {
      return std::tie(path, dev, ino, size, mtime_ns) < std::tie(o.path, o.dev, o.ino, o.size, o.mtime_ns);
    }
  };
  static std::mutex mu;
  static std::map<Key, std::unique_ptr<const AtomicSites>>* cache = new std::map<Key, std::unique_ptr<const AtomicSites>>;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    *error = absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
    return nullptr;
  }
  const Key key{path, st.st_dev, st.st_ino, st.st_size,
                static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(key);
  if (it != cache->end()) return it->second.get();
  absl::StatusOr<AtomicSites> sites = FindAtomicInstructions(path);
  if (!sites.ok()) {
    *error = sites.status();
    return nullptr;
  }
  return cache->emplace(key, std::make_unique<const AtomicSites>(std::move(*sites))).first->second.get();
}

}  // namespace ravel
