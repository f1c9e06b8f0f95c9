#include "engine/preempt.h"

#include <elf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "intercept/spawn.h"

namespace ravel {
namespace {

constexpr char kShimName[] = "libravel-sync.so";

bool Readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// True when `path` is an ELF executable without a program interpreter (PT_INTERP).
bool StaticallyLinked(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  Elf64_Ehdr eh;
  bool is_static = false;
  if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
      eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 4096) {
    is_static = true;
    for (int i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof(ph), static_cast<off_t>(eh.e_phoff + i * sizeof(ph))) != sizeof(ph)) break;
      if (ph.p_type == PT_INTERP) {
        is_static = false;
        break;
      }
    }
  }
  close(fd);
  return is_static;
}

// Whether perf_event_open counts this thread's retired branch instructions, in words.
std::string BranchCounterProbe() {
  perf_event_attr attr{};
  attr.type = PERF_TYPE_HARDWARE;
  attr.size = sizeof(attr);
  attr.config = PERF_COUNT_HW_BRANCH_INSTRUCTIONS;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) {
    return absl::StrCat("which this machine does not offer (perf_event_open: ", strerror(errno), ")");
  }
  close(fd);
  return "which this machine has, but this build of ravel does not use them yet";
}

}  // namespace

std::string Preempt::ToString() const {
  std::string list = "syscall";
  if (sync) list += ",sync";
  if (time) list += ",time";
  if (atomic) list += ",atomic";
  if (spin) list += ",spin";
  return list;
}

absl::StatusOr<Preempt> ParsePreempt(const std::string& list) {
  Preempt p;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item == "syscall") continue;
    if (item == "sync") {
      p.sync = true;
      continue;
    }
    if (item == "time") {
      p.time = true;
      continue;
    }
    if (item == "atomic") {
      p.atomic = true;
      continue;
    }
    if (item == "spin") {
      p.spin = true;
      continue;
    }
    if (item == "branches") {
      // Counter-based preemption (at the N-th retired conditional branch) needs a PMU.
      std::string why = BranchCounterProbe();
      return absl::FailedPreconditionError(absl::StrCat(
          "--preempt branches needs hardware performance counters for retired branches, ", why,
          "; ravel's other points (sync, time, atomic, spin) and its liveness preemption need none"));
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown --preempt item '", item,
                                                   "'; valid items: syscall, sync, time, atomic, spin (e.g. --preempt sync,time)"));
  }
  return p;
}

absl::StatusOr<Preempt> ParsePreemptFlags(const std::string& list, const std::string& modules) {
  absl::StatusOr<Preempt> preempt = ParsePreempt(list);
  if (preempt.ok() && !modules.empty() && !preempt->atomic) {
    return absl::InvalidArgumentError("--preempt-modules names libraries for atomic points: add --preempt atomic");
  }
  return preempt;
}

absl::StatusOr<std::string> SyncShimPath() {
  std::vector<std::string> tried;
  if (const char* env = getenv("RAVEL_SYNC_LIBRARY"); env != nullptr && *env != '\0') {
    if (Readable(env)) return std::string(env);
    return absl::NotFoundError(absl::StrCat("RAVEL_SYNC_LIBRARY=", env, " is not a readable file"));
  }
  std::error_code error;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    std::filesystem::path installed = exe.parent_path() / RAVEL_SYNC_INSTALLED_RELPATH / kShimName;
    tried.push_back(installed.lexically_normal().string());
    if (Readable(tried.back())) return tried.back();
  }
  tried.push_back(RAVEL_SYNC_BUILD_PATH);
  if (Readable(tried.back())) return tried.back();
  return absl::NotFoundError(absl::StrCat("the sync shim ", kShimName, " is not installed (looked for ",
                                          absl::StrJoin(tried, " and "), "; RAVEL_SYNC_LIBRARY names another)"));
}

absl::Status PrepareGuests(const Preempt& preempt, const std::vector<std::string>& command) {
  if (!preempt.sync) return absl::OkStatus();
  absl::StatusOr<std::string> shim = SyncShimPath();
  if (!shim.ok()) return shim.status();
  if (!command.empty()) {
    absl::StatusOr<std::string> path = ResolveCommand(command[0]);
    if (path.ok() && StaticallyLinked(*path)) {
      fprintf(stderr, "ravel: %s is statically linked: no sync points (the shim cannot be preloaded); "
                      "the run goes on without them\n", command[0].c_str());
    }
  }
  const char* old = getenv("LD_PRELOAD");
  std::string value = *shim;
  if (old != nullptr && *old != '\0') {
    // Already first (a replay after a run in this process, or the user's own): leave it.
    if (absl::StartsWith(old, value)) return absl::OkStatus();
    value = absl::StrCat(value, ":", old);
  }
  setenv("LD_PRELOAD", value.c_str(), 1);
  return absl::OkStatus();
}

}  // namespace ravel
