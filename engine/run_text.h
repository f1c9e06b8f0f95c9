// The words runs are reported in, shared by every command: a step's name, the summary
// line, the replay command, a program's name for files, the kind of a guest's stdio.
#ifndef RAVEL_ENGINE_RUN_TEXT_H_
#define RAVEL_ENGINE_RUN_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/scheduled_run.h"

namespace ravel {

// What kind of file `fd` is, as recorded in a schedule's "stdio" option: file, pipe,
// socket, tty, chr (another character device, e.g. /dev/null), dir, other or closed.
// glibc's stdio behaves differently for each (a terminal is line-buffered and probed with
// an ioctl), so a replay gives the guest the same kinds where it can.
std::string FdKind(int fd);

// A step's name: the syscall's ("futex"), or the StepWhat code's ("sync", "preempt").
std::string WhatName(int64_t what);

// The summary line: "ravel: <outcome> steps=N threads=T fingerprint=<16 hex> seed=S strategy=X".
std::string SummaryLine(const ScheduleResult& result, uint64_t seed, const std::string& strategy);

// The exact command that replays `schedule_path`, quoted for a POSIX shell.
std::string ReplayCommandLine(const std::string& schedule_path);

// A word quoted for a POSIX shell where needed.
std::string ShellQuote(const std::string& word);

// The program's name for file names and reports: the basename of argv[0], plus the
// GoogleTest filter when one is given (so per-test stress runs get their own names).
std::string ProgramName(const std::vector<std::string>& command);

}  // namespace ravel

#endif  // RAVEL_ENGINE_RUN_TEXT_H_
