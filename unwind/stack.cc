#include "unwind/stack.h"

#include <cxxabi.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <sys/stat.h>
#include <sys/user.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "intercept/memory.h"
#include "intercept/status.h"

namespace ravel {
namespace {

constexpr uint64_t kPageSize = 4096;

// x86-64 has 17 DWARF registers for unwinding: the 16 general-purpose ones in the psABI's
// DWARF order, then the return address column (16), which holds rip in the first frame.
constexpr int kDwarfRegisters = 17;

// Where ELF files and their debug info come from for a live process: the files named in
// /proc/PID/maps (the vDSO from the process's memory), debug info found the standard way.
// libdwfl keeps a pointer to this for the session's lifetime, hence static.
const Dwfl_Callbacks kProcCallbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

std::string DwflError(absl::string_view what, absl::string_view who, pid_t id) {
  return absl::StrCat(what, "(", who, " ", id, "): ", dwfl_errmsg(-1));
}

// Like ErrnoStatus, for calls made for a whole process.
absl::Status ProcessErrnoStatus(absl::string_view what, pid_t pid, int err) {
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(what, "(pid ", pid, "): ", std::strerror(err)));
}

// "_ZN7Account8WithdrawEi" -> "Account::Withdraw(int)"; anything else unchanged.
std::string Demangle(absl::string_view symbol) {
  std::string name(symbol);
  if (!absl::StartsWith(name, "_Z")) return name;
  int status = 0;
  char* demangled = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return name;
  std::string result(demangled);
  std::free(demangled);
  return result;
}

// "__libc_start_main@@GLIBC_2.34" (a versioned name from a .symtab) -> "__libc_start_main".
absl::string_view SymbolName(absl::string_view name) {
  return name.substr(0, name.find('@'));
}

// "/usr/lib/x86_64-linux-gnu/libc.so.6" -> "libc.so.6"; libdwfl's "[vdso: 123]" -> "[vdso]".
std::string ModuleName(const char* reported) {
  if (reported == nullptr) return "";
  if (absl::StartsWith(reported, "[vdso")) return "[vdso]";
  return std::string(SourceBasename(reported));
}

// The identity of the file a path resolves to, to notice an execve.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

absl::StatusOr<FileId> ExecutableOf(pid_t pid) {
  struct stat st;
  const std::string path = absl::StrCat("/proc/", pid, "/exe");
  if (stat(path.c_str(), &st) != 0) return ProcessErrnoStatus("stat /proc/PID/exe", pid, errno);
  return FileId{st.st_dev, st.st_ino};
}

}  // namespace

// Owns the Dwfl session and serves libdwfl's thread callbacks (dwfl_arg is this Impl,
// whose address therefore never changes: it lives behind StackUnwinder::impl_).
class StackUnwinder::Impl {
 public:
  Impl(pid_t pid, StackUnwinder::RegisterSource registers)
      : pid_(pid), registers_(std::move(registers)), memory_(pid) {}

  // Creates the session: reports the maps and attaches our thread callbacks.
  absl::Status Start() {
    absl::StatusOr<FileId> exe = ExecutableOf(pid_);
    if (!exe.ok()) return exe.status();
    Dwfl* dwfl = dwfl_begin(&kProcCallbacks);
    if (dwfl == nullptr) return absl::InternalError(DwflError("dwfl_begin", "pid", pid_));
    DwflPtr session(dwfl);
    dwfl_report_begin(dwfl);
    if (absl::Status s = ReportMaps(dwfl); !s.ok()) return s;
    // NULL Elf: the architecture is taken from the reported modules.
    if (!dwfl_attach_state(dwfl, nullptr, pid_, &kThreadCallbacks, this)) {
      return absl::InternalError(DwflError("dwfl_attach_state", "pid", pid_));
    }
    dwfl_ = std::move(session);
    exe_ = *exe;
    return absl::OkStatus();
  }

  absl::Status Refresh() {
    absl::StatusOr<FileId> exe = ExecutableOf(pid_);
    if (!exe.ok()) return exe.status();
    symbols_.clear();
    // A new executable may mean another architecture, which the attached state was set
    // up for: start over. Otherwise modules still mapped at the same place are kept.
    if (*exe != exe_) return Start();
    dwfl_report_begin(dwfl_.get());
    return ReportMaps(dwfl_.get());
  }

  absl::StatusOr<std::vector<Frame>> Unwind(pid_t tid, size_t max_frames,
                                            std::optional<uint64_t> pc) {
    if (max_frames == 0) return std::vector<Frame>{};
    Walk walk{this, max_frames, {}, absl::OkStatus()};
    start_status_ = absl::OkStatus();
    pc_override_ = pc;
    pages_.clear();  // the thread may have run since the last call
    const int rc = dwfl_getthread_frames(dwfl_.get(), tid, &Impl::OnFrame, &walk);
    pages_.clear();
    // -1 after some frames: the unwinder could not step past the last one (no CFI and no
    // usable frame pointer, or unreadable stack); what was found is still right.
    if (rc == -1 && walk.frames.empty()) {
      if (!start_status_.ok()) return start_status_;
      if (!walk.status.ok()) return walk.status;
      return absl::InternalError(DwflError("dwfl_getthread_frames", "tid", tid));
    }
    if (!walk.status.ok() && walk.frames.empty()) return walk.status;
    return std::move(walk.frames);
  }

  // Memoised: libdwfl finds a symbol by scanning the module's whole symbol table, which
  // for libc with its debug info costs tens of microseconds per address.
  Frame Symbolize(uint64_t pc) {
    auto [it, inserted] = symbols_.try_emplace(pc);
    if (inserted) it->second = Lookup(pc);
    return it->second;
  }

 private:
  Frame Lookup(uint64_t pc) {
    Frame f;
    f.pc = pc;
    Dwfl_Module* mod = dwfl_addrmodule(dwfl_.get(), pc);
    if (mod == nullptr) return f;
    f.module = ModuleName(
        dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr));
    GElf_Off offset = 0;
    GElf_Sym sym;
    if (const char* name = dwfl_module_addrinfo(mod, pc, &offset, &sym, nullptr, nullptr, nullptr);
        name != nullptr) {
      f.function = Demangle(SymbolName(name));
      f.offset = offset;
    }
    if (Dwfl_Line* line = dwfl_module_getsrc(mod, pc); line != nullptr) {
      int lineno = 0;
      const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
      if (file != nullptr && lineno > 0) {
        f.file = file;
        f.line = lineno;
      }
    }
    return f;
  }

  struct DwflCloser {
    void operator()(Dwfl* dwfl) const { dwfl_end(dwfl); }
  };
  using DwflPtr = std::unique_ptr<Dwfl, DwflCloser>;

  // What one Unwind call collects (the dwfl_getthread_frames callback's argument).
  struct Walk {
    Impl* self;
    size_t max_frames;
    std::vector<Frame> frames;
    absl::Status status;
  };

  // A page of the guest's memory as read during one Unwind; `valid` bytes from the start
  // were readable (0: none, remembered so an unmapped page is asked about only once).
  struct Page {
    size_t valid = 0;
    std::array<uint8_t, kPageSize> bytes;
  };

  // Ends a report started with dwfl_report_begin, whatever happens.
  absl::Status ReportMaps(Dwfl* dwfl) {
    const int rc = dwfl_linux_proc_report(dwfl, pid_);
    if (dwfl_report_end(dwfl, nullptr, nullptr) != 0) {
      return absl::InternalError(DwflError("dwfl_report_end", "pid", pid_));
    }
    if (rc > 0) return ProcessErrnoStatus("dwfl_linux_proc_report", pid_, rc);
    if (rc < 0) return absl::InternalError(DwflError("dwfl_linux_proc_report", "pid", pid_));
    return absl::OkStatus();
  }

  // Eight bytes at `addr`, which may straddle two pages.
  bool ReadWord(uint64_t addr, uint64_t* out) {
    auto* dst = reinterpret_cast<uint8_t*>(out);
    size_t done = 0;
    while (done < sizeof(*out)) {
      const uint64_t at = addr + done;
      const Page& page = PageAt(at - at % kPageSize);
      const size_t in_page = at % kPageSize;
      const size_t n = std::min(sizeof(*out) - done, kPageSize - in_page);
      if (in_page + n > page.valid) return false;
      std::memcpy(dst + done, page.bytes.data() + in_page, n);
      done += n;
    }
    return true;
  }

  const Page& PageAt(uint64_t base) {
    std::unique_ptr<Page>& slot = pages_[base];
    if (slot == nullptr) {
      slot = std::make_unique<Page>();
      slot->valid = memory_.Read(base, slot->bytes.data(), kPageSize);
    }
    return *slot;
  }

  // libdwfl thread callbacks. Only dwfl_getthread_frames is used, which goes through
  // GetThread, so there is no thread enumeration.
  static pid_t NextThread(Dwfl*, void*, void**) { return 0; }

  static bool GetThread(Dwfl*, pid_t tid, void* dwfl_arg, void** thread_arg) {
    auto* self = static_cast<Impl*>(dwfl_arg);
    // Only threads of this process: their registers would be read from the source anyway,
    // but memory would be read from pid_'s address space.
    struct stat st;
    const std::string task = absl::StrCat("/proc/", self->pid_, "/task/", tid);
    if (tid <= 0 || stat(task.c_str(), &st) != 0) {
      self->start_status_ = absl::NotFoundError(
          absl::StrCat("unwind(tid ", tid, "): no such thread in pid ", self->pid_));
      return false;
    }
    *thread_arg = self;
    return true;
  }

  static bool MemoryRead(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* dwfl_arg) {
    return static_cast<Impl*>(dwfl_arg)->ReadWord(addr, result);
  }

  static bool SetInitialRegisters(Dwfl_Thread* thread, void* thread_arg) {
    auto* self = static_cast<Impl*>(thread_arg);
    const pid_t tid = dwfl_thread_tid(thread);
    absl::StatusOr<user_regs_struct> got = self->registers_(tid);
    if (!got.ok()) {
      self->start_status_ = got.status();
      return false;
    }
    const user_regs_struct& r = *got;
    const std::array<Dwarf_Word, kDwarfRegisters> regs = {
        r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8,
        r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, self->pc_override_.value_or(r.rip),
    };
    if (!dwfl_thread_state_registers(thread, 0, regs.size(), regs.data())) {
      self->start_status_ =
          absl::InternalError(DwflError("dwfl_thread_state_registers", "tid", tid));
      return false;
    }
    dwfl_thread_state_register_pc(thread, regs[kDwarfRegisters - 1]);
    return true;
  }

  static int OnFrame(Dwfl_Frame* state, void* arg) {
    auto* walk = static_cast<Walk*>(arg);
    Dwarf_Addr pc = 0;
    bool activation = false;
    if (!dwfl_frame_pc(state, &pc, &activation)) {
      walk->status = absl::InternalError(
          DwflError("dwfl_frame_pc", "tid", dwfl_thread_tid(dwfl_frame_thread(state))));
      return DWARF_CB_ABORT;
    }
    // A caller's pc is a return address: look up the call instruction before it.
    walk->frames.push_back(walk->self->Symbolize(activation || pc == 0 ? pc : pc - 1));
    return walk->frames.size() >= walk->max_frames ? DWARF_CB_ABORT : DWARF_CB_OK;
  }

  static constexpr Dwfl_Thread_Callbacks kThreadCallbacks = {
      .next_thread = &Impl::NextThread,
      .get_thread = &Impl::GetThread,
      .memory_read = &Impl::MemoryRead,
      .set_initial_registers = &Impl::SetInitialRegisters,
      // Nothing to undo: we never attached, and must not detach (the caller traces).
      .detach = nullptr,
      .thread_detach = nullptr,
  };

  const pid_t pid_;
  const StackUnwinder::RegisterSource registers_;
  GuestMemory memory_;
  DwflPtr dwfl_;
  FileId exe_;
  absl::flat_hash_map<uint64_t, Frame> symbols_;  // Symbolize's answers since Refresh
  // State of the Unwind call in progress.
  std::optional<uint64_t> pc_override_;  // Unwind's `pc`
  // Why the thread's first frame could not be set up (no such thread, no registers).
  absl::Status start_status_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Page>> pages_;
};

StackUnwinder::StackUnwinder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StackUnwinder::~StackUnwinder() = default;

absl::StatusOr<std::unique_ptr<StackUnwinder>> StackUnwinder::ForProcess(pid_t pid, RegisterSource registers) {
  if (pid <= 0) return absl::InvalidArgumentError(absl::StrCat("StackUnwinder(pid ", pid, ")"));
  if (!registers) return absl::InvalidArgumentError("StackUnwinder: no register source");
  auto impl = std::make_unique<Impl>(pid, std::move(registers));
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<StackUnwinder>(new StackUnwinder(std::move(impl)));
}

absl::StatusOr<std::vector<Frame>> StackUnwinder::Unwind(pid_t tid, size_t max_frames,
                                                         std::optional<uint64_t> pc) {
  return impl_->Unwind(tid, max_frames, pc);
}

Frame StackUnwinder::Symbolize(uint64_t pc) { return impl_->Symbolize(pc); }

absl::Status StackUnwinder::Refresh() { return impl_->Refresh(); }

absl::string_view SourceBasename(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

std::string FormatFrame(const Frame& f) {
  if (f.function.empty()) {
    std::string out = absl::StrCat("0x", absl::Hex(f.pc));
    if (!f.module.empty()) absl::StrAppend(&out, " [", f.module, "]");
    return out;
  }
  // A C name gets "()"; a demangled C++ name already lists its parameters.
  std::string out = f.function;
  if (f.function.find('(') == std::string::npos) out += "()";
  if (!f.file.empty()) {
    absl::StrAppend(&out, " ", SourceBasename(f.file), ":", f.line);
  } else {
    if (f.offset != 0) absl::StrAppend(&out, "+0x", absl::Hex(f.offset));
    if (!f.module.empty()) absl::StrAppend(&out, " [", f.module, "]");
  }
  return out;
}

}  // namespace ravel
