#include "stress/gtest_list.h"

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

TEST(GtestList, AProgramThatIsNotAGoogleTestBinaryIsAnError) {
  absl::StatusOr<std::vector<std::string>> tests = ListGtestTests({"false"});
  ASSERT_FALSE(tests.ok());
  EXPECT_NE(tests.status().message().find("--per-test needs a GoogleTest binary"), std::string::npos);
}

}  // namespace
}  // namespace ravel
