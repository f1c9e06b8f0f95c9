#include "stress/stress_report.h"

#include "gtest/gtest.h"

namespace ravel {
namespace {

StressReport WithSeeds(std::vector<uint64_t> seeds, int shard_count = 1) {
  StressReport r;
  r.seeds_run = std::move(seeds);
  r.shard_count = shard_count;
  return r;
}

TEST(SeedRange, AContiguousRangeIsItsEnds) {
  EXPECT_EQ(SeedRange(WithSeeds({})), "no seeds");
  EXPECT_EQ(SeedRange(WithSeeds({7})), "seed 7");
  EXPECT_EQ(SeedRange(WithSeeds({1, 2, 3, 4})), "seeds 1..4");
}

TEST(SeedRange, AShardsSeedsAreEveryNthAndComplete) {
  EXPECT_EQ(SeedRange(WithSeeds({2, 4, 6}, 2)), "seeds 2..6");
  EXPECT_EQ(SeedRange(WithSeeds({2, 6}, 2)), "seeds 2..6 except 4");
}

TEST(SeedRange, MissingSeedsAreNamedSoThatTheCountAgrees) {
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= 145; ++s) {
    if (s != 144) seeds.push_back(s);
  }
  EXPECT_EQ(SeedRange(WithSeeds(seeds)), "seeds 1..145 except 144");
  EXPECT_EQ(SeedRange(WithSeeds({1, 10})), "seeds 1..10 except 2, 3, 4, 5, 6 and 3 more");
}

TEST(SeedRange, TheTopOfTheSeedRangeDoesNotWrap) {
  EXPECT_EQ(SeedRange(WithSeeds({UINT64_MAX - 1, UINT64_MAX})), "seeds 18446744073709551614..18446744073709551615");
  EXPECT_EQ(SeedRange(WithSeeds({UINT64_MAX - 2, UINT64_MAX})),
            "seeds 18446744073709551613..18446744073709551615 except 18446744073709551614");
}

TEST(StressSummary, ALostScheduleIsSaidAndTheFailureStays) {
  StressReport r = WithSeeds({1, 2});
  r.name = "prog";
  r.settings.strategy = "rr";
  r.command = {"/bin/prog"};
  ASSERT_TRUE(r.AddFailure(2, "deadlock", "deadlock"));
  r.buckets["deadlock"].artifact_error = "schedule could not be written: cannot write a/prog-seed2.sched: No space left on device";
  const std::string summary = ReportSummary(r);
  EXPECT_NE(summary.find("ravel: FAILURE deadlock: 1 schedule, first seed 2\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find("ravel:   schedule could not be written: cannot write a/prog-seed2.sched: No space left on "
                         "device\n"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("by seed:  ravel run --strategy rr --seed 2 "), std::string::npos) << summary;
  absl::StatusOr<std::vector<StressReport>> back = ReportsFromJson(ReportsToJson({r}));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->at(0).buckets.at("deadlock").artifact_error, r.buckets["deadlock"].artifact_error);
}

TEST(RateText, SlowSchedulesAreSecondsEachNotZeroPerSecond) {
  EXPECT_EQ(RateText(97, 1.0), "97.0 schedules/s");
  EXPECT_EQ(RateText(13, 373.7), "28.7 s a schedule");
  EXPECT_EQ(RateText(2, 2.0), "1.0 schedules/s");
  EXPECT_EQ(RateText(0, 5.0), "0.0 schedules/s");
  EXPECT_EQ(RateText(0, 0.0), "0.0 schedules/s");
}

}  // namespace
}  // namespace ravel
