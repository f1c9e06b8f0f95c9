// The fuzzer's regression corpus (tests/fuzz/schedule/): every file is read without a
// crash; files named valid-* parse and round-trip, files named invalid-* are rejected with
// a one-line "line N: " message. Other files (inputs the fuzzer found) only must not crash.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "replay/schedule.h"

namespace ravel {
namespace {

std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(ScheduleCorpusTest, EveryFileBehaves) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(RAVEL_SCHEDULE_CORPUS_DIR)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  int valid = 0;
  int invalid = 0;
  for (const std::filesystem::path& path : files) {
    SCOPED_TRACE(path.string());
    const std::string name = path.filename().string();
    const absl::StatusOr<Schedule> parsed = ParseSchedule(ReadBytes(path));
    if (parsed.ok()) {
      const absl::StatusOr<Schedule> again = ParseSchedule(SerializeSchedule(*parsed));
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_TRUE(*again == *parsed);
    } else {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_TRUE(absl::StartsWith(parsed.status().message(), "line "));
      EXPECT_FALSE(absl::StrContains(parsed.status().message(), "\n"));
    }
    if (absl::StartsWith(name, "valid-")) {
      ++valid;
      EXPECT_TRUE(parsed.ok()) << parsed.status();
    } else if (absl::StartsWith(name, "invalid-")) {
      ++invalid;
      EXPECT_FALSE(parsed.ok()) << "parsed";
    }
  }
  EXPECT_GE(valid, 3);
  EXPECT_GE(invalid, 10);
}

}  // namespace
}  // namespace ravel
