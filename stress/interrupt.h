// Ctrl-C during `ravel stress`: SIGINT, SIGTERM and SIGHUP are noted, not fatal, so that
// the parent stops handing out seeds, tells its workers (SIGTERM: their tracers kill their
// guests) and reports what finished. Workers keep the handler: one finishes its run
// (interrupted) and kills its prototype before it exits. SIGPIPE is ignored meanwhile (a
// worker gone while the parent writes to it).
#ifndef RAVEL_STRESS_INTERRUPT_H_
#define RAVEL_STRESS_INTERRUPT_H_

#include <signal.h>

namespace ravel {

// The signal that interrupted stress, 0 while none has.
int StressInterrupt();
// Notes an interruption (a calibration run that was interrupted), or clears it (0: a
// worker starting afresh).
void SetStressInterrupt(int signal);

// While alive: the handlers above installed (the note cleared); the old ones put back.
class StressInterruptHandlers {
 public:
  StressInterruptHandlers();
  ~StressInterruptHandlers();
  StressInterruptHandlers(const StressInterruptHandlers&) = delete;
  StressInterruptHandlers& operator=(const StressInterruptHandlers&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {}, old_hup_ {}, old_pipe_ {};
};

}  // namespace ravel

#endif  // RAVEL_STRESS_INTERRUPT_H_
