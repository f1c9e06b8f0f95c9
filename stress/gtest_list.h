// `ravel stress --per-test`: the tests of a GoogleTest binary, each stressed on its own.
#ifndef RAVEL_STRESS_GTEST_LIST_H_
#define RAVEL_STRESS_GTEST_LIST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ravel {

// The tests of `command --gtest_list_tests`, as Suite.Test names (disabled ones left out).
// InvalidArgument when the command fails or lists no tests.
absl::StatusOr<std::vector<std::string>> ListGtestTests(const std::vector<std::string>& command);

// The Suite.Test names in the text --gtest_list_tests prints ("Suite." lines, then
// indented test names, "#" comments), disabled ones left out.
std::vector<std::string> ParseGtestList(const std::string& text);

}  // namespace ravel

#endif  // RAVEL_STRESS_GTEST_LIST_H_
