#include "cli/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ravel {
namespace {

// Parses `args` (after the program name) for a command with the schedule flags; the
// settings start from `defaults`.
struct Parsed {
  ScheduleSettings settings;
  absl::Status finished;
  std::string parse_error;  // CLI11's, when it refused the command line
};

Parsed Parse(std::vector<std::string> args, ScheduleSettings defaults = {}, ScheduleFlagHelp help = {}) {
  CLI::App app{"test"};
  Parsed out;
  out.settings = defaults;
  ScheduleFlags flags(&app, &out.settings, help);
  std::vector<const char*> argv = {"test"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    out.parse_error = e.what();
    return out;
  }
  out.finished = flags.Finish();
  return out;
}

ScheduleFlagHelp WithNote(const std::string& note) {
  ScheduleFlagHelp help;
  help.default_strategy_note = note;
  return help;
}

TEST(ScheduleFlags, TheSettingsBeforeParsingAreTheDefaults) {
  ScheduleSettings defaults;
  defaults.strategy = "surw";
  defaults.timeout_seconds = 60;
  defaults.preempt = "syscall,sync";
  Parsed p = Parse({}, defaults);
  ASSERT_TRUE(p.parse_error.empty()) << p.parse_error;
  ASSERT_TRUE(p.finished.ok()) << p.finished;
  EXPECT_EQ(p.settings.strategy, "surw");
  EXPECT_EQ(p.settings.seed, 1u);
  EXPECT_EQ(p.settings.pct_depth, 3);
  EXPECT_EQ(p.settings.timeout_seconds, 60);
  EXPECT_EQ(p.settings.preempt, "syscall,sync");
  EXPECT_TRUE(p.settings.fast_path);
  EXPECT_TRUE(p.settings.cpu_split);
  EXPECT_FALSE(p.settings.virtual_cpu);
}

TEST(ScheduleFlags, EveryFlagLandsInItsSetting) {
  Parsed p = Parse({"--strategy", "pct", "--seed", "18446744073709551615", "--pct-depth", "5", "--pct-steps", "77",
                    "--timeout", "2.5", "--preempt", "sync", "--preempt-modules", "libfoo.so", "--virtual-cpu",
                    "--no-fast-path", "--no-cpu-split"});
  ASSERT_TRUE(p.parse_error.empty()) << p.parse_error;
  ASSERT_TRUE(p.finished.ok()) << p.finished;
  EXPECT_EQ(p.settings.strategy, "pct");
  EXPECT_EQ(p.settings.seed, 18446744073709551615u);
  EXPECT_EQ(p.settings.pct_depth, 5);
  EXPECT_EQ(p.settings.pct_steps, 77u);
  EXPECT_EQ(p.settings.timeout_seconds, 2.5);
  EXPECT_EQ(p.settings.preempt, "sync");
  EXPECT_EQ(p.settings.preempt_modules, "libfoo.so");
  EXPECT_TRUE(p.settings.virtual_cpu);
  EXPECT_FALSE(p.settings.fast_path);
  EXPECT_FALSE(p.settings.cpu_split);
}

TEST(ScheduleFlags, PctFlagsWithAnotherStrategyAreAnErrorThatNamesTheDefault) {
  ScheduleSettings surw;
  surw.strategy = "surw";
  Parsed p = Parse({"--pct-depth", "2"}, surw, WithNote(" (the default is surw)"));
  ASSERT_TRUE(p.parse_error.empty()) << p.parse_error;
  EXPECT_EQ(p.finished.message(),
            "--pct-depth and --pct-steps are PCT's: they need --strategy pct (the default is surw), not surw");
  EXPECT_TRUE(Parse({"--strategy", "random"}).finished.ok());
  EXPECT_FALSE(Parse({"--strategy", "random", "--pct-steps", "9"}).finished.ok());
}

TEST(ScheduleFlags, BadValuesAreRefusedWhileParsing) {
  EXPECT_NE(Parse({"--seed", "-1"}).parse_error, "");
  EXPECT_NE(Parse({"--pct-depth", "0"}).parse_error, "");
  EXPECT_NE(Parse({"--timeout", "-3"}).parse_error, "");
  EXPECT_EQ(Parse({"--timeout", "0"}).parse_error, "");
  ScheduleFlagHelp positive;
  positive.timeout_may_be_zero = false;
  EXPECT_NE(Parse({"--timeout", "0"}, {}, positive).parse_error, "");
}

}  // namespace
}  // namespace ravel
