// Prints one line saying which of the machine features ravel can use are here, so that a
// test log says what ran and what was skipped for want of a feature:
//   machine: AMD EPYC; RDTSC traps: no; CPUID faulting: no; PMU: no
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "intercept/guest.h"

namespace {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

// A hardware branch counter for this thread can be opened.
bool HasPmu() {
  perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_BRANCH_INSTRUCTIONS;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd < 0) return false;
  close(static_cast<int>(fd));
  return true;
}

const char* YesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace

int main() {
  printf("machine: %s; RDTSC traps: %s; CPUID faulting: %s; PMU: %s\n", CpuModel().c_str(),
         YesNo(ravel::Guest::HasRdtscInterception()), YesNo(ravel::Guest::HasCpuidInterception()), YesNo(HasPmu()));
  return 0;
}
