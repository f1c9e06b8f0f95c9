#include "stress/seeds.h"

#include <cstdlib>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace ravel {
namespace {

std::vector<uint64_t> All(SeedSource seeds) {
  std::vector<uint64_t> out;
  while (std::optional<uint64_t> seed = seeds.Next()) out.push_back(*seed);
  return out;
}

TEST(Seeds, ShardsTakeEveryNthSeedAndTogetherRunTheRange) {
  EXPECT_EQ(All(SeedSource(10, 7, 0, Shard{0, 3, ""})), (std::vector<uint64_t>{10, 13, 16}));
  EXPECT_EQ(All(SeedSource(10, 7, 0, Shard{1, 3, ""})), (std::vector<uint64_t>{11, 14}));
  EXPECT_EQ(All(SeedSource(10, 7, 0, Shard{2, 3, ""})), (std::vector<uint64_t>{12, 15}));
  EXPECT_EQ(SeedSource(10, 7, 0, Shard{0, 3, ""}).Planned(), 3u);
  EXPECT_EQ(SeedSource(10, 7, 0, Shard{2, 3, ""}).Planned(), 2u);
  EXPECT_EQ(SeedSource(10, 2, 0, Shard{2, 3, ""}).Planned(), 0u);
}

TEST(Seeds, TheSequenceEndsAtTheLargestSeedRatherThanWrapping) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(All(SeedSource(max - 1, 0, 1e300, Shard{0, 1, ""})), (std::vector<uint64_t>{max - 1, max}));
}

TEST(Seeds, TheShardFlagComesFirstAndIsChecked) {
  absl::StatusOr<Shard> shard = ResolveShard("2/5", 0);
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->index, 2);
  EXPECT_EQ(shard->count, 5);
  EXPECT_EQ(shard->source, "--shard");
  EXPECT_EQ(ResolveShard("5/5", 0).status().message(), "bad shard from --shard: index '5' of '5' (want 0 <= index < count)");
  EXPECT_EQ(ResolveShard("2", 0).status().message(), "bad --shard '2': expected I/N");
}

TEST(Seeds, TheShardComesFromTheEnvironmentWhenNotGiven) {
  setenv("TEST_SHARD_INDEX", "1", 1);
  setenv("TEST_TOTAL_SHARDS", "4", 1);
  absl::StatusOr<Shard> shard = ResolveShard("", 0);
  TakeOverSharding();
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->index, 1);
  EXPECT_EQ(shard->count, 4);
  EXPECT_EQ(getenv("TEST_SHARD_INDEX"), nullptr);  // the guest must not shard itself too
  EXPECT_EQ(ResolveShard("", 0)->count, 1);
  EXPECT_FALSE(ResolveShard("", 3).ok());  // --shards N without JOB_COMPLETION_INDEX
}

TEST(Seeds, DurationsTakeAUnit) {
  EXPECT_EQ(*ParseDuration("90"), 90);
  EXPECT_EQ(*ParseDuration("1.5m"), 90);
  EXPECT_EQ(*ParseDuration("2h"), 7200);
  EXPECT_FALSE(ParseDuration("0").ok());
  EXPECT_FALSE(ParseDuration("5d").ok());
}

}  // namespace
}  // namespace ravel
