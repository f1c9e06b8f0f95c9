#include "cli/run_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/preempt.h"
#include "cli/run_tool.h"
#include "intercept/spawn.h"
#include "replay/schedule.h"

namespace ravel {

bool WriteRunJson(const std::string& path, const ScheduleResult& result, uint64_t seed, const std::string& strategy,
                  const std::vector<std::string>& command) {
  nlohmann::json j;
  j["outcome"] = result.outcome;
  j["exit_code"] = result.exit_code;
  j["steps"] = result.steps;
  j["choices"] = result.choices;
  j["threads"] = result.threads;
  j["liveness_preemptions"] = result.liveness_preemptions;
  j["fingerprint"] = absl::StrFormat("%016x", result.fingerprint);
  j["seed"] = seed;
  j["strategy"] = strategy;
  j["command"] = command;
  j["signature"] = result.signature;
  if (!result.deadlock_report.empty()) j["deadlock_report"] = result.deadlock_report;
  if (!result.divergence.empty()) j["divergence"] = result.divergence;
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) {
    fprintf(stderr, "ravel: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

namespace {

void ReportDeadlock(const ScheduleResult& result) {
  if (result.outcome == "deadlock") {
    fprintf(stderr, "ravel: deadlock: every thread is blocked and nothing can wake them:\n%s",
            result.deadlock_report.c_str());
  }
}

}  // namespace

// How many liveness preemptions the run had, when it had any.
static void ReportLiveness(const ScheduleResult& result) {
  if (result.liveness_preemptions == 0) return;
  fprintf(stderr,
          "ravel: %d liveness preemption%s: a thread ran without a scheduling point for a time slice (a spin?) "
          "and was stopped so that others could run\n",
          result.liveness_preemptions, result.liveness_preemptions == 1 ? "" : "s");
}

int RunScheduled(const std::vector<std::string>& command, const RunOptions& options) {
  ScheduleSpec spec;
  spec.command = command;
  spec.strategy = options.strategy;
  spec.seed = options.seed;
  spec.pct_depth = options.pct_depth;
  spec.pct_steps = options.pct_steps;
  spec.timeout_seconds = options.timeout_seconds;
  spec.verbose = options.verbose;
  spec.record = !options.record_path.empty();
  absl::StatusOr<Preempt> preempt = ParsePreempt(options.preempt);
  if (!preempt.ok()) return UsageError(std::string(preempt.status().message()));
  if (!options.preempt_modules.empty() && !preempt->atomic) {
    return UsageError("--preempt-modules names libraries for atomic points: add --preempt atomic");
  }
  if (absl::Status s = PrepareGuests(*preempt, command); !s.ok()) return UsageError(std::string(s.message()));
  spec.preempt = preempt->ToString();
  spec.preempt_modules = options.preempt_modules;
  ScheduleResult result = RunSchedule(spec);
  if (!result.error.ok()) return result.exit_code;
  if (options.verbose) {
    fprintf(stderr, "ravel: %" PRIu64 " of %" PRIu64 " steps offered a choice (PCT's k: --pct-steps)\n",
            result.choices, result.steps);
  }
  ReportDeadlock(result);
  ReportLiveness(result);
  const std::string strategy = spec.record ? result.schedule.strategy : options.strategy;
  fprintf(stderr, "%s\n", SummaryLine(result, options.seed, strategy).c_str());
  if (spec.record) {
    if (absl::Status s = WriteScheduleFile(options.record_path, result.schedule); !s.ok()) {
      fprintf(stderr, "ravel: cannot write the schedule: %s\n", std::string(s.message()).c_str());
      return kExitUsage;
    }
    fprintf(stderr, "ravel: schedule written to %s; replay: %s\n", options.record_path.c_str(),
            ReplayCommandLine(options.record_path).c_str());
  }
  if (!options.json_path.empty()) WriteRunJson(options.json_path, result, options.seed, strategy, command);
  return result.exit_code;
}

int Replay(const ReplayOptions& options) {
  absl::StatusOr<Schedule> schedule = ReadScheduleFile(options.schedule_path);
  if (!schedule.ok()) return UsageError(std::string(schedule.status().message()));
  const Schedule& s = *schedule;
  if (s.args.empty()) return UsageError(absl::StrCat(options.schedule_path, ": the schedule names no command"));
  if (s.strategy != "pct" && s.strategy != "random" && s.strategy != "rr") {
    return UsageError(absl::StrCat(options.schedule_path, ": unknown strategy '", s.strategy, "'"));
  }
  // The same program: the recorded executable, unchanged.
  absl::StatusOr<uint64_t> hash = HashFile(s.command);
  if (!hash.ok()) {
    return UsageError(absl::StrCat(options.schedule_path, ": the recorded executable ", s.command,
                                   " cannot be read: ", hash.status().message()));
  }
  if (*hash != s.exe_hash) {
    return UsageError(absl::StrFormat("%s: the executable %s changed since the schedule was recorded (hash %016x, "
                                      "recorded %016x); rebuild the recorded version or record again",
                                      options.schedule_path, s.command, *hash, s.exe_hash));
  }
  if (!s.cwd.empty() && chdir(s.cwd.c_str()) != 0) {
    return UsageError(absl::StrCat(options.schedule_path, ": cannot enter the recorded directory ", s.cwd, ": ",
                                   strerror(errno)));
  }
  ScheduleSpec spec;
  spec.command = s.args;
  spec.command[0] = s.command;  // exactly the executable that was recorded
  spec.replay = &s;
  spec.verbose = options.verbose;
  std::vector<std::string> recorded_stdio;
  for (const auto& [key, value] : s.options) {
    if (key == "stdio") {
      recorded_stdio = absl::StrSplit(value, ',');
    } else if (key == "timeout") {
      double seconds = 0;
      if (!absl::SimpleAtod(value, &seconds) || seconds < 0) {
        return UsageError(absl::StrCat(options.schedule_path, ": bad timeout option '", value, "'"));
      }
      spec.timeout_seconds = seconds;
    } else if (key == "preempt-modules") {
      spec.preempt_modules = value;
    } else if (key == "preempt") {
      absl::StatusOr<Preempt> preempt = ParsePreempt(value);
      if (!preempt.ok()) {
        return UsageError(absl::StrCat(options.schedule_path, ": ", preempt.status().message()));
      }
      if (absl::Status st = PrepareGuests(*preempt, spec.command); !st.ok()) return UsageError(std::string(st.message()));
      spec.preempt = preempt->ToString();
    } else if (key != "pct-depth" && key != "pct-steps") {
      return UsageError(absl::StrCat(options.schedule_path, ": unknown option '", key,
                                     "' (recorded by a newer ravel?)"));
    }
  }
  // The guest's stdin, stdout and stderr of the same kinds as when it was recorded, where
  // ravel can make them: /dev/null for a character device, a file whose content is copied
  // to ravel's own fd after the run for a file.
  std::vector<int> opened;
  std::vector<std::pair<int, int>> copy_back;  // (temporary file, ravel's fd)
  for (int fd = 0; fd < 3 && fd < static_cast<int>(recorded_stdio.size()); ++fd) {
    const std::string& want = recorded_stdio[static_cast<size_t>(fd)];
    const std::string have = FdKind(fd);
    if (want == have) continue;
    int replacement = -1;
    if (want == "chr" && fd == 0) {
      replacement = open("/dev/null", O_RDONLY | O_CLOEXEC);
    } else if (want == "file" && fd > 0) {
      char name[] = "/tmp/ravel-replay-XXXXXX";
      replacement = mkostemp(name, O_CLOEXEC);
      if (replacement >= 0) {
        unlink(name);
        copy_back.emplace_back(replacement, fd);
      }
    } else if (want == "chr" && fd > 0 && have == "file") {
      replacement = open("/dev/null", O_WRONLY | O_CLOEXEC);
    }
    if (replacement >= 0) {
      spec.stdio[fd] = replacement;
      opened.push_back(replacement);
    } else {
      fprintf(stderr, "ravel: note: the guest's fd %d was a %s when recorded and is a %s now; the replay may diverge\n",
              fd, want.c_str(), have.c_str());
    }
  }
  ScheduleResult result = RunSchedule(spec);
  for (const auto& [file, to] : copy_back) {
    fflush(to == 1 ? stdout : stderr);
    char buf[65536];
    ssize_t n;
    lseek(file, 0, SEEK_SET);
    while ((n = read(file, buf, sizeof(buf))) > 0) {
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(to, buf + done, static_cast<size_t>(n - done));
        if (w <= 0) break;
        done += w;
      }
    }
  }
  for (int fd : opened) close(fd);
  if (!result.error.ok()) return result.exit_code;
  if (!result.divergence.empty()) {
    fprintf(stderr, "ravel: replay diverged at %s\n", result.divergence.c_str());
    // Liveness preemptions are made again (at the recorded instruction and registers);
    // other external events a replay cannot force.
    std::vector<const ExternalEvent*> unforced;
    for (const ExternalEvent& e : s.external) {
      if (e.kind != "preempt") unforced.push_back(&e);
    }
    if (!unforced.empty()) {
      const ExternalEvent& e = *unforced.front();
      fprintf(stderr,
              "ravel: note: the recorded run depended on %zu event%s outside ravel's control (first: %s %s of T%d "
              "at step %llu), which a replay cannot force\n",
              unforced.size(), unforced.size() == 1 ? "" : "s", e.kind.c_str(), e.detail.c_str(), e.thread,
              static_cast<unsigned long long>(e.step));
    }
  } else {
    ReportDeadlock(result);
    ReportLiveness(result);
    fprintf(stderr, "ravel: reproduced %s\n", SummaryLine(result, s.seed, s.strategy).substr(7).c_str());
  }
  if (!options.json_path.empty()) {
    WriteRunJson(options.json_path, result, s.seed, s.strategy, s.args);
  }
  return result.exit_code;
}

}  // namespace ravel
