// `ravel stress --per-test`: the tests of a GoogleTest binary, each stressed on its own.
#ifndef RAVEL_STRESS_GTEST_LIST_H_
#define RAVEL_STRESS_GTEST_LIST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ravel {

// A GoogleTest binary lists its tests in well under a second; one that does not finish
// in this long is not one (it runs instead, or waits for input).
inline constexpr absl::Duration kGtestListLimit = absl::Seconds(30);

// The tests of `command --gtest_list_tests`, as Suite.Test names (disabled ones left out).
// InvalidArgument when the command fails or lists no tests; DeadlineExceeded when it has
// not finished within `limit` (it is killed and reaped). Nothing it started is left
// running: this process becomes a child subreaper, and the listing's descendants are
// killed and reaped once it has ended. Call it before this process has other children.
absl::StatusOr<std::vector<std::string>> ListGtestTests(const std::vector<std::string>& command,
                                                        absl::Duration limit = kGtestListLimit);

// The Suite.Test names in the text --gtest_list_tests prints ("Suite." lines, then
// indented test names, "#" comments), disabled ones left out.
std::vector<std::string> ParseGtestList(const std::string& text);

}  // namespace ravel

#endif  // RAVEL_STRESS_GTEST_LIST_H_
