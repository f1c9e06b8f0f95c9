// The trampoline: a small region ravel maps into every guest process after each exec, at a
// fixed address chosen before the guest starts (the seccomp filter, installed before exec
// and immutable afterwards, has to name it).
//
// Layout (code: read+exec; data: read+write; both MAP_SHARED from one memfd that the tracer
// also maps, so the tracer reads and writes the data region with plain loads and stores):
//
//   kBase + 0                      syscall ; int3        <- injected syscalls run here; the
//                                                           filter always allows a syscall
//                                                           whose return address is kBase+2
//   kBase + 16                     16 zero bytes: a zero timespec or timeval a tool can
//                                                           pass to an injected call (read-only)
//   kBase + kStubsOffset + 32*i    syscall               <- only reached when the kernel
//                                                           rewinds a restarted call (traced
//                                                           if subscribed, else just run)
//                                  mov %rax, result_i(%rip)
//                                  movb $1, done_i(%rip)
//                                  jmp *resume_i(%rip)
//   kBase + kCodeSize + 32*i       result_i (8) | resume_i (8) | done_i (1)
//   kScratch (last 4 KiB of data)  the tracer's scratch space
//
// Stub i gives guest thread i a way to run its own syscall and carry on without a second
// ptrace stop while the tracer still learns the result (Guest::TailInjectObserved): at the
// seccomp stop the tracer points rip at the stub (after the syscall instruction) and stores
// the real return address in resume_i. The stub touches no register but rip, so the guest
// sees exactly what a plain syscall return gives it.
#ifndef RAVEL_INTERCEPT_TRAMPOLINE_H_
#define RAVEL_INTERCEPT_TRAMPOLINE_H_

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace ravel {

namespace trampoline {
// 0x70000000 lies in the gap between a non-PIE executable's heap and the mmap area and far
// below where the kernel places PIE binaries and libraries; MAP_FIXED_NOREPLACE makes a
// collision an error instead of a clobber.
inline constexpr uint64_t kBase = 0x70000000;
inline constexpr uint64_t kCodeSize = 64 * 1024;
inline constexpr uint64_t kDataSize = 64 * 1024;
inline constexpr uint64_t kSyscallSite = kBase;          // syscall; int3
inline constexpr uint64_t kSyscallReturn = kBase + 2;    // rip seen by seccomp / after the call
inline constexpr uint64_t kZeroTimeout = kBase + 16;
inline constexpr uint64_t kStubsOffset = 64;
inline constexpr uint64_t kStubSize = 32;
inline constexpr uint64_t kSlotSize = 32;
// The end of the data region is scratch space for the tracer (e.g. a seccomp program the
// guest is made to install); stub slots use the rest.
inline constexpr uint64_t kScratchSize = 4096;
inline constexpr uint64_t kScratchOffset = kDataSize - kScratchSize;  // within the data region
inline constexpr uint64_t kScratch = kBase + kCodeSize + kScratchOffset;
inline constexpr int kMaxStubs = static_cast<int>(
    std::min((kCodeSize - kStubsOffset) / kStubSize, kScratchOffset / kSlotSize));
inline constexpr uint64_t kStubsBegin = kBase + kStubsOffset;
inline constexpr uint64_t kStubsEnd = kBase + kCodeSize;

inline constexpr uint64_t StubSyscall(int i) { return kStubsBegin + kStubSize * i; }
inline constexpr uint64_t StubEntry(int i) { return StubSyscall(i) + 2; }
}  // namespace trampoline

// The tracer's view of one trampoline instance (one per exec'd image; forked children share
// their parent's, as the mapping is MAP_SHARED).
class TrampolineMapping {
 public:
  // Builds the memfd image in the tracer; the guest maps `fd` after it is handed over.
  static absl::StatusOr<std::shared_ptr<TrampolineMapping>> Create(int local_fd);
  ~TrampolineMapping();
  TrampolineMapping(const TrampolineMapping&) = delete;
  TrampolineMapping& operator=(const TrampolineMapping&) = delete;

  // Stub slots, handed out to threads of the processes sharing this instance.
  int AllocateStub();   // -1 when all are taken
  void FreeStub(int i);
  void FreeAllStubs();

  struct Slot {
    volatile uint64_t result;
    volatile uint64_t resume;
    volatile uint8_t done;
  };
  Slot& slot(int i);
  // The tracer's view of the scratch space (kScratchSize bytes at kScratch in the guest).
  uint8_t* scratch();

 private:
  TrampolineMapping(int fd, uint8_t* local);
  int fd_;
  uint8_t* local_;
  std::vector<int> free_stubs_;
  std::vector<bool> written_;  // stub code written (on first allocation)
};

// Writes the fixed part of the trampoline's code into `code` (a zero-filled kCodeSize
// bytes): the syscall site and the zero timeout. Stub i is written by WriteStub when it is
// first handed out.
void BuildTrampolineCode(uint8_t* code);
void WriteStub(uint8_t* code, int i);

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_TRAMPOLINE_H_
