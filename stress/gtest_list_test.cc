#include "stress/gtest_list.h"

#include <sys/wait.h>

#include <cerrno>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ravel {
namespace {

TEST(GtestList, SuitesAndTestsBecomeSuiteDotTestWithoutDisabledOnesOrComments) {
  const std::string text =
      "Queue.\n"
      "  PushPop\n"
      "  DISABLED_Slow\n"
      "Param/Queue.  # TypeParam = int\n"
      "  Many/0  # GetParam() = 3\n"
      "DISABLED_Old.\n"
      "  Anything\n";
  EXPECT_EQ(ParseGtestList(text), (std::vector<std::string>{"Queue.PushPop", "Param/Queue.Many/0"}));
}

// A program that ignores the flag and runs on (here: sleeps) is not waited for: it is
// killed and reaped at the limit, and the error says why.
TEST(GtestList, AProgramThatDoesNotListAndExitIsGivenUpOnAtTheLimit) {
  absl::StatusOr<std::vector<std::string>> tests =
      ListGtestTests({"sh", "-c", "exec sleep 1000"}, absl::Milliseconds(300));
  ASSERT_FALSE(tests.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(tests.status())) << tests.status();
  EXPECT_NE(tests.status().message().find("did not finish within 300ms"), std::string::npos) << tests.status();
  // Reaped: this process has no child left.
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(GtestList, AProgramThatIsNotAGoogleTestBinaryIsAnError) {
  absl::StatusOr<std::vector<std::string>> tests = ListGtestTests({"false"});
  ASSERT_FALSE(tests.ok());
  EXPECT_NE(tests.status().message().find("--per-test needs a GoogleTest binary"), std::string::npos);
}

}  // namespace
}  // namespace ravel
