// Schedule: everything needed to reproduce one run, and its text file.
//
// A schedule is what `ravel run --record FILE` writes and `ravel replay FILE` reads: the
// command that ran (executable, argv, cwd, a hash of the executable), the strategy and seed,
// every decision the strategy took where there was a real choice, the stream of scheduling
// points (for divergence checks), events that came from outside ravel's control, and the
// outcome with the run's fingerprint.
//
// The file is versioned, line-oriented text that can be read and edited by hand; the format
// is documented with an example in replay/README.md. Editing a decision by hand is allowed:
// the file still parses (there is no whole-file checksum), and the replay reports where the
// run diverged from the recording.
//
// Validity (what the writer expects and the reader guarantees):
//   - Thread ids of decisions are >= 0; a wake's wakees are distinct. Step and external
//     events name a thread >= 0, or kNoThread when no thread stopped.
//   - A step's `what` is a syscall number >= 0 or one of the StepWhat codes.
//   - Checkpoint steps strictly ascend; external event steps never decrease.
//   - Option keys are distinct. Every string is at most kMaxStringBytes long (any bytes).
//   - Fields that do not belong to a Decision's kind keep their defaults.
//   - Every list has at most kMaxCount elements.
// For every valid schedule s, ParseSchedule(SerializeSchedule(s)) == s.
//
// The reader is strict and total: on any input it returns either a valid Schedule or an
// InvalidArgumentError whose message is one line starting "line N: " (N counts from 1). It
// never aborts, and its memory stays proportional to the input (see kMaxRunLength).
//
// Usage:
//   Schedule s;  s.command = ...;  s.decisions = recorder.decisions();  ...
//   absl::Status written = WriteScheduleFile(path, s);
//   absl::StatusOr<Schedule> read = ReadScheduleFile(path);  // "PATH: line N: ..." on error
#ifndef RAVEL_REPLAY_SCHEDULE_H_
#define RAVEL_REPLAY_SCHEDULE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "strategies/strategy.h"

namespace ravel {

// The version on the first line of every schedule file ("ravel-schedule 1"). A reader
// accepts this version only: bump it for any change an older reader would misread.
inline constexpr int kScheduleFormatVersion = 1;

// Longest string (argument, path, detail): Linux's limit on one argv element (MAX_ARG_STRLEN).
inline constexpr size_t kMaxStringBytes = size_t{128} << 10;
// Longest line the reader accepts. The writer wraps token lists at ~100 columns, so only
// strings make long lines: two strings of kMaxStringBytes (an option, an external event)
// fit even when every byte is escaped as \xHH.
inline constexpr size_t kMaxLineBytes = size_t{2} << 20;
static_assert(2 * (4 * kMaxStringBytes + 2) + 64 <= kMaxLineBytes);
// Most elements in one list (decisions, steps, checkpoints, external events). At ~20 us a
// scheduling point, 100M points is more than an hour of tracing.
inline constexpr uint64_t kMaxCount = 100'000'000;
// Longest run one token can stand for ("0*10000"). Caps what a few bytes of input can make
// the reader allocate (10000 decisions, ~400 KB); the writer splits longer runs.
inline constexpr uint64_t kMaxRunLength = 10'000;

// One decision the strategy took where there was a real choice.
struct Decision {
  enum class Kind : uint8_t { kPick, kWake, kTime };
  Kind kind = Kind::kPick;
  ThreadId thread = kNoThread;   // kPick: the thread picked
  std::vector<ThreadId> wakees;  // kWake: the waiters released, FIFO order
  bool advance = false;          // kTime: whether virtual time jumped first

  static Decision Pick(ThreadId thread) { return {Kind::kPick, thread, {}, false}; }
  static Decision Wake(std::vector<ThreadId> wakees) {
    return {Kind::kWake, kNoThread, std::move(wakees), false};
  }
  static Decision Time(bool advance) { return {Kind::kTime, kNoThread, {}, advance}; }

  bool operator==(const Decision&) const = default;
};

// "pick of T3", "wake of [1, 3]", "time jump" / "no time jump": for messages.
std::string DescribeDecision(const Decision& decision);

// One scheduling point of the run, for divergence checks: who stopped, and where.
struct StepEvent {
  ThreadId thread = kNoThread;
  int32_t what = 0;  // >= 0: syscall number; < 0: a StepWhat code (strategies/strategy.h)

  bool operator==(const StepEvent&) const = default;
};


// The file's name of a StepWhat code ("start", "rdtsc", "exit", "preempt", "sync", "atomic",
// "atomic-after", "spin");
// empty for syscall numbers and unknown codes.
absl::string_view StepWhatName(int32_t what);

// A rolling fingerprint at a step: XXH3-64 digest of the event stream up to and including it.
struct Checkpoint {
  uint64_t step = 0;
  uint64_t hash = 0;

  bool operator==(const Checkpoint&) const = default;
};

// Where a liveness preemption stopped its thread: the instruction and a hash of the
// registers, so that a replay finds the same point (an int3 at `rip`, matched by the hash).
struct PreemptionSite {
  uint64_t rip = 0;
  uint64_t reg_hash = 0;

  bool operator==(const PreemptionSite&) const = default;
};

// A preemption site in the file's detail text: "rip=0x401000 regs=00000000000000ab".
std::string FormatPreemptionSite(const PreemptionSite& site);
// The site of that text; nullopt when it is not one.
std::optional<PreemptionSite> ParsePreemptionSite(absl::string_view detail);

// Something real time decided, not the seed, recorded so a replay can reproduce it or say
// what the run depended on. Kinds: "preempt" (a liveness preemption: `preemption` holds
// its site, and `detail` the same as text), "external-input" (a thread let into the kernel
// to wait for input from outside; detail: the call), "blocked-in-kernel" (a call moved on
// by the watchdog; detail: the call).
struct ExternalEvent {
  uint64_t step = 0;
  ThreadId thread = kNoThread;
  std::string kind;
  std::string detail;
  std::optional<PreemptionSite> preemption;

  bool operator==(const ExternalEvent&) const = default;
};

// The event of a liveness preemption at `site`.
ExternalEvent PreemptionEvent(uint64_t step, ThreadId thread, const PreemptionSite& site);

struct Schedule {
  // header
  std::string ravel_version;      // e.g. "0.1.0"
  std::string command;            // absolute path of the executable that ran
  std::vector<std::string> args;  // argv, argv[0] included
  std::string cwd;
  uint64_t exe_hash = 0;  // XXH3-64 of the executable's bytes (HashFile)
  std::string strategy;   // "pct", "random", "rr"
  uint64_t seed = 0;
  // Ordered key=value, e.g. pct-depth=3, pct-steps=412, timeout=30.
  std::vector<std::pair<std::string, std::string>> options;
  // body
  std::vector<Decision> decisions;
  std::vector<StepEvent> steps;
  std::vector<Checkpoint> checkpoints;
  std::vector<ExternalEvent> external;
  // trailer
  std::string outcome;  // "pass", "fail(exit 1)", "fail(signal SIGSEGV)", "deadlock", "timeout"
  uint64_t fingerprint = 0;
  int threads = 0;

  bool operator==(const Schedule&) const = default;
};

// The text of `s`, in the current format version. Deterministic: equal schedules give equal
// text. An invalid `s` (see the top of this file) is written anyway, and fails to parse.
std::string SerializeSchedule(const Schedule& s);

// Parses a schedule file's text. Strict: any deviation from the format is an
// InvalidArgumentError "line N: <problem>" (one line), never a partial result.
absl::StatusOr<Schedule> ParseSchedule(absl::string_view text);

// Writes `s` to `path` atomically (WriteFileAtomically, base/atomic_file.h): a temporary
// file in the same directory, flushed to disk, then renamed over `path`; a device such as
// /dev/stdout is written in place. A reader never sees a half-written schedule. Errors
// are one line, "cannot write PATH: reason".
absl::Status WriteScheduleFile(const std::string& path, const Schedule& s);

// Reads and parses `path`. A parse error keeps its code, its message prefixed by the path:
// "PATH: line N: <problem>".
absl::StatusOr<Schedule> ReadScheduleFile(const std::string& path);

// XXH3-64 of a file's bytes, read in chunks (for Schedule::exe_hash).
absl::StatusOr<uint64_t> HashFile(const std::string& path);

}  // namespace ravel

#endif  // RAVEL_REPLAY_SCHEDULE_H_
