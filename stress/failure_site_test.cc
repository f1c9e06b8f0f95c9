#include "stress/failure_site.h"

#include "gtest/gtest.h"

namespace ravel {
namespace {

TEST(FailureSite, AGoogleTestFailureNamesItsFileAndLine) {
  EXPECT_EQ(FailureSiteIn("[ RUN      ] Bank.Transfer\n/src/bank/bank_test.cc:74: Failure\nExpected equality"),
            "bank_test.cc:74");
}

TEST(FailureSite, AFailedAssertNamesItsFileAndLine) {
  EXPECT_EQ(FailureSiteIn("account: src/account.c:12: withdraw: Assertion `balance >= 0' failed.\n"), "account.c:12");
}

TEST(FailureSite, OutputWithoutAKnownFormNamesNothing) {
  EXPECT_EQ(FailureSiteIn("segmentation fault at main.c:3\n"), "");
  EXPECT_EQ(FailureSite("/nonexistent/out", "/nonexistent/err"), "");
}

}  // namespace
}  // namespace ravel
