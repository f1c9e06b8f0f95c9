#include "cli/explain_command.h"

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/replay_setup.h"
#include "cli/run_command.h"
#include "cli/run_tool.h"
#include "cli/schedule_run.h"
#include "cli/trace.h"
#include "intercept/guest.h"
#include "replay/departures.h"
#include "unwind/stack.h"

namespace ravel {
namespace {

// What a thread was about to do at a step, and where.
struct Moment {
  std::string op;             // "write(1, "x", 1)", "mutex_lock(0x...)", "an atomic instruction"
  bool instruction = false;   // the point is an instruction (rdtsc, atomic, spin, preempt), not a call
  std::vector<Frame> frames;  // innermost first; empty when it could not be unwound
  std::string unwind_error;
};

// The observer of the second replay: at the wanted steps, the step's call and its
// thread's stack.
class MomentTaker : public RunObserver {
 public:
  explicit MomentTaker(std::set<uint64_t> wanted, size_t frames) : wanted_(std::move(wanted)), frames_(frames) {}

  void OnStep(Guest& guest, uint64_t step, ThreadId thread, int64_t what, const Syscall* call) override {
    if (wanted_.count(step) == 0) return;
    Moment& m = moments_[step];
    m.op = DescribeStepAt(guest, what, call);
    m.instruction = what == kWhatRdtsc || what == kWhatAtomic || what == kWhatAtomicAfter || what == kWhatSpin ||
                    what == kWhatPreempt;
    auto& unwinder = unwinders_[guest.pid()];
    if (unwinder == nullptr) {
      Control* control = &guest.control();  // the run's, for as long as it lasts
      absl::StatusOr<std::unique_ptr<StackUnwinder>> made =
          StackUnwinder::ForProcess(guest.pid(), [control](pid_t tid) -> absl::StatusOr<user_regs_struct> {
            absl::StatusOr<Registers> regs = control->ThreadRegisters(tid);
            if (!regs.ok()) return regs.status();
            return regs->raw();
          });
      if (!made.ok()) {
        m.unwind_error = std::string(made.status().message());
        return;
      }
      unwinder = std::move(*made);
    } else {
      (void)unwinder->Refresh();  // code may have been mapped since (dlopen, exec)
    }
    // Generous: the frames of libc and the shim are skipped when printed.
    absl::StatusOr<std::vector<Frame>> frames = unwinder->Unwind(guest.tid(), frames_ + 12);
    if (frames.ok()) {
      m.frames = std::move(*frames);
    } else {
      m.unwind_error = std::string(frames.status().message());
    }
  }

  const std::map<uint64_t, Moment>& moments() const { return moments_; }

 private:
  std::set<uint64_t> wanted_;
  size_t frames_;
  std::map<uint64_t, Moment> moments_;
  std::map<pid_t, std::unique_ptr<StackUnwinder>> unwinders_;
};

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

// The last step at or before `step` made by `thread`, if any.
std::optional<uint64_t> LastStepOf(const Schedule& s, ThreadId thread, uint64_t step) {
  for (uint64_t i = std::min<uint64_t>(step + 1, s.steps.size()); i-- > 0;) {
    if (s.steps[i].thread == thread) return i;
  }
  return std::nullopt;
}


// "T2 ran 5 steps (write > futex > ... > exit_group)": who ran between two steps.
std::string WhoRan(const Schedule& s, uint64_t from, uint64_t to) {
  std::vector<std::string> parts;
  for (uint64_t i = from; i < to && i < s.steps.size();) {
    const ThreadId t = s.steps[i].thread;
    std::vector<std::string> whats;
    uint64_t j = i;
    for (; j < to && j < s.steps.size() && s.steps[j].thread == t; ++j) whats.push_back(WhatName(s.steps[j].what));
    if (whats.size() > 6) whats.erase(whats.begin() + 3, whats.end() - 2), whats.insert(whats.begin() + 3, "...");
    parts.push_back(absl::StrFormat("T%d made %d step%s (%s)", t, j - i, j - i == 1 ? "" : "s",
                                    absl::StrJoin(whats, " > ")));
    i = j;
  }
  return absl::StrJoin(parts, "; then ");
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
  const Schedule& s = prepared.schedule();
  if (!options.trace_path.empty()) {
    if (absl::Status st = CheckTracePath(options.trace_path); !st.ok()) return UsageError(std::string(st.message()));
  }
  ScheduleSpec& spec = prepared.spec();

  // First replay: the departures and their steps.
  std::vector<Departure> departures;
  ScheduleResult first;
  if (std::optional<int> code = prepared.ReplayTracked("explain", first, departures)) return *code;

  // The steps the story needs: each departure's, where the thread picked was waiting,
  // and each thread's last.
  std::set<uint64_t> wanted;
  for (const Departure& d : departures) {
    if (d.kind != Departure::Kind::kPick) continue;
    if (auto at = LastStepOf(s, d.at, d.step)) wanted.insert(*at);
    if (auto picked = LastStepOf(s, d.picked, d.step)) wanted.insert(*picked);
  }
  std::map<ThreadId, uint64_t> last_step;
  for (uint64_t i = 0; i < s.steps.size(); ++i) last_step[s.steps[i].thread] = i;
  for (const auto& [thread, step] : last_step) wanted.insert(step);

  // Second replay: those moments (and the timeline, when asked).
  MomentTaker taker(wanted, options.frames);
  TraceObserver trace;
  struct Both : RunObserver {
    RunObserver* a;
    RunObserver* b;
    void OnThreadStart(Guest& g, ThreadId t) override { a->OnThreadStart(g, t); if (b) b->OnThreadStart(g, t); }
    void OnStep(Guest& g, uint64_t st, ThreadId t, int64_t w, const Syscall* c) override {
      a->OnStep(g, st, t, w, c);
      if (b) b->OnStep(g, st, t, w, c);
    }
    void OnBaton(uint64_t st, ThreadId f, ThreadId t) override { a->OnBaton(st, f, t); if (b) b->OnBaton(st, f, t); }
    void OnWake(uint64_t st, ThreadId w, ThreadId e) override { a->OnWake(st, w, e); if (b) b->OnWake(st, w, e); }
    void OnThreadExit(ThreadId t) override { a->OnThreadExit(t); if (b) b->OnThreadExit(t); }
  } both;
  both.a = &taker;
  both.b = options.trace_path.empty() ? nullptr : &trace;
  spec.observer = &both;
  ScheduleResult second = RunSchedule(spec);
  prepared.FlushOutput();
  if (!second.error.ok()) return second.exit_code;
  if (!second.divergence.empty()) {
    fprintf(stderr, "ravel: cannot explain: the second replay diverged at %s\n", second.divergence.c_str());
    return kExitDiverged;
  }
  absl::Status trace_written;
  if (!options.trace_path.empty()) {
    trace_written = WriteTrace(trace, options.trace_path, second, s.seed, s.strategy, s.args);
  }
  const std::map<uint64_t, Moment>& moments = taker.moments();
  auto moment = [&](std::optional<uint64_t> step) -> const Moment* {
    if (!step.has_value()) return nullptr;
    auto it = moments.find(*step);
    return it == moments.end() ? nullptr : &it->second;
  };

  // The story.
  size_t picks = 0;
  for (const Departure& d : departures) picks += d.kind == Departure::Kind::kPick;
  std::string minimized;
  for (const auto& [key, value] : s.options) {
    if (key == "minimized") minimized = absl::StrCat(", minimised from ", value);
  }
  printf("%s: %s ends in %s after %zu step%s; %zu departure%s from the default schedule%s.\n",
         options.schedule_path.c_str(), ProgramName(s.args).c_str(), first.outcome.c_str(), s.steps.size(),
         s.steps.size() == 1 ? "" : "s", departures.size(), departures.size() == 1 ? "" : "s", minimized.c_str());
  printf("(The default schedule lets a thread run until it blocks or ends; each departure is a\n"
         "decision of the recorded schedule that differs from it.)\n");
  int n = 0;
  for (size_t i = 0; i < departures.size(); ++i) {
    const Departure& d = departures[i];
    printf("\n%d. ", ++n);
    if (d.kind == Departure::Kind::kWake) {
      printf("Step %llu: a futex wake released T%s rather than the longest waiter.\n",
             static_cast<unsigned long long>(d.step), absl::StrJoin(d.wakees, ", T").c_str());
      continue;
    }
    if (d.kind == Departure::Kind::kTime) {
      printf("Step %llu: the clock jumped to the next deadline while threads could still run (time chaos).\n",
             static_cast<unsigned long long>(d.step));
      continue;
    }
    const std::optional<uint64_t> at_step = LastStepOf(s, d.at, d.step);
    const std::optional<uint64_t> picked_step = LastStepOf(s, d.picked, d.step);
    const Moment* at = moment(at_step);
    const Moment* picked = moment(picked_step);
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
    for (size_t j = i + 1; j < departures.size(); ++j) {
      if (departures[j].kind == Departure::Kind::kPick) {
        until = departures[j].step;
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

  // The failure.
  printf("\nThe failure: %s", first.outcome.c_str());
  if (first.outcome == "deadlock") {
    printf(": every thread waits and nothing can wake them.\n");
    for (const auto& [thread, step] : last_step) {
      const Moment* m = moment(step);
      printf("   T%d waits at %s%s (step %llu)\n", thread, m != nullptr ? m->op.c_str() : WhatName(s.steps[step].what).c_str(),
             m != nullptr ? Where(*m).c_str() : "", static_cast<unsigned long long>(step));
      if (m != nullptr) PrintStack(*m, options.frames);
    }
  } else if (!s.steps.empty()) {
    const uint64_t step = s.steps.size() - 1;
    const ThreadId thread = s.steps[step].thread;
    const Moment* m = moment(step);
    printf(": T%d's last step was %s%s (step %llu).\n", thread,
           m != nullptr ? m->op.c_str() : WhatName(s.steps[step].what).c_str(), m != nullptr ? Where(*m).c_str() : "",
           static_cast<unsigned long long>(step));
    if (m != nullptr) PrintStack(*m, options.frames);
  } else {
    printf(".\n");
  }
  fflush(stdout);
  if (!trace_written.ok()) return OutputError(0, trace_written);
  return 0;
}

}  // namespace ravel
