// InjectTool: `ravel inject`, deterministic syscall failure injection.
//
//   ravel inject --fail openat=ENOENT@0.5 --seed 7 -- ./server
// fails each openat with ENOENT with probability 0.5. The decision for a call is a hash of
// (seed, the thread's creation index, which call of that syscall it is in the thread), so
// a given seed fails the same calls on every run of a program whose threads make the same
// calls, whatever the interleaving. The dynamic loader's own calls (before the program's
// entry point) are left alone unless include_startup is set: they are not the program's.
#ifndef RAVEL_EXAMPLES_INJECT_TOOL_H_
#define RAVEL_EXAMPLES_INJECT_TOOL_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "intercept/guest.h"
#include "intercept/tool.h"

namespace ravel {

struct FaultSpec {
  int nr = -1;
  int error = 0;             // positive errno
  double probability = 1.0;  // (0, 1]
  std::string text;          // as written, for the report
};

// "openat=ENOENT", "openat=ENOENT@0.25", "read=EIO@10%", "write=28@1".
absl::StatusOr<FaultSpec> ParseFaultSpec(const std::string& text);

struct InjectOptions {
  std::vector<FaultSpec> faults;
  uint64_t seed = 0;
  bool include_startup = false;
};

class InjectTool : public Tool {
 public:
  explicit InjectTool(InjectOptions options);

  Subscription subscription() const override;
  SyscallResult OnSyscall(Guest& guest, const Syscall& call) override;
  void OnPostExec(Guest& guest) override;
  void OnProgramEntry(Guest& guest) override;

  // One line per fault spec: "openat=ENOENT@1: failed 1 of 1 calls".
  std::vector<std::string> Report() const;

 private:
  struct ThreadCalls {
    absl::flat_hash_map<int64_t, uint64_t> made;  // per syscall: calls so far
  };
  struct ProcessPhase {
    bool loading = false;  // between exec and the entry point
  };
  struct Tally {
    uint64_t calls = 0, failed = 0;
  };

  InjectOptions options_;
  std::vector<Tally> tallies_;  // parallel to options_.faults
};

}  // namespace ravel

#endif  // RAVEL_EXAMPLES_INJECT_TOOL_H_
