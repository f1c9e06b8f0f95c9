// Where a program's atomic instructions are: LOCK-prefixed instructions and XCHG with a
// memory operand (implicitly locked), found by decoding the executable sections of an
// ELF file with Zydis, for --preempt atomic.
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
  // Executable PT_LOAD segments: where a mapping of the file at `offset` (page-aligned)
  // puts link-time address `vaddr` (page-aligned), and how far the segment reaches.
  struct Segment {
    uint64_t offset = 0, vaddr = 0, end = 0;
  };
  std::vector<Segment> exec_segments;
};

// Decodes every SHF_EXECINSTR section of the x86-64 ELF file at `path` linearly (an
// undecodable byte is skipped). InvalidArgument for a file that is not one.
absl::StatusOr<AtomicSites> FindAtomicInstructions(const std::string& path);

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_ATOMICS_H_
