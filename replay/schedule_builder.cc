#include "replay/schedule_builder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ravel {

void ScheduleBuilder::OnStep(uint64_t step, ThreadId thread, int64_t what, uint64_t fingerprint) {
  schedule_.steps.push_back(StepEvent{thread, static_cast<int32_t>(what)});
  if ((step + 1) % kCheckpointEvery == 0) schedule_.checkpoints.push_back(Checkpoint{step, fingerprint});
}

Schedule ScheduleBuilder::Finish(const RecordingHeader& header, std::vector<Decision> decisions,
                                 std::vector<ExternalEvent> external, const RecordingTrailer& trailer) {
  Schedule& out = schedule_;
  out.ravel_version = header.ravel_version;
  out.command = header.command;
  out.args = header.args;
  out.cwd = header.cwd;
  out.exe_hash = header.exe_hash;
  out.strategy = header.strategy;
  out.seed = header.seed;
  if (header.strategy == "pct" && !header.guided) {
    out.options.emplace_back("pct-depth", absl::StrCat(header.pct_depth));
    out.options.emplace_back("pct-steps", absl::StrCat(header.pct_steps));
  }
  out.options.emplace_back("model", absl::StrCat(header.model));
  out.options.emplace_back("tsc", header.virtual_tsc ? "virtual" : "host");
  out.options.emplace_back("cpuid", header.cpuid);
  if (header.timeout_seconds > 0) out.options.emplace_back("timeout", absl::StrCat(header.timeout_seconds));
  if (!header.preempt.empty() && header.preempt != "syscall") out.options.emplace_back("preempt", header.preempt);
  if (!header.preempt_modules.empty()) out.options.emplace_back("preempt-modules", header.preempt_modules);
  out.options.emplace_back("stdio", absl::StrJoin(header.stdio_kinds, ","));
  out.decisions = std::move(decisions);
  out.external = std::move(external);
  out.outcome = trailer.outcome;
  out.fingerprint = trailer.fingerprint;
  out.threads = trailer.threads;
  return std::move(schedule_);
}

}  // namespace ravel
