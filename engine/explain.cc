#include "engine/explain.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/run_text.h"
#include "engine/trace.h"
#include "intercept/guest.h"

namespace ravel {
namespace {

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

// Two observers of one run.
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
};

// The steps the story needs: each departure's, where the thread picked was waiting, and
// each thread's last.
std::set<uint64_t> WantedSteps(const Schedule& s, const Story& story) {
  std::set<uint64_t> wanted;
  for (const Departure& d : story.departures) {
    if (d.kind != Departure::Kind::kPick) continue;
    if (auto at = LastStepOf(s, d.at, d.step)) wanted.insert(*at);
    if (auto picked = LastStepOf(s, d.picked, d.step)) wanted.insert(*picked);
  }
  for (const auto& [thread, step] : story.last_step) wanted.insert(step);
  return wanted;
}

}  // namespace

const Moment* Story::At(std::optional<uint64_t> step) const {
  if (!step.has_value()) return nullptr;
  auto it = moments.find(*step);
  return it == moments.end() ? nullptr : &it->second;
}

std::optional<uint64_t> LastStepOf(const Schedule& s, ThreadId thread, uint64_t step) {
  for (uint64_t i = std::min<uint64_t>(step + 1, s.steps.size()); i-- > 0;) {
    if (s.steps[i].thread == thread) return i;
  }
  return std::nullopt;
}


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

std::optional<int> GatherStory(PreparedReplay& prepared, size_t frames, RunObserver* trace, Story& story) {
  const Schedule& s = prepared.schedule();
  // First replay: the departures and their steps.
  if (std::optional<int> code = prepared.ReplayTracked("explain", story.first, story.departures)) return *code;
  for (uint64_t i = 0; i < s.steps.size(); ++i) story.last_step[s.steps[i].thread] = i;

  // Second replay: those moments (and the timeline, when asked).
  MomentTaker taker(WantedSteps(s, story), frames);
  Both both;
  both.a = &taker;
  both.b = trace;
  prepared.config().observer = &both;
  story.second = RunSchedule(prepared.config());
  prepared.config().observer = nullptr;
  prepared.FlushOutput();
  if (!story.second.error.ok()) return story.second.exit_code;
  if (!story.second.divergence.empty()) {
    fprintf(stderr, "ravel: cannot explain: the second replay diverged at %s\n", story.second.divergence.c_str());
    return kExitDiverged;
  }
  story.moments = taker.moments();
  return std::nullopt;
}

}  // namespace ravel
