#include "replay/verify.h"

#include <sys/syscall.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

std::string Name(int32_t what) {
  if (what == SYS_getpid) return "getpid";
  if (what == SYS_getppid) return "getppid";
  if (what == SYS_shmat) return "shmat";
  if (what < 0) return std::string(StepWhatName(what));
  return absl::StrCat("sys", what);
}

// A run of `steps`, each step's fingerprint the running sum of (thread, what), plus
// `salt` from step `salt_from` on (a result that differs without changing the steps).
VerifyRun MakeRun(std::vector<StepEvent> steps, const std::string& outcome = "pass", uint64_t salt = 0,
              size_t salt_from = 0) {
  VerifyRun run;
  uint64_t fp = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    fp = fp * 31 + static_cast<uint64_t>(steps[i].thread) * 1000 + static_cast<uint64_t>(steps[i].what + 100);
    if (i >= salt_from) fp += salt;
    run.step_fingerprints.push_back(fp);
  }
  run.schedule.steps = std::move(steps);
  run.schedule.outcome = outcome;
  run.schedule.fingerprint = fp;
  return run;
}

const std::vector<StepEvent> kBase = {{0, kWhatThreadStart}, {0, 56}, {1, kWhatThreadStart}, {1, 39}, {0, 202},
                                      {1, 231}, {0, 231}};

TEST(Verify, EqualRunsAreTheSame) {
  VerifyVerdict v = CompareRuns(MakeRun(kBase), MakeRun(kBase), RunFacts{});
  EXPECT_TRUE(v.same);
  EXPECT_EQ(v.steps, kBase.size());
  EXPECT_FALSE(v.difference.has_value());
  EXPECT_TRUE(v.causes.empty());
}

TEST(Verify, TheFirstDifferingStepIsNamedWithBothThreadsAndCalls) {
  std::vector<StepEvent> other = kBase;
  other[3] = {1, SYS_getppid};
  other[5] = {0, 1};  // a later difference is not the first
  VerifyVerdict v = CompareRuns(MakeRun(kBase), MakeRun(other), RunFacts{});
  ASSERT_FALSE(v.same);
  ASSERT_TRUE(v.difference.has_value());
  EXPECT_EQ(v.difference->kind, RunDifference::Kind::kStep);
  EXPECT_EQ(v.difference->step, 3u);
  EXPECT_EQ(DescribeDifference(*v.difference, v, Name), "step 3: first run T1 getpid, second run T1 getppid");
}

TEST(Verify, NothingRecordedMeansUnknown) {
  std::vector<StepEvent> other = kBase;
  other[4] = {1, 202};
  VerifyVerdict v = CompareRuns(MakeRun(kBase), MakeRun(other), RunFacts{});
  ASSERT_EQ(v.causes.size(), 1u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kUnknown);
  EXPECT_TRUE(absl::StartsWith(DescribeCause(v.causes[0], Name), "unknown"));
}

TEST(Verify, AnExternalEventAtOrBeforeTheDivergenceIsTheCause) {
  std::vector<StepEvent> other = kBase;
  other[4] = {1, 202};
  VerifyRun a = MakeRun(kBase), b = MakeRun(other);
  b.schedule.external.push_back(ExternalEvent{2, 1, "blocked-in-kernel", "openat", std::nullopt});
  b.schedule.external.push_back(ExternalEvent{6, 0, "external-input", "read", std::nullopt});  // after: not a cause
  VerifyVerdict v = CompareRuns(a, b, RunFacts{});
  ASSERT_EQ(v.causes.size(), 1u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kBlockedInKernel);
  EXPECT_EQ(v.causes[0].step, 2u);
  EXPECT_EQ(v.causes[0].run, 2);
  const std::string text = DescribeCause(v.causes[0], Name);
  EXPECT_TRUE(absl::StrContains(text, "openat")) << text;
  EXPECT_TRUE(absl::StrContains(text, "T1 at step 2 of run 2")) << text;
}

TEST(Verify, TheEarliestRecordedEventComesFirstAndOneInBothRunsIsNamedOnce) {
  std::vector<StepEvent> other = kBase;
  other[6] = {0, 60};
  VerifyRun a = MakeRun(kBase), b = MakeRun(other);
  a.schedule.external.push_back(PreemptionEvent(4, 1, PreemptionSite{0x401000, 0xab}));
  b.schedule.external.push_back(ExternalEvent{1, 0, "external-input", "read", std::nullopt});
  a.schedule.external.push_back(ExternalEvent{5, 0, "external-input", "read", std::nullopt});
  b.schedule.external.push_back(ExternalEvent{5, 0, "external-input", "read", std::nullopt});
  VerifyVerdict v = CompareRuns(a, b, RunFacts{});
  ASSERT_EQ(v.causes.size(), 3u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kExternalInput);
  EXPECT_EQ(v.causes[0].step, 1u);
  EXPECT_EQ(v.causes[1].kind, CauseKind::kLivenessPreemption);
  EXPECT_EQ(v.causes[2].step, 5u);
  EXPECT_EQ(v.causes[2].run, 0);
  EXPECT_TRUE(absl::StrContains(DescribeCause(v.causes[2], Name), "in both runs"));
}

TEST(Verify, AWarningOfAnUnmodelledCallIsACause) {
  std::vector<StepEvent> other = kBase;
  other[5] = {1, 7};
  VerifyRun a = MakeRun(kBase), b = MakeRun(other);
  a.warnings.push_back(RunWarning{2, "pause is not modelled by the scheduler: it runs in the kernel"});
  a.warnings.push_back(RunWarning{1, "T0 ran for 0.2 s without a scheduling point"});  // not about a call
  VerifyVerdict v = CompareRuns(a, b, RunFacts{});
  ASSERT_EQ(v.causes.size(), 1u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kUnmodelledCall);
  EXPECT_TRUE(absl::StrContains(DescribeCause(v.causes[0], Name), "pause is not modelled")) << DescribeCause(v.causes[0], Name);
}

TEST(Verify, RdtscInTheExecutableOnAMachineThatCannotTrapItIsACause) {
  std::vector<StepEvent> other = kBase;
  other[3] = {1, SYS_getppid};
  RunFacts facts;
  facts.rdtsc_untrapped = true;
  facts.rdtsc_sites = {0x1139, 0x1200};
  VerifyVerdict v = CompareRuns(MakeRun(kBase), MakeRun(other), facts);
  ASSERT_EQ(v.causes.size(), 1u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kRdtsc);
  const std::string text = DescribeCause(v.causes[0], Name);
  EXPECT_TRUE(absl::StrContains(text, "2 RDTSC instructions in the executable, the first at 0x1139")) << text;

  // A machine that traps RDTSC makes it virtual: no cause.
  facts.rdtsc_untrapped = false;
  v = CompareRuns(MakeRun(kBase), MakeRun(other), facts);
  ASSERT_EQ(v.causes.size(), 1u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kUnknown);
}

TEST(Verify, AnUntrappedRdtscFoundNowhereComesAfterUnknown) {
  std::vector<StepEvent> other = kBase;
  other[3] = {1, SYS_getppid};
  RunFacts facts;
  facts.rdtsc_untrapped = true;
  VerifyVerdict v = CompareRuns(MakeRun(kBase), MakeRun(other), facts);
  ASSERT_EQ(v.causes.size(), 2u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kUnknown);
  EXPECT_EQ(v.causes[1].kind, CauseKind::kRdtsc);
}

TEST(Verify, SharedMemoryBeforeTheDivergenceIsACause) {
  std::vector<StepEvent> base = kBase;
  base[1] = {0, SYS_shmat};
  std::vector<StepEvent> other = base;
  other[4] = {0, 1};
  VerifyVerdict v = CompareRuns(MakeRun(base), MakeRun(other), RunFacts{});
  ASSERT_EQ(v.causes.size(), 1u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kSharedMemory);
  EXPECT_TRUE(absl::StrContains(DescribeCause(v.causes[0], Name), "shmat")) << DescribeCause(v.causes[0], Name);
}

TEST(Verify, SameStepsWithADifferentResultIsAFingerprintDifference) {
  VerifyVerdict v = CompareRuns(MakeRun(kBase), MakeRun(kBase, "pass", 7, 4), RunFacts{});
  ASSERT_FALSE(v.same);
  EXPECT_EQ(v.difference->kind, RunDifference::Kind::kFingerprint);
  EXPECT_EQ(v.difference->step, 4u);
  EXPECT_EQ(v.difference->since, 3u);
  EXPECT_EQ(DescribeDifference(*v.difference, v, Name),
            "step 4: both runs T0 sys202, but what the scheduler saw since step 3 differs (a result it "
            "produced, or a preemption's registers)");
}

TEST(Verify, CheckpointsAloneLocateAFingerprintDifferenceBetweenThem) {
  VerifyRun a = MakeRun(kBase), b = MakeRun(kBase, "pass", 7, 4);
  for (VerifyRun* run : {&a, &b}) {
    run->schedule.checkpoints = {{1, run->step_fingerprints[1]}, {5, run->step_fingerprints[5]}};
    run->step_fingerprints.clear();
  }
  VerifyVerdict v = CompareRuns(a, b, RunFacts{});
  ASSERT_FALSE(v.same);
  EXPECT_EQ(v.difference->kind, RunDifference::Kind::kFingerprint);
  EXPECT_EQ(v.difference->step, 5u);
  EXPECT_EQ(v.difference->since, 2u);
}

TEST(Verify, ARunThatEndsEarlierDiffersWhereItEnded) {
  std::vector<StepEvent> shorter(kBase.begin(), kBase.end() - 2);
  VerifyVerdict v = CompareRuns(MakeRun(kBase), MakeRun(shorter, "fail(exit 1)"), RunFacts{});
  ASSERT_FALSE(v.same);
  EXPECT_EQ(v.difference->kind, RunDifference::Kind::kLength);
  EXPECT_EQ(v.difference->step, 5u);
  EXPECT_EQ(DescribeDifference(*v.difference, v, Name), "step 5: first run T1 sys231, second run nothing (the run had ended)");
}

TEST(Verify, EqualStepsWithAnotherOutcomeDiffer) {
  VerifyRun b = MakeRun(kBase, "timeout");
  VerifyVerdict v = CompareRuns(MakeRun(kBase), b, RunFacts{});
  ASSERT_FALSE(v.same);
  EXPECT_EQ(v.difference->kind, RunDifference::Kind::kOutcome);
  EXPECT_EQ(DescribeDifference(*v.difference, v, Name),
            "after the last step (7 steps in both runs): the first run ended pass, the second timeout");
  ASSERT_EQ(v.causes.size(), 1u);
  EXPECT_EQ(v.causes[0].kind, CauseKind::kTimeout);
  EXPECT_EQ(v.causes[0].run, 2);
}

}  // namespace
}  // namespace ravel
