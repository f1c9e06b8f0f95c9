#include "stress/interrupt.h"

namespace ravel {
namespace {

volatile sig_atomic_t g_stress_interrupt = 0;
void OnStressInterrupt(int sig) { g_stress_interrupt = sig; }

}  // namespace

int StressInterrupt() { return g_stress_interrupt; }

void SetStressInterrupt(int signal) { g_stress_interrupt = signal; }

StressInterruptHandlers::StressInterruptHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStressInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
  sigaction(SIGHUP, &sa, &old_hup_);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, &old_pipe_);
  g_stress_interrupt = 0;
}

StressInterruptHandlers::~StressInterruptHandlers() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGHUP, &old_hup_, nullptr);
  sigaction(SIGPIPE, &old_pipe_, nullptr);
}

}  // namespace ravel
