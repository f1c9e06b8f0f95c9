#include "scheduler/deadlock_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ravel {
namespace {

std::string WaitsOn(const ThreadWait& t) {
  switch (t.on) {
    case ThreadWait::On::kFutex: return absl::StrFormat("futex 0x%x", t.futex);
    case ThreadWait::On::kSleep: return "sleep";
    case ThreadWait::On::kFds:
      return absl::StrCat(t.fds.size() == 1 ? "fd " : "fds ", absl::StrJoin(t.fds, ","),
                          t.timeout ? " (with a timeout)" : "");
    case ThreadWait::On::kChild: return "a child process";
    case ThreadWait::On::kSignal: return "a signal";
    case ThreadWait::On::kVfork: return "its vfork child (to exec or exit)";
    case ThreadWait::On::kStopped: return "SIGCONT (stopped)";
    case ThreadWait::On::kNothing: break;
  }
  return "nothing (runnable)";
}

// "; holds mutex 0x.. (acquired at step N); waits for mutex 0x.. held by T2", or "".
std::string Locks(const ThreadWait& t, const std::vector<ThreadWait>& all) {
  std::string out;
  for (const ThreadWait::Lock& h : t.held) {
    absl::StrAppend(&out, absl::StrFormat("; holds %s 0x%x (acquired at step %d)", h.kind, h.object, h.step));
  }
  if (t.acquiring.has_value()) {
    std::vector<std::string> holders;
    for (const ThreadWait& other : all) {
      if (other.pid != t.pid) continue;  // a lock is an address in one process
      for (const ThreadWait::Lock& h : other.held) {
        if (h.object == t.acquiring->object) holders.push_back(absl::StrCat("T", other.id));
      }
    }
    absl::StrAppend(&out, absl::StrFormat("; waits for %s 0x%x", t.acquiring->kind, t.acquiring->object),
                    holders.empty() ? "" : absl::StrCat(" held by ", absl::StrJoin(holders, ", ")));
  }
  return out;
}

}  // namespace

std::string DeadlockReport(const std::vector<ThreadWait>& threads) {
  std::string report;
  for (const ThreadWait& t : threads) {
    const std::string last = t.last_syscall.empty() ? "" : absl::StrCat("; last syscall ", t.last_syscall);
    absl::StrAppend(&report,
                    absl::StrFormat("  T%d (tid %d) waits on %s%s%s\n", t.id, t.tid, WaitsOn(t), last, Locks(t, threads)));
  }
  return report;
}

}  // namespace ravel
