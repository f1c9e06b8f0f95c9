// Facts about a process or thread read from /proc, and the tracer's real-time clock.
#ifndef RAVEL_BASE_PROC_H_
#define RAVEL_BASE_PROC_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ravel {

// The leading fields of /proc/PID/stat (or /proc/PID/task/TID/stat) that ravel uses.
struct ProcStat {
  char state = 0;  // R, S, D, T, t, Z, X, ...
  pid_t ppid = 0;
  pid_t pgrp = 0;
};

// Parses the text of a stat file: "pid (comm) state ppid pgrp ...". The command name may
// hold spaces and parentheses; the last ')' ends it. nullopt when the text is not that.
std::optional<ProcStat> ParseProcStat(std::string_view text);

// Reads /proc/PID/stat, or /proc/PID/task/TID/stat when tid > 0. nullopt when the process
// or thread is gone (or the file cannot be parsed).
std::optional<ProcStat> ReadProcStat(pid_t pid, pid_t tid = 0);

// The processes whose parent is `parent` (a scan of /proc), in no particular order.
std::vector<pid_t> ChildrenOf(pid_t parent);

// A thread's signal masks from /proc/PID/task/TID/status (bit N-1 is signal N).
struct ProcSignals {
  uint64_t pending = 0;         // SigPnd: sent to this thread
  uint64_t shared_pending = 0;  // ShdPnd: sent to its process
  uint64_t blocked = 0;         // SigBlk
  uint64_t ignored = 0;         // SigIgn
  uint64_t caught = 0;          // SigCgt
};

// Parses the text of a status file; nullopt unless all five lines are there.
std::optional<ProcSignals> ParseProcSignals(std::string_view text);

// Reads /proc/PID/task/TID/status. nullopt when the thread is gone.
std::optional<ProcSignals> ReadProcSignals(pid_t pid, pid_t tid);

// A thread's id as its own process sees it (the last field of the "NSpid:" line of a
// status file: the innermost pid namespace's), from the text of /proc/PID/task/TID/status;
// nullopt without such a line.
std::optional<pid_t> ParseInnermostTid(std::string_view status);
// The same, read from /proc; nullopt when the thread is gone.
std::optional<pid_t> ReadInnermostTid(pid_t pid, pid_t tid);

// The bytes of /proc/PID/auxv: (type, value) pairs of uint64, up to AT_NULL. An error
// naming the file when it cannot be read.
absl::StatusOr<std::string> ReadProcAuxv(pid_t pid);

// The value of entry `type` in auxv bytes, or nullopt when there is none.
std::optional<uint64_t> AuxvValue(std::string_view auxv, uint64_t type);

// CLOCK_MONOTONIC in seconds: real time for timeouts, watchdogs and rates.
double MonotonicSeconds();

}  // namespace ravel

#endif  // RAVEL_BASE_PROC_H_
