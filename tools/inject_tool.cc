#include "tools/inject_tool.h"

#include <xxhash.h>

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "intercept/syscall_table.h"

namespace ravel {

absl::StatusOr<FaultSpec> ParseFaultSpec(const std::string& text) {
  FaultSpec spec;
  spec.text = text;
  size_t eq = text.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad --fail '", text, "': expected SYSCALL=ERRNO[@PROBABILITY], e.g. openat=ENOENT@0.5"));
  }
  std::string name = text.substr(0, eq);
  std::string rest = text.substr(eq + 1);
  std::optional<int> nr = SyscallNumber(name);
  if (!nr.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown syscall '", name, "' in --fail '", text, "'"));
  }
  spec.nr = *nr;
  std::string err = rest;
  size_t at = rest.find('@');
  if (at != std::string::npos) {
    err = rest.substr(0, at);
    absl::string_view p = absl::string_view(rest).substr(at + 1);
    bool percent = absl::ConsumeSuffix(&p, "%");
    double value = 0;
    if (!absl::SimpleAtod(p, &value) || std::isnan(value)) {
      return absl::InvalidArgumentError(absl::StrCat("bad probability '", rest.substr(at + 1), "' in --fail '", text, "'"));
    }
    if (percent) value /= 100.0;
    if (!(value > 0.0 && value <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "probability in --fail '", text, "' must be in (0, 1] (or (0%, 100%])"));
    }
    spec.probability = value;
  }
  int number = 0;
  if (std::optional<int> named = ErrnoByName(err); named.has_value()) {
    spec.error = *named;
  } else if (absl::SimpleAtoi(err, &number) && number > 0 && number < 4096) {
    spec.error = number;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown errno '", err, "' in --fail '", text, "'"));
  }
  return spec;
}

InjectTool::InjectTool(InjectOptions options)
    : options_(std::move(options)), tallies_(options_.faults.size()) {}

Subscription InjectTool::subscription() const {
  Subscription s;
  for (const FaultSpec& f : options_.faults) s.Add(f.nr);
  s.program_entry = !options_.include_startup;
  return s;
}

void InjectTool::OnPostExec(Guest& guest) {
  guest.ProcessState<ProcessPhase>().loading = !options_.include_startup;
}

void InjectTool::OnProgramEntry(Guest& guest) { guest.ProcessState<ProcessPhase>().loading = false; }

SyscallResult InjectTool::OnSyscall(Guest& guest, const Syscall& call) {
  if (guest.ProcessState<ProcessPhase>().loading) return guest.TailInject(call);
  uint64_t ordinal = guest.ThreadState<ThreadCalls>().made[call.nr]++;
  for (size_t i = 0; i < options_.faults.size(); ++i) {
    const FaultSpec& f = options_.faults[i];
    if (f.nr != call.nr) continue;
    ++tallies_[i].calls;
    const uint64_t key[3] = {static_cast<uint64_t>(guest.thread_index()),
                             static_cast<uint64_t>(call.nr), ordinal};
    uint64_t h = XXH3_64bits_withSeed(key, sizeof(key), options_.seed);
    double draw = static_cast<double>(h >> 11) * 0x1.0p-53;  // uniform in [0, 1)
    if (draw < f.probability) {
      ++tallies_[i].failed;
      return -static_cast<int64_t>(f.error);
    }
  }
  return guest.TailInject(call);
}

std::vector<std::string> InjectTool::Report() const {
  std::vector<std::string> lines;
  for (size_t i = 0; i < options_.faults.size(); ++i) {
    lines.push_back(absl::StrFormat("%s: failed %d of %d calls", options_.faults[i].text,
                                    tallies_[i].failed, tallies_[i].calls));
  }
  return lines;
}

}  // namespace ravel
