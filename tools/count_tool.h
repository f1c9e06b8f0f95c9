// CountTool: `ravel count`, a per-syscall table of calls and errors (like `strace -c`).
//
// Shows the three levels of tool state: each thread counts into its ThreadState; when it
// exits it sends its counts to the tool's GlobalState through Guest::CallGlobal; the
// ProcessState remembers which processes were seen. Results are collected with
// TailInjectObserved, one ptrace stop per counted call.
#ifndef RAVEL_EXAMPLES_COUNT_TOOL_H_
#define RAVEL_EXAMPLES_COUNT_TOOL_H_

#include <map>
#include <memory>
#include <string>

#include "tools/output.h"
#include "intercept/guest.h"
#include "intercept/tool.h"

namespace ravel {

struct SyscallCounts {
  struct Entry {
    uint64_t calls = 0;
    uint64_t errors = 0;
  };
  std::map<int64_t, Entry> by_nr;  // ordered: the table is deterministic
};

// The global state: the merged counts, plus how many threads and processes reported.
class CountTotals : public GlobalState<SyscallCounts, bool> {
 public:
  bool Receive(pid_t from_tid, const SyscallCounts& counts) override;
  const SyscallCounts& totals() const { return totals_; }
  int threads_reported() const { return threads_reported_; }

 private:
  SyscallCounts totals_;
  int threads_reported_ = 0;
};

class CountTool : public Tool {
 public:
  explicit CountTool(SyscallSet trace) : trace_(trace) {}

  Subscription subscription() const override;
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override;
  void OnThreadExit(Guest& guest, int status) override;

  // The table, strace -c style, sorted by calls (then name).
  std::string Report() const;

 private:
  struct ThreadCounts {
    std::shared_ptr<SyscallCounts> counts = std::make_shared<SyscallCounts>();
  };

  SyscallSet trace_;
  CountTotals totals_;
};

}  // namespace ravel

#endif  // RAVEL_EXAMPLES_COUNT_TOOL_H_
