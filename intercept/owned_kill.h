// Signals from ravel go only to processes ravel owns.
//
// ravel signals its guests (to end a run), its stress workers, and children of either
// that would otherwise be left behind. Nothing else is ever a target:
//  - not pid 0 or a negative pid: those name a whole process group, which is ravel's own
//    and its caller's (a shell, make, ctest);
//  - not a pid that ravel merely once knew: a stale or reused pid belongs to someone else.
// A process is owned when it is this process's child or its tracee (/proc/PID/status:
// PPid or TracerPid is this process). The kernel keeps a child's or a tracee's pid until
// this process has collected its end with waitpid, so a pid found owned cannot be reused
// before the signal arrives, provided the thread that signals is the one that reaps (as
// in the tracer and the stress pool, each single-threaded).
//
// All three calls are async-signal-safe (open, read, close, kill, tgkill and no allocation),
// so ravel's own SIGINT handler can use them.
#ifndef RAVEL_INTERCEPT_OWNED_KILL_H_
#define RAVEL_INTERCEPT_OWNED_KILL_H_

#include <signal.h>
#include <sys/types.h>

namespace ravel {

// What SignalOwned did.
enum class SignalResult {
  kSent,      // the signal was sent
  kGone,      // no such process (already reaped, or never existed)
  kRefused,   // pid <= 0, or not a child or tracee of this process: nothing was sent
};

// Sends `sig` to process `pid` if this process owns it (see above).
SignalResult SignalOwned(pid_t pid, int sig);

// Sends `sig` to thread `tid` of process `pid` (tgkill) if this process owns `pid`.
SignalResult SignalOwnedThread(pid_t pid, pid_t tid, int sig);

// Queues `info` (its si_signo the signal) to process `pid`, or to its thread `tid` when
// tid > 0, if this process owns `pid`: rt_sigqueueinfo / rt_tgsigqueueinfo. The kernel
// takes a foreign siginfo only with a negative si_code (SI_TIMER, SI_QUEUE, ...).
SignalResult QueueSignalOwned(pid_t pid, pid_t tid, const siginfo_t& info);

// Whether this process owns `pid`: pid > 0 and its PPid or TracerPid is this process.
bool OwnsProcess(pid_t pid);

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_OWNED_KILL_H_
