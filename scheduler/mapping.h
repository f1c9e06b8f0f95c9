// The mapping of a guest process that holds an address: what a shared futex is keyed by.
//
// Linux 6.11 and later answer this for one address (the PROCMAP_QUERY ioctl on
// /proc/PID/maps); older kernels only have the text of the whole map, which in a process
// with hundreds of thread stacks is thousands of lines, read at every join. Both give
// the same answer; the ioctl is tried first and, once refused, never again.
#ifndef RAVEL_SCHEDULER_MAPPING_H_
#define RAVEL_SCHEDULER_MAPPING_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace ravel {

struct Mapping {
  uint64_t start = 0, end = 0;
  bool shared = false;  // MAP_SHARED and backed by an object (a file, shmem)
  uint64_t dev = 0;     // major << 32 | minor
  uint64_t inode = 0;
  uint64_t offset = 0;  // of the address in the object
};

enum class MapsSource { kAny, kQuery, kText };

// The mapping of `pid` that holds `addr`; nullopt when it is unmapped or the process is
// gone. kQuery and kText force one way (for tests); kQuery gives nullopt where the
// kernel lacks it.
std::optional<Mapping> MappingAt(pid_t pid, uint64_t addr, MapsSource source = MapsSource::kAny);

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_MAPPING_H_
