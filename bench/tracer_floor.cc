// tracer_floor CMD...: where the time of one traced run goes. Runs CMD repeatedly, in
// rounds that alternate between: natively (fork, exec, wait); under the tracer with a tool
// that subscribes to nothing (spawn, exec setup, exit: the fixed cost of tracing); with
// every syscall stopped and passed through; and under the scheduler. Prints the mean
// milliseconds per run of each. Usage: tracer_floor [-n RUNS] CMD...
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "intercept/guest.h"
#include "intercept/tool.h"
#include "intercept/tracer.h"
#include "scheduler/scheduler.h"
#include "strategies/strategy.h"

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Nothing : public ravel::Tool {};

class PassThrough : public ravel::Tool {
 public:
  ravel::Subscription subscription() const override { return ravel::Subscription::AllSyscalls(); }
  ravel::SyscallResult OnSyscall(ravel::Guest& guest, const ravel::Syscall& call) override {
    return guest.TailInject(call);
  }
};

void Native(const std::vector<std::string>& command, int devnull) {
  pid_t pid = fork();
  if (pid == 0) {
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char*> argv;
    for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  waitpid(pid, nullptr, 0);
}

void Traced(ravel::Tool& tool, const std::vector<std::string>& command, int devnull) {
  ravel::TracerOptions options;
  options.stdio[1] = devnull;
  options.stdio[2] = devnull;
  ravel::Tracer tracer(tool, options);
  (void)tracer.Run(command);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 100;
  int first = 1;
  if (argc > 2 && strcmp(argv[1], "-n") == 0) {
    runs = atoi(argv[2]);
    first = 3;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: tracer_floor [-n RUNS] CMD...\n");
    return 2;
  }
  std::vector<std::string> command(argv + first, argv + argc);
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  const char* names[] = {"native", "traced, nothing subscribed", "traced, every syscall stopped", "scheduled (rr)"};
  double total[4] = {0, 0, 0, 0};
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    for (int mode = 0; mode < 4; ++mode) {
      const double start = Now();
      for (int i = 0; i < runs / kRounds; ++i) {
        if (mode == 0) {
          Native(command, devnull);
        } else if (mode == 1) {
          Nothing tool;
          Traced(tool, command, devnull);
        } else if (mode == 2) {
          PassThrough tool;
          Traced(tool, command, devnull);
        } else {
          auto strategy = ravel::MakeStrategy("rr", {});
          ravel::Scheduler scheduler(**strategy, {});
          Traced(scheduler, command, devnull);
        }
      }
      total[mode] += Now() - start;
    }
  }
  const int done = runs / kRounds * kRounds;
  for (int mode = 0; mode < 4; ++mode) {
    printf("%-32s %7.3f ms per run\n", names[mode], 1000 * total[mode] / done);
  }
  return 0;
}
