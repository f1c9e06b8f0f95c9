// What a scheduling point's operation touches (SchedulingPoint::resource), for the
// strategies that tell conflicting operations from independent ones (pos, surw).
//
// Resources are compared for equality only. A futex call's resource is its futex word's
// address (the same word a lock's sync point names, for glibc's mutexes), an fd call's is
// the calling process's fd, tagged with kFdResourceTag so that it never equals an address.
// Calls on paths, memory or nothing in particular have none (0).
#ifndef RAVEL_SCHEDULER_RESOURCE_H_
#define RAVEL_SCHEDULER_RESOURCE_H_

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

struct user_regs_struct;

namespace ravel {

// The resource of syscall `nr` with `args`, made by the process numbered `process` (a
// number that is the same in every run, not its pid); 0 if it has none.
uint64_t SyscallResource(int64_t nr, const std::array<uint64_t, 6>& args, int process);

// The address of the memory operand of the instruction whose bytes are `code` (at most
// `size`, 15 suffice), at address `ip`, with registers `regs`: base + index * scale +
// displacement (RIP-relative from the next instruction; FS/GS-relative from the thread's
// segment base). nullopt if the bytes do not decode or the instruction has no memory
// operand.
std::optional<uint64_t> MemoryOperandAddress(const uint8_t* code, size_t size, uint64_t ip,
                                             const user_regs_struct& regs);

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_RESOURCE_H_
