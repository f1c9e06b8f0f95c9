// syscall_histogram CMD...: runs CMD under ravel's interception layer and prints how often
// it made each syscall. A minimal tool against the installed package.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "intercept/guest.h"
#include "intercept/tool.h"
#include "intercept/tracer.h"

namespace {

class Histogram : public ravel::Tool {
 public:
  ravel::Subscription subscription() const override { return ravel::Subscription::AllSyscalls(); }
  ravel::SyscallResult OnSyscall(ravel::Guest& guest, const ravel::Syscall& call) override {
    ++counts_[std::string(call.name())];
    return guest.TailInject(call);
  }
  const std::map<std::string, int>& counts() const { return counts_; }

 private:
  std::map<std::string, int> counts_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: syscall_histogram CMD...\n");
    return 2;
  }
  Histogram tool;
  ravel::Tracer tracer(tool);
  absl::StatusOr<ravel::RunResult> result = tracer.Run(std::vector<std::string>(argv + 1, argv + argc));
  if (!result.ok()) {
    fprintf(stderr, "syscall_histogram: %s\n", std::string(result.status().message()).c_str());
    return 2;
  }
  for (const auto& [name, count] : tool.counts()) printf("%s %d\n", name.c_str(), count);
  return result->ExitCode();
}
