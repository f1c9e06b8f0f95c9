// CpuSplit: a scheduled guest on one CPU, ravel's tracer on the others.
//
// Under the scheduler one guest thread runs at a time, so the guest loses nothing on one
// CPU, and there a hand-off from one of its threads to another (a futex wake, then a
// wait) is a switch on that CPU instead of a wake-up across CPUs: on the 2-CPU VMs the
// kernel's own futex ring costs about half as much on one CPU (bench/RESULTS.md). The
// tracer, polling for the guest's stops, then has a CPU of its own.
//
// Runs of ravel on one machine keep out of each other's way: a run claims its guest's CPU
// by binding an abstract unix socket named after the CPU, which the kernel releases when
// the claim ends or the process does, however it ends (nothing is left behind on disk).
// A run takes the highest CPU it may use that no other run has claimed; when every one is
// claimed, or it may use only one, it does not split. Two runs at once on two CPUs so
// cross: each one's tracer on the other's guest CPU.
#ifndef RAVEL_INTERCEPT_CPU_SPLIT_H_
#define RAVEL_INTERCEPT_CPU_SPLIT_H_

#include <sched.h>

#include <optional>
#include <string>

namespace ravel {

class CpuSplit {
 public:
  // The name runs claim CPUs under (the socket of CPU n is "<name>-<n>"): the
  // environment's RAVEL_CPU_CLAIMS if set (tests give their runs a name of their own),
  // else "ravel-guest-cpu".
  static std::string ClaimName();

  // Claims a CPU of `allowed` for the guest, under `name`: nullopt when `allowed` holds
  // fewer than two CPUs or every one of them is claimed.
  static std::optional<CpuSplit> Claim(const cpu_set_t& allowed, const std::string& name);

  CpuSplit(CpuSplit&& other) noexcept;
  CpuSplit& operator=(CpuSplit&& other) noexcept;
  ~CpuSplit();

  int guest_cpu() const { return guest_cpu_; }
  const cpu_set_t& guest_cpus() const { return guest_; }
  // `allowed` without the guest's CPU: the tracer's.
  const cpu_set_t& tracer_cpus() const { return rest_; }

 private:
  CpuSplit(int fd, int guest_cpu, const cpu_set_t& allowed);

  int fd_;  // the claim; -1 once moved from
  int guest_cpu_;
  cpu_set_t guest_, rest_;
};

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_CPU_SPLIT_H_
