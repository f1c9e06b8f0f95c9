#include "replay/replay_check.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

using ::testing::Eq;
using ::testing::Optional;

std::string Name(int32_t what) { return what >= 0 ? absl::StrCat("call", what) : absl::StrCat("code", -what); }

// Three steps (T0 call1, T1 call2, T0 call3) with a checkpoint after the second.
Schedule Recorded() {
  Schedule s;
  s.steps = {StepEvent{0, 1}, StepEvent{1, 2}, StepEvent{0, 3}};
  s.checkpoints = {Checkpoint{1, 0xabc}};
  s.outcome = "pass";
  s.fingerprint = 0x123;
  s.threads = 2;
  return s;
}

TEST(ReplayCheck, TheRecordedStepsAndEndPass) {
  const Schedule s = Recorded();
  ReplayStrategy replayer(s.decisions, "rr");
  ReplayChecker checker(s, replayer);
  EXPECT_EQ(checker.CheckStep(0, 0, 1, 0x1, Name), std::nullopt);
  EXPECT_EQ(checker.CheckStep(1, 1, 2, 0xabc, Name), std::nullopt);
  EXPECT_EQ(checker.CheckStep(2, 0, 3, 0x2, Name), std::nullopt);
  EXPECT_EQ(checker.CheckEnd(ReplayEnd{3, "pass", 0x123, 2}, Name), std::nullopt);
}

TEST(ReplayCheck, AnotherThreadOrCallAtAStepIsADivergenceNamingBoth) {
  const Schedule s = Recorded();
  ReplayStrategy replayer(s.decisions, "rr");
  ReplayChecker checker(s, replayer);
  EXPECT_THAT(checker.CheckStep(0, 1, 1, 0, Name), Optional(Eq("step 0: recorded T0 call1(...), now T1 call1(...)")));
  EXPECT_THAT(checker.CheckStep(0, 0, -4, 0, Name), Optional(Eq("step 0: recorded T0 call1(...), now T0 code4")));
}

TEST(ReplayCheck, AFingerprintThatDiffersAtACheckpointNamesTheStepsSinceThePreviousOne) {
  Schedule s = Recorded();
  s.checkpoints = {Checkpoint{0, 0x10}, Checkpoint{2, 0x20}};
  ReplayStrategy replayer(s.decisions, "rr");
  ReplayChecker checker(s, replayer);
  EXPECT_EQ(checker.CheckStep(0, 0, 1, 0x10, Name), std::nullopt);
  EXPECT_EQ(checker.CheckStep(1, 1, 2, 0x99, Name), std::nullopt);  // no checkpoint here
  EXPECT_THAT(checker.CheckStep(2, 0, 3, 0x21, Name),
              Optional(Eq("step 2: T0 call3(...) as recorded, but the arguments or results of a step since step 1 "
                          "differ (fingerprint 0000000000000021, recorded 0000000000000020)")));
}

TEST(ReplayCheck, AStepPastTheRecordedEndIsADivergence) {
  const Schedule s = Recorded();
  ReplayStrategy replayer(s.decisions, "rr");
  ReplayChecker checker(s, replayer);
  EXPECT_THAT(checker.CheckStep(3, 1, 7, 0, Name),
              Optional(Eq("step 3: the recorded run had ended (3 steps), now T1 call7(...)")));
}

TEST(ReplayCheck, ARunThatEndsEarlyOrOtherwiseIsADivergence) {
  const Schedule s = Recorded();
  ReplayStrategy replayer(s.decisions, "rr");
  ReplayChecker checker(s, replayer);
  EXPECT_THAT(checker.CheckEnd(ReplayEnd{2, "deadlock", 0x123, 2}, Name),
              Optional(Eq("step 2: recorded T0 call3(...), now the run ended (deadlock)")));
  EXPECT_THAT(checker.CheckEnd(ReplayEnd{3, "fail(exit 1)", 0x123, 2}, Name),
              Optional(Eq("step 3: recorded outcome pass, now fail(exit 1)")));
  EXPECT_THAT(checker.CheckEnd(ReplayEnd{3, "pass", 0x124, 2}, Name),
              Optional(Eq("step 3: fingerprint 0000000000000124, recorded 0000000000000123")));
  EXPECT_THAT(checker.CheckEnd(ReplayEnd{3, "pass", 0x123, 3}, Name),
              Optional(Eq("step 3: the recorded run had 2 threads, this one 3")));
}

TEST(ReplayCheck, RecordedDecisionsLeftAtTheEndAreADivergence) {
  Schedule s = Recorded();
  s.decisions = {Decision::Pick(1)};
  ReplayStrategy replayer(s.decisions, "rr");
  ReplayChecker checker(s, replayer);
  EXPECT_THAT(checker.CheckEnd(ReplayEnd{3, "pass", 0x123, 2}, Name),
              Optional(Eq("step 3: the run ended with recorded decisions left (0 of 1 taken)")));
}

}  // namespace
}  // namespace ravel
