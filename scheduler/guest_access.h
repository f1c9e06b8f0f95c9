// What the scheduler's parts need of a guest, as narrow interfaces of their own.
//
// Guest (intercept/guest.h) is a concrete handle on a stopped thread, bound to the tracer.
// A part that plants an int3 or steps a thread over one asks only for what it uses: the
// code bytes of a process (ProcessCode), and a stopped thread's registers and single steps
// (SteppableThread). The scheduler hands the parts the adapters below (GuestCode,
// GuestThread); their unit tests hand them fakes (scheduler/fake_guest_test_util.h), so
// that they run without a guest.
#ifndef RAVEL_SCHEDULER_GUEST_ACCESS_H_
#define RAVEL_SCHEDULER_GUEST_ACCESS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "intercept/guest.h"
#include "intercept/memory.h"
#include "intercept/regs.h"
#include "intercept/remote_ptr.h"

namespace ravel {

// The code of one guest process: read it, and write a byte over it (an int3, or the byte
// it covered), executable and read-only mappings included.
class ProcessCode {
 public:
  virtual ~ProcessCode() = default;
  // All `n` bytes at `at`, or an error.
  virtual absl::Status ReadCode(RemotePtr<uint8_t> at, uint8_t* bytes, size_t n) = 0;
  virtual absl::Status PokeCode(RemotePtr<uint8_t> at, uint8_t byte) = 0;
};

// One stopped guest thread: its process's code, its registers, and one instruction at a
// time.
class SteppableThread : public ProcessCode {
 public:
  virtual absl::StatusOr<Registers> GetRegisters() = 0;
  virtual absl::Status SetRegisters(const Registers& regs) = 0;
  // Runs the instruction at the thread's ip and stops it after it.
  virtual absl::Status SingleStep() = 0;
};

// ProcessCode of a real guest process, through its GuestMemory (not owned).
class GuestCode : public ProcessCode {
 public:
  explicit GuestCode(GuestMemory& memory) : memory_(memory) {}
  absl::Status ReadCode(RemotePtr<uint8_t> at, uint8_t* bytes, size_t n) override {
    return memory_.ReadArray(at, bytes, n);
  }
  absl::Status PokeCode(RemotePtr<uint8_t> at, uint8_t byte) override { return memory_.Poke(at, byte); }

 private:
  GuestMemory& memory_;
};

// SteppableThread of the real guest thread that `guest` (not owned) stands for.
class GuestThread : public SteppableThread {
 public:
  explicit GuestThread(Guest& guest) : guest_(guest), code_(guest.memory()) {}
  absl::Status ReadCode(RemotePtr<uint8_t> at, uint8_t* bytes, size_t n) override {
    return code_.ReadCode(at, bytes, n);
  }
  absl::Status PokeCode(RemotePtr<uint8_t> at, uint8_t byte) override { return code_.PokeCode(at, byte); }
  absl::StatusOr<Registers> GetRegisters() override { return guest_.GetRegisters(); }
  absl::Status SetRegisters(const Registers& regs) override { return guest_.SetRegisters(regs); }
  absl::Status SingleStep() override { return guest_.SingleStep(); }

 private:
  Guest& guest_;
  GuestCode code_;
};

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_GUEST_ACCESS_H_
