// A recorded schedule made ready to run again, for `ravel replay`, `minimize` and
// `explain`: the file read and checked (its executable unchanged since), the recorded
// directory entered, a ScheduleConfig filled from its command and options, and the guest's
// stdin/stdout/stderr of the kinds it had when recorded (glibc's stdio behaves
// differently on a terminal, a file and /dev/null, so a replay gives it the same kinds).
//
// Usage:
//   absl::StatusOr<std::unique_ptr<PreparedReplay>> prepared = PreparedReplay::Open(path, ...);
//   if (!prepared.ok()) return UsageError(std::string(prepared.status().message()));
//   ScheduleResult result = RunSchedule((*prepared)->config());
//   (*prepared)->FlushOutput();   // the guest's output kept in a file, to ravel's own fd
#ifndef RAVEL_ENGINE_PREPARED_REPLAY_H_
#define RAVEL_ENGINE_PREPARED_REPLAY_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/scheduled_run.h"
#include "replay/schedule.h"

namespace ravel {

// `path` made absolute against the current directory: PreparedReplay::Open enters the
// recorded directory, so paths the user named are resolved before that.
std::string AbsolutePath(const std::string& path);

class PreparedReplay {
 public:
  // What becomes of the guest's output where the recording had a file (or pipe).
  enum class Output {
    kPassThrough,  // kept in a temporary file, copied to ravel's fd by FlushOutput
    kDiscard,      // kept in a temporary file, thrown away by FlushOutput (many runs)
  };

  // InvalidArgument (one line, naming `path`) when the file cannot be read or parsed,
  // names no command or an unknown strategy or option, when its executable changed or
  // cannot be read, or the recorded directory cannot be entered. Prepares the guests
  // for the recorded --preempt (the sync shim).
  static absl::StatusOr<std::unique_ptr<PreparedReplay>> Open(const std::string& path, bool verbose,
                                                              Output output = Output::kPassThrough);
  ~PreparedReplay();
  PreparedReplay(const PreparedReplay&) = delete;
  PreparedReplay& operator=(const PreparedReplay&) = delete;

  const Schedule& schedule() const { return schedule_; }
  // Replays the schedule (config().replay points at it); callers may change other fields
  // (guide, departures, observer: then clear replay).
  ScheduleConfig& config() { return config_; }
  // Replays the schedule once with a DepartureTracker: its departures from the default
  // schedule, in `departures`. A run that could not start or was interrupted returns its
  // exit code; one that diverged prints "ravel: cannot <what>: the schedule does not
  // replay (diverged at ...)" and returns kExitDiverged; nullopt when it replayed.
  // A run taking longer than `seconds` of real time ends as a timeout, unless the schedule
  // records a limit of its own (0: none). The --timeout of replay, minimize and explain.
  void DefaultTimeout(double seconds) {
    if (config_.settings.timeout_seconds == 0) config_.settings.timeout_seconds = seconds;
  }
  std::optional<int> ReplayTracked(const char* what, ScheduleResult& result, std::vector<Departure>& departures);

  // After a run: the guest's output kept in files goes to ravel's own stdout/stderr
  // (kPassThrough) or is dropped (kDiscard); the files are emptied for the next run.
  void FlushOutput();

 private:
  PreparedReplay() = default;
  // The guest's stdio of the recorded kinds where this process's differ (a note when
  // ravel cannot make one).
  void MatchStdio(const std::vector<std::string>& recorded_stdio);

  Schedule schedule_;
  ScheduleConfig config_;
  Output output_ = Output::kPassThrough;
  std::vector<int> opened_;
  std::vector<std::pair<int, int>> kept_;  // (temporary file, ravel's fd)
};

}  // namespace ravel

#endif  // RAVEL_ENGINE_PREPARED_REPLAY_H_
