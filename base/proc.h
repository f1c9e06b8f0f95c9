// Facts about a process or thread read from /proc, and the tracer's real-time clock.
#ifndef RAVEL_BASE_PROC_H_
#define RAVEL_BASE_PROC_H_

#include <sys/types.h>

#include <optional>
#include <string_view>

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

// CLOCK_MONOTONIC in seconds: real time for timeouts, watchdogs and rates.
double MonotonicSeconds();

}  // namespace ravel

#endif  // RAVEL_BASE_PROC_H_
