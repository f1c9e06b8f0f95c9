#include "cli/run_command.h"

#include <sys/wait.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/run_tool.h"
#include "intercept/spawn.h"
#include "intercept/syscall_table.h"
#include "intercept/tracer.h"
#include "scheduler/scheduler.h"
#include "strategies/strategy.h"

namespace ravel {

int RunScheduled(const std::vector<std::string>& command, const RunOptions& options) {
  StrategyOptions strategy_options;
  strategy_options.pct_depth = options.pct_depth;
  strategy_options.pct_steps_hint = options.pct_steps;
  absl::StatusOr<std::unique_ptr<Strategy>> strategy = MakeStrategy(options.strategy, strategy_options);
  if (!strategy.ok()) return UsageError(std::string(strategy.status().message()));

  SchedulerOptions scheduler_options;
  scheduler_options.seed = options.seed;
  scheduler_options.timeout_seconds = options.timeout_seconds;
  scheduler_options.log_decisions = options.verbose;
  Scheduler scheduler(**strategy, scheduler_options);
  TracerOptions tracer_options;
  tracer_options.disable_aslr = true;  // addresses are inputs too
  Tracer tracer(scheduler, tracer_options);
  absl::StatusOr<RunResult> result = tracer.Run(command);
  if (std::optional<int> code = ReportUnfinishedRun(result, command)) return *code;

  std::string outcome;
  int exit_code = result->ExitCode();
  const int status = result->main_status;
  if (options.verbose) {
    fprintf(stderr, "ravel: %d of %d steps offered a choice (PCT's k: --pct-steps)\n",
            static_cast<int>(scheduler.choices()), static_cast<int>(scheduler.steps()));
  }
  if (scheduler.deadlocked()) {
    outcome = "deadlock";
    exit_code = kExitDeadlock;
    fprintf(stderr, "ravel: deadlock: every thread is blocked and nothing can wake them:\n%s",
            scheduler.deadlock_report().c_str());
  } else if (scheduler.timed_out()) {
    outcome = "timeout";
    exit_code = kExitTimeout;
  } else if (WIFSIGNALED(status)) {
    outcome = absl::StrCat("fail(signal ", std::string(SignalName(WTERMSIG(status))), ")");
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    outcome = absl::StrCat("fail(exit ", WEXITSTATUS(status), ")");
  } else {
    outcome = "pass";
  }
  std::string fingerprint = absl::StrFormat("%016x", scheduler.fingerprint());
  fprintf(stderr, "ravel: %s steps=%" PRIu64 " threads=%d fingerprint=%s seed=%" PRIu64 " strategy=%s\n",
          outcome.c_str(), scheduler.steps(), scheduler.threads_created(), fingerprint.c_str(), options.seed,
          std::string((*strategy)->name()).c_str());
  if (!options.json_path.empty()) {
    nlohmann::json j;
    j["outcome"] = outcome;
    j["exit_code"] = exit_code;
    j["steps"] = scheduler.steps();
    j["choices"] = scheduler.choices();
    j["threads"] = scheduler.threads_created();
    j["fingerprint"] = fingerprint;
    j["seed"] = options.seed;
    j["strategy"] = std::string((*strategy)->name());
    j["command"] = command;
    if (scheduler.deadlocked()) j["deadlock_report"] = scheduler.deadlock_report();
    std::ofstream out(options.json_path);
    out << j.dump(2) << "\n";
    if (!out) fprintf(stderr, "ravel: cannot write %s\n", options.json_path.c_str());
  }
  return exit_code;
}

}  // namespace ravel
