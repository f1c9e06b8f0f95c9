// What happens at the syscall-exit stop of every successful execve, before the new image
// runs a single instruction: map the trampoline, turn on RDTSC (and, where offered, CPUID)
// trapping, plant the entry-point breakpoint, tell the tool.
//
// There is no trampoline yet, so the injections borrow the instruction at the entry point:
// its first two bytes become `syscall` for the duration, and each injected call runs there
// with PTRACE_SYSCALL (entry, maybe seccomp, then exit stop). Tools never see these calls.
#include <asm/prctl.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "base/logging.h"
#include "base/proc.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "intercept/owned_kill.h"
#include "intercept/ptrace.h"
#include "intercept/status.h"
#include "intercept/tracer_core.h"

namespace ravel::internal {
namespace {

// Where the memfd's name is written: below the initial stack pointer, inside the stack
// mapping the kernel sets up at exec (it spans well over a page below rsp).
constexpr uint64_t kScratchBelowSp = 512;

}  // namespace

absl::StatusOr<int64_t> TracerCore::SyncInject(ThreadRecord& t, const Registers& base,
                                               uint64_t site, int64_t nr,
                                               std::array<uint64_t, 6> args) {
  Registers regs = base;
  regs.set_ip(site);
  regs.raw().rax = static_cast<uint64_t>(nr);
  regs.raw().orig_rax = static_cast<uint64_t>(-1);
  regs.set_args(args);
  if (absl::Status s = ptrace::SetRegs(t.tid, regs); !s.ok()) return s;
  if (absl::Status s = ptrace::Syscall(t.tid, 0); !s.ok()) return s;
  while (true) {
    int status = 0;
    // As in the main loop: the stop usually comes within microseconds, and catching it
    // while still running saves a sleep and a wake-up.
    pid_t r = 0;
    for (int i = 0; i < spin_polls_ && r == 0; ++i) r = waitpid(t.tid, &status, __WALL | WNOHANG);
    if (r == 0) r = waitpid(t.tid, &status, __WALL);
    if (r < 0) {
      if (errno == EINTR) {
        // ravel is interrupted: the guest dies, and this wait ends with it.
        if (InterruptRequested()) SignalOwned(t.process->pid, SIGKILL);
        continue;
      }
      return ErrnoStatus("waitpid", t.tid, errno);
    }
    if (!WIFSTOPPED(status)) {
      deferred_.emplace_back(r, status);  // the main loop reaps it properly
      return absl::NotFoundError(absl::StrCat("guest thread ", t.tid, " exited"));
    }
    int sig = WSTOPSIG(status);
    int event = status >> 16;
    if (sig == (SIGTRAP | 0x80)) {
      absl::StatusOr<__ptrace_syscall_info> info = ptrace::GetSyscallInfo(t.tid);
      if (!info.ok()) return info.status();
      if (info->op == PTRACE_SYSCALL_INFO_EXIT) return info->exit.rval;
    } else if (event == PTRACE_EVENT_EXIT) {
      LogUnlessVanished(ptrace::Cont(t.tid, 0));
      return absl::NotFoundError(absl::StrCat("guest thread ", t.tid, " is exiting"));
    } else if (event == 0) {
      absl::StatusOr<siginfo_t> info = ptrace::GetSigInfo(t.tid);
      if (info.ok()) t.stashed.push_back(*info);
    }
    // Entry stop, seccomp stop, group-stop, stashed signal: on to the exit stop.
    if (absl::Status s = ptrace::Syscall(t.tid, 0); !s.ok()) return s;
  }
}

void TracerCore::SetUpNewImage(ThreadRecord& t) {
  PrepareImage(t);
  StartImage(t);
}

void TracerCore::PrepareImage(ThreadRecord& t) {
  absl::StatusOr<Registers> got = ptrace::GetRegs(t.tid);
  if (!got.ok()) {
    LogUnlessVanished(got.status());
    return;
  }
  Registers regs0 = *got;
  GuestMemory mem(t.tid);
  ProcessRecord& process = *t.process;
  const uint64_t site = regs0.ip();
  uint8_t saved[2];
  static constexpr uint8_t kSyscallInsn[2] = {0x0f, 0x05};
  const RemotePtr<uint8_t> code(site);
  if (!mem.ReadArray(code, saved, 2).ok() || !mem.Poke(code, kSyscallInsn, 2).ok()) {
    LOG(WARNING) << "ravel: cannot patch the entry of pid " << process.pid << "; no trampoline";
    return;
  }
  auto inject = [&](int64_t nr, std::array<uint64_t, 6> args) {
    return SyncInject(t, regs0, site, nr, args);
  };

  // The trampoline: a memfd the guest maps twice (code, data) and the tracer once.
  bool vanished = false;
  std::string failure;
  uint64_t name_addr = regs0.sp() - kScratchBelowSp;
  static constexpr char kName[] = "ravel-trampoline";
  absl::StatusOr<int64_t> fd = mem.WriteArray(RemotePtr<char>(name_addr), kName, sizeof(kName)).ok()
                                   ? inject(SYS_memfd_create, {name_addr, MFD_CLOEXEC})
                                   : absl::StatusOr<int64_t>(absl::InternalError("stack not writable"));
  if (!fd.ok() || *fd < 0) {
    vanished = fd.ok() ? false : IsVanished(fd.status());
    failure = fd.ok() ? absl::StrCat("memfd_create: ", strerror(static_cast<int>(-*fd))) : fd.status().ToString();
  } else {
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, process.pid, 0));
    int local = pidfd >= 0 ? static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, static_cast<int>(*fd), 0)) : -1;
    if (pidfd >= 0) close(pidfd);
    absl::StatusOr<std::shared_ptr<TrampolineMapping>> mapping =
        local >= 0 ? TrampolineMapping::Create(local)
                   : absl::StatusOr<std::shared_ptr<TrampolineMapping>>(ErrnoStatus("pidfd_getfd", t.tid, errno));
    if (mapping.ok()) {
      using namespace trampoline;
      uint64_t gfd = static_cast<uint64_t>(*fd);
      absl::StatusOr<int64_t> code = inject(SYS_mmap, {kBase, kCodeSize, PROT_READ | PROT_EXEC,
                                                       MAP_SHARED | MAP_FIXED_NOREPLACE, gfd, 0});
      absl::StatusOr<int64_t> data = inject(SYS_mmap, {kBase + kCodeSize, kDataSize, PROT_READ | PROT_WRITE,
                                                       MAP_SHARED | MAP_FIXED_NOREPLACE, gfd, kCodeSize});
      bool code_ok = code.ok() && static_cast<uint64_t>(*code) == kBase;
      bool data_ok = data.ok() && static_cast<uint64_t>(*data) == kBase + kCodeSize;
      if (code_ok && data_ok) {
        process.trampoline = *mapping;
      } else {
        if (code_ok) (void)inject(SYS_munmap, {kBase, kCodeSize});
        if (data_ok) (void)inject(SYS_munmap, {kBase + kCodeSize, kDataSize});
        failure = absl::StrFormat("the address range at 0x%x is taken", kBase);
      }
    } else {
      failure = mapping.status().ToString();
    }
    (void)inject(SYS_close, {static_cast<uint64_t>(*fd)});
  }
  if (!failure.empty() && !vanished && !warned_trampoline_) {
    warned_trampoline_ = true;
    LOG(WARNING) << "ravel: no trampoline in pid " << process.pid << " (" << failure
                 << "); handlers there can inject only one syscall per stop";
  }

  if (subscription_.rdtsc) {
    (void)inject(SYS_prctl, {PR_SET_TSC, PR_TSC_SIGSEGV});
  }
  if (subscription_.cpuid && Guest::HasCpuidInterception()) {
    (void)inject(SYS_arch_prctl, {ARCH_SET_CPUID, 0});
  }
  if (subscription_.rdtsc && !Guest::HasRdtscInterception() && !warned_rdtsc_) {
    warned_rdtsc_ = true;
    LOG(WARNING) << "RDTSC trapping (PR_SET_TSC) has no effect on this machine; RDTSC runs natively";
  }
  if (subscription_.cpuid && !Guest::HasCpuidInterception() && !warned_cpuid_) {
    warned_cpuid_ = true;
    LOG(WARNING) << "this kernel offers no CPUID faulting; CPUID runs natively";
  }

  (void)mem.Poke(code, saved, 2);
  LogUnlessVanished(ptrace::SetRegs(t.tid, regs0));
  t.entry_regs = regs0;
}

void TracerCore::StartImage(ThreadRecord& t) {
  ProcessRecord& process = *t.process;
  GuestMemory mem(t.tid);
  if (subscription_.program_entry) {
    absl::StatusOr<std::string> auxv = ReadProcAuxv(process.pid);
    const uint64_t entry = auxv.ok() ? AuxvValue(*auxv, AT_ENTRY).value_or(0) : 0;
    uint8_t byte = 0;
    static constexpr uint8_t kInt3 = 0xcc;
    const RemotePtr<uint8_t> at(entry);
    if (entry != 0 && mem.Read(at, byte).ok() && mem.Poke(at, kInt3).ok()) {
      process.entry_breakpoint = entry;
      process.entry_saved_byte = byte;
    }
  }
  {
    Guest guest(*this, t);
    tool_.OnPostExec(guest);
  }
  RedeliverStashed(t);
}

bool TracerCore::HitEntryBreakpoint(ThreadRecord& t, const Registers& regs) {
  ProcessRecord& process = *t.process;
  if (process.entry_breakpoint == 0 || regs.ip() != process.entry_breakpoint + 1) return false;
  GuestMemory mem(t.tid);
  (void)mem.Poke(RemotePtr<uint8_t>(process.entry_breakpoint), process.entry_saved_byte);
  Registers fixed = regs;
  fixed.set_ip(process.entry_breakpoint);
  LogUnlessVanished(ptrace::SetRegs(t.tid, fixed));
  process.entry_breakpoint = 0;
  {
    Guest guest(*this, t);
    tool_.OnProgramEntry(guest);
  }
  Resume(t, PTRACE_CONT, 0);
  return true;
}

}  // namespace ravel::internal
