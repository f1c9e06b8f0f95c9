#include "stress/gtest_list.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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

// What the listing starts is ended with it, whether it lists in time or not.
TEST(GtestList, NothingTheListingStartedIsLeftRunning) {
  for (const char* script : {"sleep 1000 >/dev/null & echo $! >&2; exec sleep 1000",
                             "sleep 1000 >/dev/null & echo $! >&2; echo Suite.; echo '  Test'"}) {
    int err[2];
    ASSERT_EQ(pipe2(err, O_CLOEXEC), 0);
    const int saved = fcntl(2, F_DUPFD_CLOEXEC, 0);
    dup2(err[1], 2);
    close(err[1]);
    absl::StatusOr<std::vector<std::string>> tests = ListGtestTests({"sh", "-c", script}, absl::Milliseconds(300));
    dup2(saved, 2);
    close(saved);
    char buf[32] = {};
    const ssize_t n = read(err[0], buf, sizeof(buf) - 1);
    close(err[0]);
    ASSERT_GT(n, 0) << script;
    const pid_t background = static_cast<pid_t>(atol(buf));
    ASSERT_GT(background, 0) << script;
    EXPECT_EQ(tests.ok(), std::string(script).find("Suite") != std::string::npos) << script << ": " << tests.status();
    // Killed and reaped: the pid names no process, and this process has no child left.
    EXPECT_NE(kill(background, 0), 0) << script;
    EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1) << script;
  }
}

TEST(GtestList, AProgramThatIsNotAGoogleTestBinaryIsAnError) {
  absl::StatusOr<std::vector<std::string>> tests = ListGtestTests({"false"});
  ASSERT_FALSE(tests.ok());
  EXPECT_NE(tests.status().message().find("--per-test needs a GoogleTest binary"), std::string::npos);
}

}  // namespace
}  // namespace ravel
