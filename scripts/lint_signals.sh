#!/bin/sh
# Every signal ravel sends goes through intercept/owned_kill (SignalOwned,
# SignalOwnedThread, QueueSignalOwned), which refuses pid <= 0 and processes ravel neither started nor traces.
# Fails, naming each line, when ravel's own sources call kill, tkill, tgkill or killpg
# anywhere else. Guests, corpora, tests and test fixtures are not ravel and may signal as
# they like (gdb/ptrace_target.cc is the gdb tests' debuggee driver). Tables that name
# the calls without making them (intercept/syscall_table.cc, scheduler/syscalls.cc) are not
# senders either.
set -eu
root="${1:-.}"
cd "$root"
found=$(grep -rnE '(^|[^_a-zA-Z])(kill|tkill|tgkill|killpg)[[:space:]]*\(|SYS_(tgkill|tkill|kill|rt_sigqueueinfo|rt_tgsigqueueinfo),' \
  base cli engine stress intercept scheduler replay strategies tools gdb unwind preempt \
  --include='*.cc' --include='*.h' --include='*.c' |
  grep -v -E '_test\.cc:|/testdata/|^intercept/owned_kill\.cc:|^intercept/syscall_table\.cc:|^scheduler/syscalls\.cc:|^gdb/ptrace_target\.cc:' |
  grep -v -E '^[^:]+:[0-9]+:[[:space:]]*//' || true)
if [ -n "$found" ]; then
  echo "signals must go through intercept/owned_kill.h (SignalOwned):" >&2
  echo "$found" >&2
  exit 1
fi
echo "lint: every signal goes through intercept/owned_kill"
