#include "gdb/signals.h"

#include <csignal>

namespace ravel::gdb {
namespace {

constexpr int kGdbUnknown = 143;

struct SignalPair {
  int host;
  int gdb;
};

// The classic signals. SIGSTKFLT has no gdb number; SIGPOLL is SIGIO on Linux.
constexpr SignalPair kClassic[] = {
    {SIGHUP, 1},    {SIGINT, 2},     {SIGQUIT, 3},   {SIGILL, 4},     {SIGTRAP, 5},
    {SIGABRT, 6},   {SIGFPE, 8},     {SIGKILL, 9},   {SIGBUS, 10},    {SIGSEGV, 11},
    {SIGSYS, 12},   {SIGPIPE, 13},   {SIGALRM, 14},  {SIGTERM, 15},   {SIGURG, 16},
    {SIGSTOP, 17},  {SIGTSTP, 18},   {SIGCONT, 19},  {SIGCHLD, 20},   {SIGTTIN, 21},
    {SIGTTOU, 22},  {SIGIO, 23},     {SIGXCPU, 24},  {SIGXFSZ, 25},   {SIGVTALRM, 26},
    {SIGPROF, 27},  {SIGWINCH, 28},  {SIGUSR1, 30},  {SIGUSR2, 31},   {SIGPWR, 32},
};

// Real-time signals: 33..63 are gdb 45..75, 32 is 77, 64..127 are 78..141.
constexpr int kRt33 = 45, kRt63 = 75, kRt32 = 77, kRt64 = 78, kRt127 = 141;

}  // namespace

int HostToGdbSignal(int host) {
  if (host == 0) return 0;
  for (const SignalPair& p : kClassic) {
    if (p.host == host) return p.gdb;
  }
  if (host == 32) return kRt32;
  if (host >= 33 && host <= 63) return kRt33 + (host - 33);
  if (host >= 64 && host <= 127) return kRt64 + (host - 64);
  return kGdbUnknown;
}

int GdbToHostSignal(int gdb) {
  if (gdb == 0) return 0;
  for (const SignalPair& p : kClassic) {
    if (p.gdb == gdb) return p.host;
  }
  int host = -1;
  if (gdb == kRt32) host = 32;
  if (gdb >= kRt33 && gdb <= kRt63) host = 33 + (gdb - kRt33);
  if (gdb >= kRt64 && gdb <= kRt127) host = 64 + (gdb - kRt64);
  // Linux stops at SIGRTMAX (64 on x86-64).
  return host > 0 && host <= 64 ? host : -1;
}

}  // namespace ravel::gdb
