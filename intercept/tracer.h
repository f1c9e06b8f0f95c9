// Tracer: runs a command under ptrace with a Tool attached, until every guest process is
// gone. Follows clone, fork, vfork and exec; passes signals through (as the tool decides);
// handles group-stop so job control keeps working; kills and reaps the whole guest tree
// when ravel itself gets SIGINT, SIGTERM or SIGHUP; when the command it started exits,
// kills whatever guest processes are left. Run() makes the calling process a child
// subreaper (orphaned guest processes are reparented to it and reaped) and handles
// SIGINT/SIGTERM/SIGHUP/SIGALRM while it runs; one Run at a time per process.
//
//   MyTool tool;
//   Tracer tracer(tool);
//   absl::StatusOr<RunResult> result = tracer.Run({"ls", "/"});
//   return result.ok() ? result->ExitCode() : 2;
#ifndef RAVEL_INTERCEPT_TRACER_H_
#define RAVEL_INTERCEPT_TRACER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "intercept/tool.h"

namespace ravel {

namespace internal {
class TracerCore;
struct PrototypeState;
}

struct TracerOptions {
  bool disable_aslr = false;   // personality(ADDR_NO_RANDOMIZE) for the guest
  // The guest's stdin, stdout and stderr: these fds of ravel, or -1 to inherit ravel's.
  int stdio[3] = {-1, -1, -1};
  // Run(argv) binds the guest to one CPU and the tracer to the others, where a CPU is free
  // to claim (intercept/cpu_split.h); for a scheduler, whose guest runs one thread at a
  // time. The tracer's own CPUs come back when Run returns.
  bool split_cpus = false;
};

struct RunResult {
  int main_status = 0;      // wait status of the process ravel started
  int interrupted_by = 0;   // SIGINT/SIGTERM/SIGHUP that made ravel stop the guest, or 0
  int exec_errno = 0;       // the guest's execve failed with this errno (then main_status
                            // is the child's 127/126 exit)

  // ravel's exit code: the guest's exit status, 128+signal when it was killed, or
  // 128+interrupted_by.
  int ExitCode() const;
};

class GuestPrototype;

class Tracer {
 public:
  explicit Tracer(Tool& tool, TracerOptions options = {});
  ~Tracer();

  // argv[0] is resolved on $PATH (see ResolveCommand); its errors come back as
  // NotFound/PermissionDenied statuses before anything runs.
  absl::StatusOr<RunResult> Run(const std::vector<std::string>& argv);

  // Runs a copy of `prototype` (see GuestPrototype) instead of spawning a command: the
  // tool sees the same events as in Run(argv) of the prototype's command, from the new
  // process's OnThreadStart and OnPostExec on. The tool's subscription must be the one
  // the prototype was made for (InvalidArgument otherwise); the guest's stdio and ASLR
  // setting are the prototype's, `options` of this tracer do not apply to them.
  // FailedPrecondition when the prototype's process is gone.
  absl::StatusOr<RunResult> Run(GuestPrototype& prototype);

 private:
  std::unique_ptr<internal::TracerCore> core_;
};

// A fork server. The command is spawned and exec'd once, set up for tracing (seccomp
// filter, trampoline, RDTSC trapping) and kept stopped where a run's OnPostExec would
// see it: right after its execve, before its first instruction. Each Tracer::Run of the
// prototype forks a copy of that process (its parent is the tracer, as a spawned guest's
// is) and runs it. A copy is the process the exec would have produced, so a tool sees
// what it sees in a spawned run, at the cost of a fork of a small process instead of a
// fork of the tracer, an exec and the exec-time setup. For tools that run one command
// many times (`ravel stress`).
//
// The tool's own exec-time work (OnThreadStart, OnPostExec, the entry breakpoint) is
// done on each copy, not on the prototype. The initial execve must not stop (it is not in
// the subscription's first filter): a copy cannot make that call again.
//
// Every copy shares the prototype's open file descriptions (its stdio): a file offset
// moved by one run is where the next run's writes start. One run at a time; the
// prototype belongs to the process (and thread) that created it, which must run it.
class GuestPrototype {
 public:
  // Resolves argv[0] like Tracer::Run (NotFound/PermissionDenied); an exec that fails is
  // an error too (FailedPrecondition, naming errno), and nothing is left running.
  // `options` give the stdio and ASLR setting of every copy.
  static absl::StatusOr<std::unique_ptr<GuestPrototype>> Create(const std::vector<std::string>& argv,
                                                               const Subscription& subscription,
                                                               const TracerOptions& options = {});
  ~GuestPrototype();  // kills and reaps the stopped process
  GuestPrototype(const GuestPrototype&) = delete;
  GuestPrototype& operator=(const GuestPrototype&) = delete;

  pid_t pid() const;
  // False once its process is gone (killed from elsewhere); runs of it then fail.
  bool alive() const;
  const std::vector<std::string>& argv() const { return argv_; }

 private:
  friend class Tracer;
  GuestPrototype(std::vector<std::string> argv, std::unique_ptr<internal::PrototypeState> state);
  std::vector<std::string> argv_;
  std::unique_ptr<internal::PrototypeState> state_;
};

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_TRACER_H_
