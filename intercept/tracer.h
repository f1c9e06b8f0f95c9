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
}

struct TracerOptions {
  bool disable_aslr = false;   // personality(ADDR_NO_RANDOMIZE) for the guest
  // The guest's stdin, stdout and stderr: these fds of ravel, or -1 to inherit ravel's.
  int stdio[3] = {-1, -1, -1};
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

class Tracer {
 public:
  explicit Tracer(Tool& tool, TracerOptions options = {});
  ~Tracer();

  // argv[0] is resolved on $PATH (see ResolveCommand); its errors come back as
  // NotFound/PermissionDenied statuses before anything runs.
  absl::StatusOr<RunResult> Run(const std::vector<std::string>& argv);

 private:
  std::unique_ptr<internal::TracerCore> core_;
};

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_TRACER_H_
