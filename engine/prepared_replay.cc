#include "engine/prepared_replay.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/preempt.h"
#include "engine/run_text.h"
#include "intercept/guest.h"
#include "scheduler/cpu_model.h"
#include "strategies/strategy.h"

namespace ravel {

std::string AbsolutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return absl::StrCat(cwd, "/", path);
}

namespace {

// The schedule names a command and a known strategy, and its executable is unchanged.
absl::Status CheckProgram(const std::string& path, const Schedule& s) {
  if (s.args.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": the schedule names no command"));
  if (!IsStrategyName(s.strategy)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": unknown strategy '", s.strategy, "'"));
  }
  // The same program: the recorded executable, unchanged.
  absl::StatusOr<uint64_t> hash = HashFile(s.command);
  if (!hash.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the recorded executable ", s.command,
                                                   " cannot be read: ", hash.status().message()));
  }
  if (*hash != s.exe_hash) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: the executable %s changed since the schedule was recorded (hash %016x, recorded %016x); "
                        "rebuild the recorded version or record again",
                        path, s.command, *hash, s.exe_hash));
  }
  return absl::OkStatus();
}

// "option tsc" and "option cpuid": what this machine must be able to do for the replay.
absl::Status ApplyMachineOption(const std::string& path, const std::string& key, const std::string& value,
                                ScheduleConfig& config) {
  if (key == "tsc") {
    if (value != "virtual" && value != "host") {
      return absl::InvalidArgumentError(absl::StrCat(path, ": bad tsc option '", value, "'"));
    }
    if (value == "virtual" && !Guest::HasRdtscInterception()) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": recorded with a virtual TSC (RDTSC trapped), but this machine cannot trap RDTSC "
                "(PR_SET_TSC has no effect here): its guest would read the host's counter; replay it on a machine "
                "that traps RDTSC"));
    }
    return absl::OkStatus();
  }
  if (value == "host") return absl::OkStatus();
  absl::StatusOr<CpuModel> model = CpuModel::Parse(value);
  if (!model.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", model.status().message()));
  if (!Guest::HasCpuidInterception()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": recorded with a virtual CPU (CPUID trapped), but this machine offers no CPUID faulting: "
              "its guest would read the host's CPUID; replay it on a machine with CPUID faulting"));
  }
  const std::vector<std::string> missing = model->MissingOn(CpuModel::OfThisHost());
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": recorded on a CPU with features this one lacks (", absl::StrJoin(missing, ", "),
        "): the guest would run instructions this CPU does not have; replay it on a CPU like the recording's"));
  }
  config.cpu_model = value;
  config.settings.virtual_cpu = true;
  return absl::OkStatus();
}

// The schedule's options into `config`; the recorded scheduler model and stdio kinds.
absl::Status ApplyOptions(const std::string& path, const Schedule& s, ScheduleConfig& config, int& model,
                          std::vector<std::string>& recorded_stdio) {
  for (const auto& [key, value] : s.options) {
    if (key == "model") {
      if (!absl::SimpleAtoi(value, &model) || model < 1) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": bad model option '", value, "'"));
      }
      if (model > kSchedulerModel) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": recorded by a newer ravel (scheduler model ", model,
                                                       "; this one has model ", kSchedulerModel, ")"));
      }
    } else if (key == "tsc" || key == "cpuid") {
      if (absl::Status st = ApplyMachineOption(path, key, value, config); !st.ok()) return st;
    } else if (key == "stdio") {
      recorded_stdio = absl::StrSplit(value, ',');
    } else if (key == "timeout") {
      double seconds = 0;
      if (!absl::SimpleAtod(value, &seconds) || seconds < 0) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": bad timeout option '", value, "'"));
      }
      config.settings.timeout_seconds = seconds;
    } else if (key == "preempt-modules") {
      config.settings.preempt_modules = value;
    } else if (key == "preempt") {
      absl::StatusOr<Preempt> preempt = ParsePreempt(value);
      if (!preempt.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", preempt.status().message()));
      if (absl::Status st = PrepareGuests(*preempt, config.command); !st.ok()) {
        return absl::InvalidArgumentError(st.message());
      }
      config.settings.preempt = preempt->ToString();
    } else if (key != "pct-depth" && key != "pct-steps" && key != "minimized") {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unknown option '", key, "' (recorded by a newer ravel?)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PreparedReplay>> PreparedReplay::Open(const std::string& path, bool verbose,
                                                                     Output output) {
  absl::StatusOr<Schedule> read = ReadScheduleFile(path);
  if (!read.ok()) return absl::InvalidArgumentError(read.status().message());
  std::unique_ptr<PreparedReplay> prepared(new PreparedReplay);
  prepared->output_ = output;
  Schedule& s = prepared->schedule_;
  s = *std::move(read);
  if (absl::Status st = CheckProgram(path, s); !st.ok()) return st;
  if (!s.cwd.empty() && chdir(s.cwd.c_str()) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot enter the recorded directory ", s.cwd, ": ", strerror(errno)));
  }
  ScheduleConfig& config = prepared->config_;
  config.command = s.args;
  config.command[0] = s.command;  // exactly the executable that was recorded
  config.replay = &s;
  config.verbose = verbose;
  config.settings.strategy = s.strategy;
  config.settings.seed = s.seed;
  std::vector<std::string> recorded_stdio;
  int model = 1;  // schedules without the option
  if (absl::Status st = ApplyOptions(path, s, config, model, recorded_stdio); !st.ok()) return st;
  if (model != kSchedulerModel) {
    fprintf(stderr,
            "ravel: note: %s was recorded by an older ravel (scheduler model %d; this one has model %d, with the time "
            "chaos horizon and fairness): where those change a decision, the replay diverges\n",
            path.c_str(), model, kSchedulerModel);
  }
  prepared->MatchStdio(recorded_stdio);
  return prepared;
}

void PreparedReplay::MatchStdio(const std::vector<std::string>& recorded_stdio) {
  // The guest's stdin, stdout and stderr of the same kinds as when it was recorded, where
  // ravel can make them: /dev/null for a character device, a file whose content goes to
  // ravel's own fd after the run for a file.
  for (int fd = 0; fd < 3 && fd < static_cast<int>(recorded_stdio.size()); ++fd) {
    const std::string& want = recorded_stdio[static_cast<size_t>(fd)];
    const std::string have = FdKind(fd);
    const bool keep = fd > 0 && want == "file";
    if (want == have && !(keep && output_ == Output::kDiscard)) continue;
    int replacement = -1;
    if (want == "chr" && fd == 0) {
      replacement = open("/dev/null", O_RDONLY | O_CLOEXEC);
    } else if (keep) {
      char name[] = "/tmp/ravel-replay-XXXXXX";
      replacement = mkostemp(name, O_CLOEXEC);
      if (replacement >= 0) {
        unlink(name);
        kept_.emplace_back(replacement, fd);
      }
    } else if (want == "chr" && fd > 0) {
      replacement = open("/dev/null", O_WRONLY | O_CLOEXEC);
    }
    if (replacement >= 0) {
      config_.stdio[fd] = replacement;
      opened_.push_back(replacement);
    } else {
      fprintf(stderr, "ravel: note: the guest's fd %d was a %s when recorded and is a %s now; the replay may diverge\n",
              fd, want.c_str(), have.c_str());
    }
  }
}

PreparedReplay::~PreparedReplay() {
  for (int fd : opened_) close(fd);
}

std::optional<int> PreparedReplay::ReplayTracked(const char* what, ScheduleResult& result,
                                                std::vector<Departure>& departures) {
  config_.departures = &departures;
  result = RunSchedule(config_);
  FlushOutput();
  config_.departures = nullptr;
  if (!result.error.ok()) return result.exit_code;
  if (!result.divergence.empty()) {
    fprintf(stderr, "ravel: cannot %s: the schedule does not replay (diverged at %s)\n", what,
            result.divergence.c_str());
    return kExitDiverged;
  }
  return std::nullopt;
}

void PreparedReplay::FlushOutput() {
  for (const auto& [file, to] : kept_) {
    if (output_ == Output::kPassThrough) {
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
    if (ftruncate(file, 0) != 0) continue;
    lseek(file, 0, SEEK_SET);
  }
}

}  // namespace ravel
