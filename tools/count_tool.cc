#include "tools/count_tool.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ravel {

bool CountTotals::Receive(pid_t from_tid, const SyscallCounts& counts) {
  for (const auto& [nr, entry] : counts.by_nr) {
    totals_.by_nr[nr].calls += entry.calls;
    totals_.by_nr[nr].errors += entry.errors;
  }
  ++threads_reported_;
  return true;
}

Subscription CountTool::subscription() const {
  Subscription s;
  s.syscalls = trace_;
  return s;
}

SyscallResult CountTool::OnSyscall(Guest& guest, const Syscall& call) {
  // The counts object is shared with the observer: the result may arrive after this
  // handler has returned, but never after the thread's exit report.
  std::shared_ptr<SyscallCounts> counts = guest.ThreadState<ThreadCounts>().counts;
  SyscallCounts::Entry& entry = counts->by_nr[call.nr];
  ++entry.calls;
  return guest.TailInjectObserved(call, [counts, nr = call.nr](int64_t result) {
    if (result < 0 && result >= -4095) ++counts->by_nr[nr].errors;
  });
}

void CountTool::OnThreadExit(Guest& guest, int status) {
  guest.CallGlobal(totals_, *guest.ThreadState<ThreadCounts>().counts);
}

std::string CountTool::Report() const {
  struct Row {
    std::string name;
    uint64_t calls, errors;
  };
  std::vector<Row> rows;
  uint64_t calls = 0, errors = 0;
  for (const auto& [nr, entry] : totals_.totals().by_nr) {
    rows.push_back({Syscall(nr).name(), entry.calls, entry.errors});
    calls += entry.calls;
    errors += entry.errors;
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.calls != b.calls ? a.calls > b.calls : a.name < b.name;
  });
  std::string out = absl::StrFormat("%10s %10s %s\n", "calls", "errors", "syscall");
  const std::string rule = absl::StrFormat("%10s %10s %s\n", "----------", "----------", "----------------");
  out += rule;
  for (const Row& r : rows) {
    out += absl::StrFormat("%10d %10s %s\n", r.calls, r.errors ? absl::StrCat(r.errors) : "", r.name);
  }
  out += rule;
  out += absl::StrFormat("%10d %10s %s", calls, errors ? absl::StrCat(errors) : "", "total");
  return out;
}

}  // namespace ravel
