// Guest: a handler's handle on the guest thread whose event it is handling.
//
// Valid only for the duration of the callback it was passed to. Gives the thread's ids,
// registers and memory, and the ways to run syscalls in it:
//   Inject(call)              run `call` now, return its result; the thread stays stopped
//                             (two stops: the entry already taken, one more for the result)
//   TailInject(call)          run `call` as this thread's syscall and let the thread go on
//                             without waiting (no further stop). Return its result from the
//                             handler: `return guest.TailInject(call);`
//   TailInjectObserved(call, done)
//                             as TailInject, and `done(result)` is called once the result
//                             is known, after the thread has moved on (the trampoline stub
//                             records it; no second stop). `done` must not use the Guest.
//   return value              from OnSyscall: the syscall is not run; the guest sees `value`
//                             (negative errno for a failure).
// Thread/process state: ThreadState<T>() / ProcessState<T>() create a T on first use and
// keep it until the thread/process is gone.
#ifndef RAVEL_INTERCEPT_GUEST_H_
#define RAVEL_INTERCEPT_GUEST_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <typeinfo>

#include "base/logging.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "intercept/memory.h"
#include "intercept/regs.h"
#include "intercept/tool.h"

namespace ravel {

namespace internal {
struct ThreadRecord;
struct ProcessRecord;
class TracerCore;

// Type-checked owner of one tool-defined state object.
class StateSlot {
 public:
  template <typename T>
  T& Get() {
    if (!value_) {
      value_ = std::make_shared<T>();
      type_ = &typeid(T);
    }
    CHECK(*type_ == typeid(T)) << "state slot holds " << type_->name() << ", asked for "
                               << typeid(T).name();
    return *static_cast<T*>(value_.get());
  }
  bool empty() const { return value_ == nullptr; }

 private:
  std::shared_ptr<void> value_;
  const std::type_info* type_ = nullptr;
};
}  // namespace internal

class Guest {
 public:
  Guest(internal::TracerCore& core, internal::ThreadRecord& thread);

  pid_t tid() const;
  pid_t pid() const;            // thread group id
  // Creation order of the thread in this run: 0 for the first thread, then 1, 2, ...
  int thread_index() const;
  // True when this is the first thread of the run (the command ravel started).
  bool is_initial_thread() const { return thread_index() == 0; }

  absl::StatusOr<Registers> GetRegisters();
  absl::Status SetRegisters(const Registers& regs);
  GuestMemory& memory() { return memory_; }

  absl::StatusOr<int64_t> Inject(const Syscall& call);
  // Handlers only: suspends this handler, the thread staying stopped, until some handler
  // or OnTick calls control().Unpark(tid()). Returns false if the thread vanished meanwhile.
  bool Park();
  // Handlers of OnSignal and OnInterrupt only: runs one instruction of the thread
  // (PTRACE_SINGLESTEP) from its registers as the handler set them, and stops it again;
  // GetRegisters then gives the registers after that instruction. For stepping over a
  // breakpoint: put the original byte back, step, plant the breakpoint again. NotFound
  // when the thread is gone.
  absl::Status SingleStep();
  Control& control();
  SyscallResult TailInject(const Syscall& call);
  // Handlers only, for a subscription with until_first_clone: from now on every subscribed
  // syscall stops (no-op once that is so). Uses one injection.
  absl::Status StopAllSubscribed();
  SyscallResult TailInjectObserved(const Syscall& call, std::function<void(int64_t)> done);

  template <typename T>
  T& ThreadState();
  template <typename T>
  T& ProcessState();

  template <typename Request, typename Response>
  Response CallGlobal(GlobalState<Request, Response>& global, const Request& request) {
    return global.Receive(tid(), request);
  }

  // True when ravel can trap CPUID on this machine (the kernel's CPUID faulting).
  static bool HasCpuidInterception();
  // True when RDTSC really faults under PR_SET_TSC here. Some hypervisors accept the
  // prctl but run RDTSC without checking CR4.TSD; then RDTSC runs natively.
  static bool HasRdtscInterception();

 private:
  internal::StateSlot& thread_slot();
  internal::StateSlot& process_slot();

  internal::TracerCore& core_;
  internal::ThreadRecord& thread_;
  GuestMemory memory_;
};

template <typename T>
T& Guest::ThreadState() { return thread_slot().Get<T>(); }
template <typename T>
T& Guest::ProcessState() { return process_slot().Get<T>(); }

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_GUEST_H_
