#include "stress/seeds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/proc.h"

namespace ravel {

absl::StatusOr<Shard> ResolveShard(const std::string& flag, int shards) {
  auto parse = [](const std::string& index_text, const std::string& count_text,
                  const std::string& source) -> absl::StatusOr<Shard> {
    int index = 0, count = 0;
    if (!absl::SimpleAtoi(index_text, &index) || !absl::SimpleAtoi(count_text, &count) || count < 1 || index < 0 ||
        index >= count) {
      return absl::InvalidArgumentError(absl::StrCat("bad shard from ", source, ": index '", index_text,
                                                     "' of '", count_text, "' (want 0 <= index < count)"));
    }
    return Shard{index, count, source};
  };
  if (!flag.empty()) {
    std::vector<std::string> parts = absl::StrSplit(flag, '/');
    if (parts.size() != 2) return absl::InvalidArgumentError(absl::StrCat("bad --shard '", flag, "': expected I/N"));
    return parse(parts[0], parts[1], "--shard");
  }
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = getenv(name);
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  if (auto index = env("GTEST_SHARD_INDEX"), total = env("GTEST_TOTAL_SHARDS"); index && total) {
    return parse(*index, *total, "GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS");
  }
  if (auto index = env("TEST_SHARD_INDEX"), total = env("TEST_TOTAL_SHARDS"); index && total) {
    return parse(*index, *total, "TEST_SHARD_INDEX/TEST_TOTAL_SHARDS");
  }
  if (auto index = env("JOB_COMPLETION_INDEX"); index && shards > 0) {
    return parse(*index, absl::StrCat(shards), "JOB_COMPLETION_INDEX with --shards");
  }
  if (shards > 0) {
    return absl::InvalidArgumentError("--shards N needs JOB_COMPLETION_INDEX in the environment (or use --shard I/N)");
  }
  return Shard{0, 1, "none"};
}

void TakeOverSharding() {
  for (const char* name : {"GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"}) {
    unsetenv(name);
  }
  if (const char* status_file = getenv("TEST_SHARD_STATUS_FILE")) {
    // Bazel asks sharding-aware tests to say so by touching this file.
    int fd = open(status_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
  }
}

absl::StatusOr<double> ParseDuration(const std::string& text) {
  std::string number = text;
  double unit = 1;
  if (!number.empty()) {
    switch (number.back()) {
      case 's': unit = 1; number.pop_back(); break;
      case 'm': unit = 60; number.pop_back(); break;
      case 'h': unit = 3600; number.pop_back(); break;
      default: break;
    }
  }
  double value = 0;
  if (!absl::SimpleAtod(number, &value) || !(value > 0) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad duration '", text, "': expected a positive number of seconds, or e.g. 90s, 5m, 1h"));
  }
  return value * unit;
}

std::optional<uint64_t> SeedSource::Next() {
  if (exhausted_) return std::nullopt;
  if (runs_ > 0 && next_offset_ >= runs_) return std::nullopt;
  if (runs_ == 0 && MonotonicSeconds() >= deadline_) return std::nullopt;
  // The last seed is 2^64-1: the sequence ends there rather than wrapping to 0 (with
  // --runs, RunStress rejects a range that would pass it).
  if (next_offset_ > std::numeric_limits<uint64_t>::max() - base_) return std::nullopt;
  uint64_t seed = base_ + next_offset_;
  const uint64_t step = static_cast<uint64_t>(shard_.count);
  exhausted_ = next_offset_ > std::numeric_limits<uint64_t>::max() - step;
  next_offset_ += step;
  return seed;
}

uint64_t SeedSource::Planned() const {
  if (runs_ == 0) return 0;
  const uint64_t index = static_cast<uint64_t>(shard_.index), count = static_cast<uint64_t>(shard_.count);
  return runs_ > index ? (runs_ - index + count - 1) / count : 0;
}

}  // namespace ravel
