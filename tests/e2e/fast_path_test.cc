// The fast path for sync points (scheduler/lease.h): with it on (the default) or off
// (--no-fast-path), a run makes the same decisions, steps and recording; only the stops
// differ. Its recordings replay. Signals that land inside the shim do not break it.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

std::string Corpus(const std::string& name) { return absl::StrCat(CORPUS_DIR, "/", name); }

struct RecordedRun {
  RunOutput out;
  std::string schedule;  // the recording's text
  uint64_t leased = 0;   // sync points made under a lease
};

RecordedRun RunWith(const std::vector<std::string>& options, const std::vector<std::string>& command) {
  static int n = 0;
  const std::string sched = TempPath(absl::StrCat("run", ++n, ".sched"));
  const std::string json = TempPath(absl::StrCat("run", n, ".json"));
  std::vector<std::string> argv = {RavelBinary(), "run", "--record", sched, "--json", json};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  RecordedRun run;
  run.out = RunCommand(argv);
  run.schedule = ReadFile(sched);
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json), nullptr, false);
  if (doc.is_object() && doc.contains("leased_points")) run.leased = doc["leased_points"].get<uint64_t>();
  return run;
}

// The same schedule file, byte for byte (decisions, steps, fingerprint), and the same
// output and status, for programs with sync points, under PCT with few and with many
// change points.
TEST(FastPath, TheSameRunWithAndWithoutIt) {
  const std::vector<std::vector<std::string>> commands = {
      {GuestPath("lock_pairs"), "pairs", "3", "300"},
      {Corpus("atomicity_sync")},
      {Corpus("atomicity_sync_fixed")},
      {Corpus("lost_wakeup")},
      {Corpus("classic/account")},
      {Corpus("classic/bank_transfer")},
  };
  uint64_t leased = 0;
  for (const auto& command : commands) {
    for (const std::vector<std::string>& pct : {std::vector<std::string>{},
                                                 std::vector<std::string>{"--pct-depth", "10", "--pct-steps", "100"}}) {
      for (int seed = 1; seed <= 4; ++seed) {
        std::vector<std::string> options = {"--seed", std::to_string(seed)};
        options.insert(options.end(), pct.begin(), pct.end());
        RecordedRun on = RunWith(options, command);
        options.push_back("--no-fast-path");
        RecordedRun off = RunWith(options, command);
        const std::string what = absl::StrCat(command[0], " seed ", seed, pct.empty() ? "" : " depth 10");
        EXPECT_EQ(on.out.exit_code, off.out.exit_code) << what << ": " << on.out.err << off.out.err;
        EXPECT_EQ(on.out.out, off.out.out) << what;
        EXPECT_EQ(on.schedule, off.schedule) << what;
        EXPECT_EQ(off.leased, 0u) << what;
        EXPECT_FALSE(absl::StrContains(on.out.err, "lease")) << what << ": " << on.out.err;
        leased += on.leased;
      }
    }
  }
  // The fast path was taken (the shim made most of these points without a stop).
  EXPECT_GT(leased, 1000u);
}

TEST(FastPath, ARecordingMadeWithItReplays) {
  RecordedRun on = RunWith({"--seed", "3"}, {GuestPath("lock_pairs"), "pairs", "2", "500"});
  ASSERT_EQ(on.out.exit_code, 0) << on.out.err;
  ASSERT_GT(on.leased, 0u);
  const std::string sched = TempPath("replayed.sched");
  {
    std::vector<std::string> argv = {RavelBinary(), "run", "--seed", "3", "--record", sched, "--",
                                     GuestPath("lock_pairs"), "pairs", "2", "500"};
    ASSERT_EQ(RunCommand(argv).exit_code, 0);
  }
  RunOutput replay = RunCommand({RavelBinary(), "replay", sched});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_TRUE(absl::StrContains(replay.err, "reproduced")) << replay.err;
  EXPECT_EQ(replay.out, on.out.out);
}

// SIGPROF (the kernel's CPU-time timer, not modelled) lands anywhere, in the shim's
// lease bookkeeping too: a stop there must leave the lease consistent. Every lock and
// unlock the program made is a step of the recording (none lost, none made twice), the
// program's own check holds, and no lease is ever broken.
TEST(FastPath, SignalsLandingInTheShimBreakNothing) {
  for (int seed = 1; seed <= 3; ++seed) {
    RecordedRun on = RunWith({"--seed", std::to_string(seed)}, {GuestPath("lock_pairs"), "prof", "5000000"});
    EXPECT_EQ(on.out.exit_code, 0) << on.out.err;
    EXPECT_TRUE(absl::StartsWith(on.out.out, "total ok\nsignals yes\npairs ")) << on.out.out << on.out.err;
    uint64_t pairs = 0;
    ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(on.out.out.substr(on.out.out.rfind(' ') + 1)), &pairs))
        << on.out.out;
    // Two points a pair; besides them, each worker's final lock, unlock and signal and
    // main's creates, joins, lock, waits and unlock: a few dozen at most.
    const int64_t sync = SyncSteps(on.schedule);
    EXPECT_GE(sync, static_cast<int64_t>(2 * pairs)) << "seed " << seed;
    EXPECT_LE(sync, static_cast<int64_t>(2 * pairs + 40)) << "seed " << seed;
    EXPECT_FALSE(absl::StrContains(on.out.err, "lease")) << on.out.err;
    EXPECT_GT(on.leased, 0u);
  }
}

// Strategies that draw at every pick take no lease: the same stops as before.
TEST(FastPath, OnlyWhereTheStrategyCanPromise) {
  for (const std::string strategy : {"random", "rr", "pos", "surw"}) {
    RecordedRun on = RunWith({"--strategy", strategy, "--seed", "2"}, {GuestPath("lock_pairs"), "pairs", "2", "200"});
    EXPECT_EQ(on.out.exit_code, 0) << strategy << ": " << on.out.err;
    EXPECT_EQ(on.leased, 0u) << strategy;
  }
}

}  // namespace
}  // namespace ravel::testing
