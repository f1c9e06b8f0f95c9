#include "engine/schedule_config.h"

#include "gtest/gtest.h"

namespace ravel {
namespace {

TEST(ScheduleConfig, TheDefaultsAreValid) { EXPECT_TRUE(ScheduleConfig().Validate().ok()); }

TEST(ScheduleConfig, AnUnknownPointIsAUsageErrorNamingIt) {
  ScheduleConfig config;
  config.settings.preempt = "syscall,bogus";
  EXPECT_EQ(config.Validate().message(),
            "unknown --preempt item 'bogus'; valid items: syscall, sync, time, atomic, spin (e.g. --preempt sync,time)");
}

TEST(ScheduleConfig, AnUnknownStrategyIsAnErrorUnlessARecordingOrAGuideReplacesIt) {
  ScheduleConfig config;
  config.settings.strategy = "fifo";
  EXPECT_EQ(config.Validate().message(), "unknown strategy 'fifo'; valid strategies: pct, pos, random, rr, surw");
  config.settings.strategy = "RR";  // names in any case, as MakeStrategy takes them
  EXPECT_TRUE(config.Validate().ok());
  config.settings.strategy = "fifo";
  const Schedule recorded;
  config.replay = &recorded;
  EXPECT_TRUE(config.Validate().ok());
  config.replay = nullptr;
  const std::vector<Departure> guide;
  config.guide = &guide;
  EXPECT_TRUE(config.Validate().ok());
}

}  // namespace
}  // namespace ravel
