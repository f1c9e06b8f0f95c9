#include "replay/verify.h"

#include <sys/syscall.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ravel {
namespace {

// The first difference between two runs' step streams, or nullopt when they are equal.
std::optional<RunDifference> FirstDifference(const VerifyRun& a, const VerifyRun& b) {
  const std::vector<StepEvent>& sa = a.schedule.steps;
  const std::vector<StepEvent>& sb = b.schedule.steps;
  const size_t common = std::min(sa.size(), sb.size());
  const bool per_step = a.step_fingerprints.size() == sa.size() && b.step_fingerprints.size() == sb.size();
  // Checkpoints by step, for runs that kept only those.
  size_t ca = 0, cb = 0;
  uint64_t last_equal_checkpoint = 0;
  bool any_checkpoint = false;
  for (size_t i = 0; i < common; ++i) {
    if (sa[i] != sb[i]) {
      RunDifference d;
      d.kind = RunDifference::Kind::kStep;
      d.step = i;
      d.first = sa[i];
      d.second = sb[i];
      return d;
    }
    if (per_step) {
      if (a.step_fingerprints[i] != b.step_fingerprints[i]) {
        RunDifference d;
        d.kind = RunDifference::Kind::kFingerprint;
        d.step = i;
        d.first = sa[i];
        d.second = sb[i];
        // Step i-1's fingerprints were equal: a result of that step differs, or this step's.
        d.since = i > 0 ? i - 1 : 0;
        return d;
      }
      continue;
    }
    while (ca < a.schedule.checkpoints.size() && a.schedule.checkpoints[ca].step < i) ++ca;
    while (cb < b.schedule.checkpoints.size() && b.schedule.checkpoints[cb].step < i) ++cb;
    if (ca < a.schedule.checkpoints.size() && cb < b.schedule.checkpoints.size() &&
        a.schedule.checkpoints[ca].step == i && b.schedule.checkpoints[cb].step == i) {
      if (a.schedule.checkpoints[ca].hash != b.schedule.checkpoints[cb].hash) {
        RunDifference d;
        d.kind = RunDifference::Kind::kFingerprint;
        d.step = i;
        d.first = sa[i];
        d.second = sb[i];
        d.since = any_checkpoint ? last_equal_checkpoint + 1 : 0;
        return d;
      }
      last_equal_checkpoint = i;
      any_checkpoint = true;
    }
  }
  if (sa.size() != sb.size()) {
    RunDifference d;
    d.kind = RunDifference::Kind::kLength;
    d.step = common;
    if (common < sa.size()) d.first = sa[common];
    if (common < sb.size()) d.second = sb[common];
    return d;
  }
  if (a.schedule.outcome != b.schedule.outcome) {
    RunDifference d;
    d.kind = RunDifference::Kind::kOutcome;
    d.step = common;
    return d;
  }
  if (a.schedule.fingerprint != b.schedule.fingerprint) {
    // Every step's fingerprint was equal, but what followed the last step differs.
    RunDifference d;
    d.kind = RunDifference::Kind::kFingerprint;
    d.step = common;
    d.since = common > 0 ? common - 1 : 0;
    return d;
  }
  return std::nullopt;
}

// Recorded events at or before `step` that could have made the runs differ.
void AddRecordedCauses(const VerifyRun& run, int index, uint64_t step, std::vector<CauseCandidate>& out) {
  for (const ExternalEvent& e : run.schedule.external) {
    if (e.step > step) break;  // in step order
    CauseCandidate c;
    if (e.kind == "blocked-in-kernel") {
      c.kind = CauseKind::kBlockedInKernel;
    } else if (e.kind == "external-input") {
      c.kind = CauseKind::kExternalInput;
    } else if (e.kind == "preempt") {
      c.kind = CauseKind::kLivenessPreemption;
    } else {
      c.kind = CauseKind::kExternalInput;  // another kind of event from outside
    }
    c.step = e.step;
    c.thread = e.thread;
    c.run = index;
    c.detail = e.kind == "preempt" ? e.detail : e.detail.empty() ? e.kind : e.detail;
    out.push_back(std::move(c));
  }
  for (const RunWarning& w : run.warnings) {
    if (w.step > step || !absl::StrContains(w.text, "not modelled")) continue;
    CauseCandidate c;
    c.kind = CauseKind::kUnmodelledCall;
    c.step = w.step;
    c.run = index;
    c.detail = w.text;
    out.push_back(std::move(c));
  }
}

// The same event recorded by both runs (same step, kind and detail) is named once.
void MergeBoth(std::vector<CauseCandidate>& causes) {
  std::vector<CauseCandidate> merged;
  for (CauseCandidate& c : causes) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const CauseCandidate& m) {
      return m.kind == c.kind && m.step == c.step && m.thread == c.thread && m.detail == c.detail && m.run != c.run;
    });
    if (same != merged.end()) {
      same->run = 0;
      continue;
    }
    merged.push_back(std::move(c));
  }
  causes = std::move(merged);
}

}  // namespace

VerifyVerdict CompareRuns(const VerifyRun& first, const VerifyRun& second, const RunFacts& facts) {
  VerifyVerdict v;
  v.steps = first.schedule.steps.size();
  v.fingerprint = first.schedule.fingerprint;
  v.outcome = first.schedule.outcome;
  v.second_outcome = second.schedule.outcome;
  v.difference = FirstDifference(first, second);
  v.same = !v.difference.has_value();
  if (v.same) return v;
  const uint64_t step = v.difference->step;

  std::vector<CauseCandidate> recorded;
  AddRecordedCauses(first, 1, step, recorded);
  AddRecordedCauses(second, 2, step, recorded);
  // Earliest first: the runs were equal up to the divergence, so the first event outside
  // ravel's control is where they could first have parted. Stable: run 1 before run 2.
  std::stable_sort(recorded.begin(), recorded.end(),
                   [](const CauseCandidate& a, const CauseCandidate& b) { return *a.step < *b.step; });
  MergeBoth(recorded);
  v.causes = std::move(recorded);

  // After the recorded events (each certainly happened, at a known step): an RDTSC the
  // machine runs natively, which left no trace in the runs.
  if (facts.rdtsc_untrapped && !facts.rdtsc_sites.empty()) {
    CauseCandidate c;
    c.kind = CauseKind::kRdtsc;
    c.detail = absl::StrFormat("%d RDTSC instruction%s in the executable, the first at 0x%x",
                               facts.rdtsc_sites.size(), facts.rdtsc_sites.size() == 1 ? "" : "s",
                               facts.rdtsc_sites.front());
    v.causes.push_back(std::move(c));
  }
  for (int index = 1; index <= 2; ++index) {
    const VerifyRun& run = index == 1 ? first : second;
    const std::vector<StepEvent>& steps = run.schedule.steps;
    const size_t end = std::min<size_t>(steps.size(), step + 1);
    bool found = false;
    for (size_t i = 0; i < end && !found; ++i) {
      if (steps[i].what == SYS_shmat || steps[i].what == SYS_shmget) {
        CauseCandidate c;
        c.kind = CauseKind::kSharedMemory;
        c.step = i;
        c.thread = steps[i].thread;
        c.run = index;
        c.detail = absl::StrCat(steps[i].what);
        v.causes.push_back(std::move(c));
        found = true;
      }
    }
    if (found) break;
  }
  if (first.schedule.outcome == "timeout" || second.schedule.outcome == "timeout") {
    CauseCandidate c;
    c.kind = CauseKind::kTimeout;
    c.run = first.schedule.outcome == "timeout" ? 1 : 2;
    v.causes.push_back(std::move(c));
  }
  if (v.causes.empty()) v.causes.push_back(CauseCandidate{});
  // Without RDTSC in the executable, a library's is possible but nothing points to it.
  if (facts.rdtsc_untrapped && facts.rdtsc_sites.empty()) {
    CauseCandidate c;
    c.kind = CauseKind::kRdtsc;
    c.detail = "none in the executable itself; a library may execute one";
    v.causes.push_back(std::move(c));
  }
  return v;
}

std::string DescribeStepEvent(const std::optional<StepEvent>& step, WhatNamer name_of) {
  if (!step.has_value()) return "nothing (the run had ended)";
  if (step->thread == kNoThread) return absl::StrCat("- ", name_of(step->what));
  return absl::StrCat("T", step->thread, " ", name_of(step->what));
}

std::string DescribeDifference(const RunDifference& d, const VerifyVerdict& v, WhatNamer name_of) {
  switch (d.kind) {
    case RunDifference::Kind::kStep:
      return absl::StrCat("step ", d.step, ": first run ", DescribeStepEvent(d.first, name_of), ", second run ",
                          DescribeStepEvent(d.second, name_of));
    case RunDifference::Kind::kFingerprint:
      if (!d.first.has_value()) {
        return absl::StrCat("after the last step (", d.step,
                            " steps in both runs): the same steps, but the final fingerprints differ");
      }
      return absl::StrCat("step ", d.step, ": both runs ", DescribeStepEvent(d.first, name_of),
                          ", but what the scheduler saw since step ", d.since,
                          " differs (a result it produced, or a preemption's registers)");
    case RunDifference::Kind::kLength:
      return absl::StrCat("step ", d.step, ": first run ", DescribeStepEvent(d.first, name_of), ", second run ",
                          DescribeStepEvent(d.second, name_of));
    case RunDifference::Kind::kOutcome:
      return absl::StrCat("after the last step (", d.step, " steps in both runs): the first run ended ", v.outcome,
                          ", the second ", v.second_outcome);
  }
  return "";
}

std::string DescribeCause(const CauseCandidate& c, WhatNamer name_of) {
  std::string where;
  if (c.step.has_value()) {
    where = absl::StrCat(" (", c.thread != kNoThread ? absl::StrCat("T", c.thread, " ") : "", "at step ", *c.step,
                         c.run == 0 ? " in both runs" : absl::StrCat(" of run ", c.run), ")");
  }
  switch (c.kind) {
    case CauseKind::kBlockedInKernel:
      return absl::StrCat("an unmodelled call: ", c.detail,
                          " blocked in the kernel, and the watchdog moved on after real time passed", where);
    case CauseKind::kExternalInput:
      return absl::StrCat("input from outside the program: ", c.detail, " waited in the kernel for it", where);
    case CauseKind::kUnmodelledCall:
      return absl::StrCat("an unmodelled call (\"", c.detail, "\")", where);
    case CauseKind::kLivenessPreemption:
      return absl::StrCat("a real-time event: a thread that ran without a scheduling point was preempted after a "
                          "real-time slice, ",
                          c.detail, where);
    case CauseKind::kRdtsc:
      return absl::StrCat("an untrapped RDTSC: this machine cannot trap RDTSC, so the time stamp counter is read "
                          "for real (",
                          c.detail, ")");
    case CauseKind::kSharedMemory: {
      int32_t nr = 0;
      (void)absl::SimpleAtoi(c.detail, &nr);
      return absl::StrCat("shared memory: ", name_of(nr),
                          " maps memory that a process outside the guest may write", where);
    }
    case CauseKind::kTimeout:
      return absl::StrCat("a real-time event: run ", c.run, " reached --timeout");
    case CauseKind::kUnknown:
      return "unknown: the runs recorded nothing outside ravel's control; an input it does not control left no "
             "trace (a file the program changed for its next run, the environment, memory shared with an "
             "untraced process)";
  }
  return "";
}

}  // namespace ravel
