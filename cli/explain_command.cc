#include "cli/explain_command.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/run_command.h"
#include "engine/explain.h"
#include "engine/prepared_replay.h"
#include "engine/run_text.h"
#include "engine/run_tool.h"
#include "engine/trace.h"

namespace ravel {
namespace {

// A frame of the program itself (with line information, not in the C library or
// ravel's shim): where a story says something happened.
bool IsProgramFrame(const Frame& f) {
  return !f.file.empty() && f.module.rfind("libc.so", 0) != 0 && f.module.rfind("libravel-sync", 0) != 0 &&
         f.module.rfind("libstdc++", 0) != 0 && f.module.rfind("ld-linux", 0) != 0;
}

// "in withdraw() account.c:17" (the innermost frame of the program), or "".
std::string Where(const Moment& m) {
  for (const Frame& f : m.frames) {
    if (IsProgramFrame(f)) return absl::StrCat(" in ", FormatFrame(f));
  }
  if (!m.frames.empty()) return absl::StrCat(" in ", FormatFrame(m.frames.front()));
  return "";
}

void PrintStack(const Moment& m, size_t max_frames) {
  if (m.frames.empty()) {
    if (!m.unwind_error.empty()) printf("        (no stack: %s)\n", m.unwind_error.c_str());
    return;
  }
  // From the first frame of the program outwards, as a debugger's backtrace would show
  // the interesting part; the library frames above it are counted.
  size_t first = 0;
  while (first < m.frames.size() && !IsProgramFrame(m.frames[first])) ++first;
  if (first == m.frames.size()) first = 0;
  if (first > 0) printf("        (%zu frame%s in libraries)\n", first, first == 1 ? "" : "s");
  for (size_t i = first; i < m.frames.size() && i < first + max_frames; ++i) {
    printf("        #%zu %s\n", i, FormatFrame(m.frames[i]).c_str());
  }
}

// The opening: the program, its outcome, and how many departures there are.
void PrintOpening(const ExplainOptions& options, const Schedule& s, const Story& story) {
  std::string minimized;
  for (const auto& [key, value] : s.options) {
    if (key == "minimized") minimized = absl::StrCat(", minimised from ", value);
  }
  const size_t departures = story.departures.size();
  printf("%s: %s ends in %s after %zu step%s; %zu departure%s from the default schedule%s.\n",
         options.schedule_path.c_str(), ProgramName(s.args).c_str(), story.first.outcome.c_str(), s.steps.size(),
         s.steps.size() == 1 ? "" : "s", departures, departures == 1 ? "" : "s", minimized.c_str());
  printf("(The default schedule lets a thread run until it blocks or ends; each departure is a\n"
         "decision of the recorded schedule that differs from it.)\n");
}

// Departure `i`, a pick: who stopped where, who ran instead, their stacks, what ran until
// the next departure, and when a preempted thread resumed.
void PrintPick(const ExplainOptions& options, const Schedule& s, const Story& story, size_t i) {
  const Departure& d = story.departures[i];
  const std::optional<uint64_t> at_step = LastStepOf(s, d.at, d.step);
  const Moment* at = story.At(at_step);
  const Moment* picked = story.At(LastStepOf(s, d.picked, d.step));
  const uint64_t step = d.step;
  const std::string since =
      at_step.has_value() && *at_step != step ? absl::StrCat(" (its step ", *at_step, ")") : "";
  if (d.preempted) {
    printf("Step %llu: T%d was preempted at %s%s%s, before %s ran;\n", static_cast<unsigned long long>(step),
           d.at, at != nullptr ? at->op.c_str() : "its point", at != nullptr ? Where(*at).c_str() : "",
           since.c_str(), at != nullptr && at->instruction ? "the instruction" : "the call");
  } else if (d.at != kNoThread) {
    printf("Step %llu: T%d blocked or ended at %s%s%s, and T%d ran rather than T%d;\n",
           static_cast<unsigned long long>(step), d.at, at != nullptr ? at->op.c_str() : "its point",
           at != nullptr ? Where(*at).c_str() : "", since.c_str(), d.picked, d.fallback);
  } else {
    printf("Step %llu: T%d ran rather than T%d;\n", static_cast<unsigned long long>(step), d.picked, d.fallback);
  }
  if (picked != nullptr) {
    printf("   T%d ran instead, from %s%s.\n", d.picked, picked->op.c_str(), Where(*picked).c_str());
  } else {
    printf("   T%d ran instead, from its start.\n", d.picked);
  }
  if (at != nullptr) {
    printf("     T%d's stack:\n", d.at);
    PrintStack(*at, options.frames);
  }
  if (picked != nullptr) {
    printf("     T%d's stack:\n", d.picked);
    PrintStack(*picked, options.frames);
  }
  // What ran until the next departure (or the end).
  uint64_t until = s.steps.size();
  for (size_t j = i + 1; j < story.departures.size(); ++j) {
    if (story.departures[j].kind == Departure::Kind::kPick) {
      until = story.departures[j].step;
      break;
    }
  }
  if (step + 1 < until) printf("   Then %s.\n", WhoRan(s, step + 1, until).c_str());
  // When the thread that lost the baton got it back, if it did.
  if (d.preempted) {
    uint64_t back = step + 1;
    while (back < s.steps.size() && s.steps[back].thread != d.at) ++back;
    if (back < s.steps.size()) {
      printf("   T%d resumed at step %llu.\n", d.at, static_cast<unsigned long long>(back));
    } else {
      printf("   T%d made no step after that.\n", d.at);
    }
  }
}

void PrintDepartures(const ExplainOptions& options, const Schedule& s, const Story& story) {
  int n = 0;
  for (size_t i = 0; i < story.departures.size(); ++i) {
    const Departure& d = story.departures[i];
    printf("\n%d. ", ++n);
    if (d.kind == Departure::Kind::kWake) {
      printf("Step %llu: a futex wake released T%s rather than the longest waiter.\n",
             static_cast<unsigned long long>(d.step), absl::StrJoin(d.wakees, ", T").c_str());
    } else if (d.kind == Departure::Kind::kTime) {
      printf("Step %llu: the clock jumped to the next deadline while threads could still run (time chaos).\n",
             static_cast<unsigned long long>(d.step));
    } else {
      PrintPick(options, s, story, i);
    }
  }
}

// The failure: for a deadlock where each thread waits, else the last step.
void PrintFailure(const ExplainOptions& options, const Schedule& s, const Story& story) {
  printf("\nThe failure: %s", story.first.outcome.c_str());
  if (story.first.outcome == "deadlock") {
    printf(": every thread waits and nothing can wake them.\n");
    for (const auto& [thread, step] : story.last_step) {
      const Moment* m = story.At(step);
      printf("   T%d waits at %s%s (step %llu)\n", thread, m != nullptr ? m->op.c_str() : WhatName(s.steps[step].what).c_str(),
             m != nullptr ? Where(*m).c_str() : "", static_cast<unsigned long long>(step));
      if (m != nullptr) PrintStack(*m, options.frames);
    }
  } else if (!s.steps.empty()) {
    const uint64_t step = s.steps.size() - 1;
    const ThreadId thread = s.steps[step].thread;
    const Moment* m = story.At(step);
    printf(": T%d's last step was %s%s (step %llu).\n", thread,
           m != nullptr ? m->op.c_str() : WhatName(s.steps[step].what).c_str(), m != nullptr ? Where(*m).c_str() : "",
           static_cast<unsigned long long>(step));
    if (m != nullptr) PrintStack(*m, options.frames);
  } else {
    printf(".\n");
  }
}

}  // namespace

int Explain(const ExplainOptions& given) {
  // The schedule's directory is entered: the trace file is named from the current one.
  ExplainOptions options = given;
  options.trace_path = AbsolutePath(given.trace_path);
  absl::StatusOr<std::unique_ptr<PreparedReplay>> opened =
      PreparedReplay::Open(options.schedule_path, options.verbose, PreparedReplay::Output::kDiscard);
  if (!opened.ok()) return UsageError(std::string(opened.status().message()));
  PreparedReplay& prepared = **opened;
  prepared.DefaultTimeout(options.timeout_seconds);
  const Schedule& s = prepared.schedule();
  if (!options.trace_path.empty()) {
    if (absl::Status st = CheckTracePath(options.trace_path); !st.ok()) return UsageError(std::string(st.message()));
  }
  TraceObserver trace;
  Story story;
  if (std::optional<int> code = GatherStory(prepared, options.frames, options.trace_path.empty() ? nullptr : &trace,
                                            story)) {
    return *code;
  }
  absl::Status trace_written;
  if (!options.trace_path.empty()) {
    trace_written = WriteTrace(trace, options.trace_path, story.second, s.seed, s.strategy, s.args);
  }
  PrintOpening(options, s, story);
  PrintDepartures(options, s, story);
  PrintFailure(options, s, story);
  fflush(stdout);
  if (!trace_written.ok()) return OutputError(0, trace_written);
  return 0;
}

namespace {

class ExplainSubcommand : public Subcommand {
 public:
  explicit ExplainSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "explain", "Tell the story of a failing schedule (best after ravel minimize): each departure\n"
                   "from the default schedule with its step, the threads involved, what each was\n"
                   "about to do (the syscall and its arguments, the sync operation) and where in the\n"
                   "source (function, file:line, from the program's debug information), what ran\n"
                   "until the next one, then the failure with the failing thread's stack.\n"
                   "Example: ravel explain min.sched");
    app_->add_option("FILE", options_.schedule_path,
                     "A schedule (ravel minimize, ravel run --record, ravel stress)")
        ->required();
    app_->add_option("--trace", options_.trace_path, kTraceHelp);
    app_->add_option("--frames", options_.frames, "Frames of each stack to show (default 6)")
        ->check(CLI::PositiveNumber);
    AddTimeoutFlag(app_, &options_.timeout_seconds,
                   "A replay taking longer than SECONDS of real time stops as a timeout (default: the\n"
                   "recorded run's --timeout, else none)");
  }

  int Run(const Invocation& in) override {
    if (in.had_dashes) return UsageError("ravel explain takes no command: the schedule names it");
    ExplainOptions options = options_;
    options.verbose = in.verbose;
    return Explain(options);
  }

 private:
  ExplainOptions options_;
};

}  // namespace

std::unique_ptr<Subcommand> MakeExplainSubcommand(CLI::App& parent) { return std::make_unique<ExplainSubcommand>(parent); }

}  // namespace ravel
