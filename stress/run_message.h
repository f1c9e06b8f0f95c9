// What a stress worker tells the parent about one schedule it ran: RunMessage, sent as one
// line of JSON per run over the worker's pipe. Its encoding and decoding are here and
// nowhere else. The parent hands out seeds the other way as raw 8-byte integers
// (WriteSeed, ReadSeed).
#ifndef RAVEL_STRESS_RUN_MESSAGE_H_
#define RAVEL_STRESS_RUN_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>

namespace ravel {

struct RunMessage {
  uint64_t seed = 0;
  // The run was cut short by ravel's interruption: it counts for nothing.
  bool interrupted = false;
  // Not empty when the run could not start; with an empty outcome, no run of the command
  // can (every seed would say the same).
  std::string error;
  std::string outcome;
  std::string signature;  // the run's, or "<outcome> at <file:line>" (FailureSite)
  std::string deadlock_report;
  // The worker's scratch files with the guest's output and the failing run's schedule;
  // copied out (stress/artifacts.h) before the worker's next run overwrites them.
  std::string guest_stdout, guest_stderr;
  std::string schedule;
  std::string schedule_error;  // why the schedule could not be written
  // --verify: the failing seed ran a second time; `not_deterministic` says how the runs
  // differed (empty: the same steps).
  bool verified = false;
  std::string not_deterministic;

  // One line of JSON, newline-terminated.
  std::string Encode() const;
  // The message of a line Encode wrote; nullopt when the line is not one.
  static std::optional<RunMessage> Decode(const std::string& line);
};

// The seed channel: whole 8-byte writes and reads, retried on EINTR. False when the pipe
// is closed (a read at EOF: no more seeds) or broken.
bool WriteSeed(int fd, uint64_t seed);
bool ReadSeed(int fd, uint64_t* seed);
// Writes all of `text`, retried on EINTR; false when the pipe is broken.
bool WriteAll(int fd, const std::string& text);

}  // namespace ravel

#endif  // RAVEL_STRESS_RUN_MESSAGE_H_
