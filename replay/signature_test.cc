#include "replay/signature.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

std::string Name(int32_t what) { return absl::StrCat("c", what); }

TEST(Signature, AFailureNamesTheLastStepsOfTheThreadThatEndedTheRun) {
  SignatureTracker signature;
  for (int64_t what : {1, 2, 3, 4}) signature.OnStep(1, what);
  signature.OnStep(0, 9);
  signature.OnStep(1, 5);
  EXPECT_EQ(signature.Signature("fail(exit 1)", 2, Name), "fail(exit 1) after c3 > c4 > c5");
}

TEST(Signature, ADeadlockNamesEveryThreadsLastStepSortedWithoutIds) {
  SignatureTracker signature;
  signature.OnStep(0, 7);
  signature.OnStep(2, 3);
  signature.OnStep(1, 5);
  signature.OnStep(0, 4);
  EXPECT_EQ(signature.Signature("deadlock", 3, Name), "deadlock after c3 > c4 > c5");
}

TEST(Signature, ASingleThreadedRunOrOneWithoutStepsSaysSo) {
  SignatureTracker signature;
  EXPECT_EQ(signature.Signature("timeout", 2, Name), "timeout after nothing");
  signature.OnStep(0, 1);
  EXPECT_EQ(signature.Signature("fail(signal SIGSEGV)", 1, Name), "fail(signal SIGSEGV) in a single-threaded run");
}

}  // namespace
}  // namespace ravel
