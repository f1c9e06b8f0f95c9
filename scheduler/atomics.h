// Where a program's atomic instructions are: LOCK-prefixed instructions and XCHG with a
// memory operand (implicitly locked), found by decoding the executable sections of an
// ELF file with Zydis, for --preempt atomic. And where its spin loops are, for --preempt
// spin: a loop that only reads memory and compares, such as
//     1560: mov -0x44(%rbp),%eax;  test %eax,%eax;  je 1560
// (`while (!flag) ;` on a volatile or relaxed-atomic flag) can end only when another
// thread writes that memory, so each pass through its head is a wait: a point, and a yield.
#ifndef RAVEL_SCHEDULER_ATOMICS_H_
#define RAVEL_SCHEDULER_ATOMICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ravel {

struct AtomicSites {
  uint64_t entry = 0;              // e_entry: with AT_ENTRY, gives the load bias
  std::vector<uint64_t> addresses; // link-time virtual addresses, ascending
  std::vector<uint64_t> spin_heads; // the first instruction of each spin loop, ascending
  // Executable PT_LOAD segments: where a mapping of the file at `offset` (page-aligned)
  // puts link-time address `vaddr` (page-aligned), and how far the segment reaches.
  struct Segment {
    uint64_t offset = 0, vaddr = 0, end = 0;
  };
  std::vector<Segment> exec_segments;
};

// Decodes every SHF_EXECINSTR section of the x86-64 ELF file at `path` linearly (an
// undecodable byte is skipped). InvalidArgument for a file that is not one.
// Only the ELF headers and the executable sections are read.
absl::StatusOr<AtomicSites> FindAtomicInstructions(const std::string& path);

// FindAtomicInstructions, once per file per process: the answer is kept for the life of
// the process, keyed by the file's path, device, inode, size and modification time (a
// rebuilt file is scanned again). Stress's schedules then scan each executable once, not
// once a run. Null, with `*error` set, when the file cannot be scanned. Thread-safe.
const AtomicSites* CachedAtomicSites(const std::string& path, absl::Status* error);

// The spin loops of `size` bytes of code linked at `base`: a conditional jump back at most
// kMaxSpinLoopBytes to an instruction boundary, with nothing between but reads of memory
// into registers (MOV, MOVZX, MOVSX, MOVSXD), TEST, CMP, PAUSE and NOP, at least one of
// them reading memory. Returns the addresses of their first instructions, ascending.
inline constexpr uint64_t kMaxSpinLoopBytes = 48;
std::vector<uint64_t> FindSpinLoopHeads(const uint8_t* code, uint64_t size, uint64_t base);

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_ATOMICS_H_
