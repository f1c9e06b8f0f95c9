// End-to-end test harness: runs a command (usually `ravel ...`) as a child, collects its
// exit status, stdout and stderr, and checks that nothing it started is left behind.
//
// The test process makes itself a child subreaper, so any guest process that outlives
// ravel is reparented to it; after the run, a remaining child (running, stopped or zombie)
// is a leftover and the result says so.
//
//   RunOutput out = RunCommand({RavelBinary(), "strace", "--", "/bin/echo", "hi"});
//   EXPECT_EQ(out.exit_code, 0);
// (RunCommand itself fails the test when anything is left behind.)
#ifndef RAVEL_TESTS_E2E_HARNESS_H_
#define RAVEL_TESTS_E2E_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ravel::testing {

struct RunOutput {
  int exit_code = -1;       // 128+signal when killed
  std::string out;
  std::string err;
  std::vector<std::string> leftovers;  // "pid 123 (sleep) state S" for each process left behind
};

struct RunOptions {
  std::string stdin_data;
  // Called with the child's pid once it runs; e.g. to signal it. Return when done.
  std::function<void(pid_t)> while_running;
  std::vector<std::string> env;  // extra NAME=VALUE entries
};

RunOutput RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

std::string RavelBinary();
std::string GuestPath(const std::string& name);  // path of a compiled tests/guests program
std::string TempPath(const std::string& name); // a fresh path in a per-test temp directory
std::string ReadFile(const std::string& path);

// The sync steps in a recorded schedule's step list ("T:sync", "T:sync*N"): of thread
// `thread`, or of every thread (-1). -1 when a repeat count does not parse.
int64_t SyncSteps(const std::string& schedule, int thread = -1);
// The same for steps "T:what" (`what` a syscall number, or a code such as "sync").
int64_t StepCount(const std::string& schedule, absl::string_view what, int thread = -1);

// Lines of `expected` must appear in `trace` in this order (other lines may come between).
// An expected line starting with "re:" is a regular expression for the whole line.
// On failure, returns a message naming the first line not found; empty on success.
std::string FindInOrder(const std::string& expected, const std::string& trace);

// This process's children (from /proc/self/task/*/children).
std::vector<pid_t> Children();

// Waits (bounded by `max_ms`) until `pid` has a child process; true if it has.
bool WaitForChild(pid_t pid, int max_ms);

}  // namespace ravel::testing

#endif  // RAVEL_TESTS_E2E_HARNESS_H_
