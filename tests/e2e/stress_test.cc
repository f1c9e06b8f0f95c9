// Schedules you can replay, and `ravel stress` end to end: record/replay fidelity,
// tampered schedules, stress finding and keeping a failure, sharding, merge, JUnit, and
// Ctrl-C during stress.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

std::string Corpus(const std::string& name) { return absl::StrCat(CORPUS_DIR, "/", name); }

std::string Fingerprint(const std::string& err) {
  std::smatch m;
  static const std::regex re("fingerprint=([0-9a-f]{16})");
  return std::regex_search(err, m, re) ? std::string(m[1]) : "";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(Replay, ReproducesARecordedDeadlock) {
  const std::string sched = TempPath("lock_order.sched");
  RunOutput recorded = RunCommand({RavelBinary(), "run", "--seed", "4", "--record", sched, "--", GuestPath("lock_order")});
  ASSERT_EQ(recorded.exit_code, 3) << recorded.err;
  ASSERT_TRUE(absl::StrContains(recorded.err, "ravel replay ")) << recorded.err;
  RunOutput replayed = RunCommand({RavelBinary(), "replay", sched});
  EXPECT_EQ(replayed.exit_code, 3) << replayed.err;
  EXPECT_TRUE(absl::StrContains(replayed.err, "ravel: reproduced deadlock steps=")) << replayed.err;
  EXPECT_EQ(Fingerprint(replayed.err), Fingerprint(recorded.err));
}

TEST(Replay, AFailureFoundByASeedReproducesTenTimesOutOfTen) {
  // Seed 3 of order_after_create fails under pct with k=6 (pinned in corpus_test).
  const std::string sched = TempPath("order.sched");
  RunOutput recorded = RunCommand({RavelBinary(), "run", "--strategy", "pct", "--pct-steps", "6", "--seed", "3",
                                   "--record", sched, "--", Corpus("order_after_create")});
  ASSERT_EQ(recorded.exit_code, 1) << recorded.err;
  for (int i = 0; i < 10; ++i) {
    RunOutput replayed = RunCommand({RavelBinary(), "replay", sched});
    ASSERT_EQ(replayed.exit_code, 1) << "replay " << i << ": " << replayed.err;
    ASSERT_TRUE(absl::StrContains(replayed.err, "reproduced fail(exit 1)")) << replayed.err;
    ASSERT_EQ(Fingerprint(replayed.err), Fingerprint(recorded.err));
    ASSERT_EQ(replayed.out, recorded.out);
  }
}

TEST(Replay, AnEditedDecisionIsADivergenceNotASilentPass) {
  const std::string sched = TempPath("threads.sched");
  RunOutput recorded = RunCommand({RavelBinary(), "run", "--strategy", "random", "--seed", "9", "--record", sched,
                                   "--", GuestPath("sleepy_workers")});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  std::string text = ReadFile(sched);
  // Swap the first decision's thread for another id that exists.
  size_t at = text.find("\ndecisions ");
  ASSERT_NE(at, std::string::npos) << text;
  size_t line = text.find('\n', at + 1) + 1;
  while (text[line] == '#') line = text.find('\n', line) + 1;
  size_t digit = text.find_first_of("0123456789", line);
  ASSERT_NE(digit, std::string::npos);
  text[digit] = text[digit] == '0' ? '1' : '0';
  const std::string edited = TempPath("edited.sched");
  WriteFile(edited, text);
  RunOutput replayed = RunCommand({RavelBinary(), "replay", edited});
  EXPECT_EQ(replayed.exit_code, 5) << replayed.err;
  EXPECT_TRUE(std::regex_search(replayed.err, std::regex("ravel: replay diverged at step \\d+: "))) << replayed.err;
}

TEST(Replay, TruncatedOrForeignSchedulesAreOneLineErrors) {
  const std::string sched = TempPath("t.sched");
  ASSERT_EQ(RunCommand({RavelBinary(), "run", "--record", sched, "--", GuestPath("threads")}).exit_code, 0);
  const std::string text = ReadFile(sched);
  for (size_t cut : {size_t{10}, text.size() / 2, text.size() - 2}) {
    const std::string truncated = TempPath("cut.sched");
    WriteFile(truncated, text.substr(0, cut));
    RunOutput out = RunCommand({RavelBinary(), "replay", truncated});
    EXPECT_EQ(out.exit_code, 2) << "cut at " << cut << ": " << out.err;
    EXPECT_TRUE(absl::StrContains(out.err, "line ")) << out.err;
    EXPECT_EQ(std::count(out.err.begin(), out.err.end(), '\n'), 1) << out.err;
  }
  // Another executable under the recorded name: the hash says so.
  std::string other = text;
  size_t hash = other.find("exe-hash 0x");
  ASSERT_NE(hash, std::string::npos);
  other[hash + 11] = other[hash + 11] == '1' ? '2' : '1';
  const std::string foreign = TempPath("foreign.sched");
  WriteFile(foreign, other);
  RunOutput out = RunCommand({RavelBinary(), "replay", foreign});
  EXPECT_EQ(out.exit_code, 2) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "changed since the schedule was recorded")) << out.err;
  out = RunCommand({RavelBinary(), "replay", TempPath("missing.sched")});
  EXPECT_EQ(out.exit_code, 2) << out.err;
}

TEST(Stress, FindsAFailureKeepsItsScheduleAndReplaysIt) {
  const std::string dir = TempPath("artifacts") + "/nested/deeper";  // parents are made
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "300", "--jobs", "2", "--artifacts", dir, "--",
                              Corpus("order_after_create")});
  ASSERT_EQ(out.exit_code, 1) << out.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out.err, m, std::regex("replay:   ravel replay (\\S+)"))) << out.err;
  const std::string sched = m[1];
  EXPECT_TRUE(absl::StartsWith(sched, dir + "/order_after_create-seed")) << sched;
  // stress's default strategy is surw; its by-seed line makes the same calibration run and
  // so the same schedule: the same fingerprint as the recording.
  ASSERT_TRUE(std::regex_search(out.err, m, std::regex("by seed:  ravel run --strategy surw --seed (\\d+) -- (\\S+)\n")))
      << out.err;
  RunOutput by_seed = RunCommand({RavelBinary(), "run", "--strategy", "surw", "--seed", m[1], "--", m[2]});
  EXPECT_EQ(by_seed.exit_code, 1) << by_seed.err;
  RunOutput replayed = RunCommand({RavelBinary(), "replay", sched});
  EXPECT_EQ(replayed.exit_code, 1) << replayed.err;
  EXPECT_TRUE(absl::StrContains(replayed.err, "reproduced fail(exit 1)")) << replayed.err;
  std::smatch f1, f2;
  ASSERT_TRUE(std::regex_search(by_seed.err, f1, std::regex("fingerprint=([0-9a-f]{16})"))) << by_seed.err;
  ASSERT_TRUE(std::regex_search(replayed.err, f2, std::regex("fingerprint=([0-9a-f]{16})"))) << replayed.err;
  EXPECT_EQ(f1[1], f2[1]);
  // The guest's output of the failing schedule is kept next to it.
  const std::string stem = sched.substr(0, sched.size() - 6);
  ASSERT_TRUE(std::filesystem::exists(stem + ".stdout"));
  ASSERT_TRUE(std::filesystem::exists(stem + ".stderr"));
  EXPECT_EQ(ReadFile(stem + ".stdout"), replayed.out);
  const std::string guest_err = ReadFile(stem + ".stderr");
  EXPECT_FALSE(guest_err.empty() && replayed.out.empty()) << "the failing run printed nothing at all?";
  EXPECT_TRUE(absl::StrContains(replayed.err, guest_err)) << guest_err;
}

TEST(Stress, ACorrectProgramPasses) {
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "40", "--artifacts", TempPath("a"), "--",
                              Corpus("order_after_create_fixed")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "40 schedules (seeds 1..40, strategy surw), 40 passed, 0 failed")) << out.err;
}

// The fork server (each job execs the command once and forks a copy per schedule) runs
// the very schedules that spawning the command for each one runs.
TEST(Stress, ForkServerRunsTheSameSchedulesAsSpawningEach) {
  auto failures = [](const std::string& json_path) {
    nlohmann::json doc = nlohmann::json::parse(ReadFile(json_path));
    std::map<std::string, std::vector<uint64_t>> by_signature;
    for (const auto& f : doc["reports"][0]["failures"]) {
      by_signature[f["signature"].get<std::string>()] = f["seeds"].get<std::vector<uint64_t>>();
    }
    return by_signature;
  };
  for (const std::string program : {"lost_wakeup", "cross_process_file_race"}) {
    std::map<std::string, std::vector<uint64_t>> found[2];
    for (int spawn_each = 0; spawn_each < 2; ++spawn_each) {
      const std::string json = TempPath(absl::StrCat(program, spawn_each, ".json"));
      std::vector<std::string> argv = {RavelBinary(), "stress", "--runs", "60", "--jobs", "2", "--keep-going",
                                       "--json", json, "--artifacts", TempPath(absl::StrCat("a", spawn_each))};
      if (spawn_each) argv.push_back("--spawn-each");
      argv.push_back("--");
      argv.push_back(Corpus(program));
      RunOutput out = RunCommand(argv);
      ASSERT_EQ(out.exit_code, 1) << program << (spawn_each ? " --spawn-each: " : ": ") << out.err;
      found[spawn_each] = failures(json);
    }
    EXPECT_FALSE(found[0].empty());
    EXPECT_EQ(found[0], found[1]) << program;
  }
}

// --preempt-modules: atomic points in a shared library, linked or dlopen'ed after the
// threads exist. The library's race is out of reach without them.
// An atomic instruction is a point (two steps: before and after it) for its first 1000
// executions in a process, then runs natively: 500 increments add 1000 steps, and 3000
// add no more than 2000.
TEST(Run, AnAtomicSiteIsAPointForItsFirst1000Executions) {
  const auto steps_of = [](const char* n) -> long {
    RunOutput out = RunCommand({RavelBinary(), "run", "--strategy", "rr", "--", GuestPath("atomic_count"), n});
    EXPECT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out, std::string(n) + "\n");
    std::smatch m;
    if (!std::regex_search(out.err, m, std::regex("steps=(\\d+)"))) {
      ADD_FAILURE() << out.err;
      return -1;
    }
    return std::stol(m[1]);
  };
  const long none = steps_of("0"), some = steps_of("500"), many = steps_of("3000"), more = steps_of("6000");
  EXPECT_EQ(some - none, 1000) << none << " " << some;
  EXPECT_EQ(many - none, 2000) << none << " " << many;
  EXPECT_EQ(more, many);
  // Without atomic points none of them is a step.
  RunOutput off = RunCommand({RavelBinary(), "run", "--strategy", "rr", "--preempt", "syscall,sync,time", "--",
                              GuestPath("atomic_count"), "3000"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(off.err, m, std::regex("steps=(\\d+)"))) << off.err;
  EXPECT_EQ(std::stol(m[1]), none);
}

TEST(Stress, AtomicPointsInASharedLibraryFindItsRace) {
  const std::string dl = GuestPath("libravel_claim_dl.so");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{GuestPath("claim_race")}, "libravel_claim.so"},
      {{GuestPath("claim_race"), "dlopen", dl}, "libravel_claim_dl.so"},
  };
  for (const auto& [command, module] : cases) {
    std::vector<std::string> without = {RavelBinary(), "stress", "--runs", "300", "--preempt", "atomic",
                                        "--artifacts", TempPath("claim-without"), "--"};
    without.insert(without.end(), command.begin(), command.end());
    RunOutput none = RunCommand(without);
    EXPECT_EQ(none.exit_code, 0) << module << ": found without the module's atomic points: " << none.err;
    const std::string dir = TempPath("claim-with");
    std::vector<std::string> with = {RavelBinary(), "stress", "--runs", "1000", "--preempt", "atomic",
                                     "--preempt-modules", module, "--artifacts", dir, "--"};
    with.insert(with.end(), command.begin(), command.end());
    RunOutput found = RunCommand(with);
    ASSERT_EQ(found.exit_code, 1) << module << ": " << found.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(found.err, m, std::regex("replay:   ravel replay (\\S+)"))) << found.err;
    const std::string sched = m[1];
    EXPECT_TRUE(absl::StrContains(ReadFile(sched), "option preempt-modules " + module));
    for (int i = 0; i < 3; ++i) {
      RunOutput replayed = RunCommand({RavelBinary(), "replay", sched});
      EXPECT_EQ(replayed.exit_code, 1) << replayed.err;
      EXPECT_TRUE(absl::StrContains(replayed.err, "reproduced fail(exit 1)")) << replayed.err;
    }
  }
  RunOutput bad = RunCommand({RavelBinary(), "stress", "--preempt", "syscall,sync,time", "--preempt-modules",
                              "libravel_claim.so", "--artifacts", TempPath("claim-bad"), "--", GuestPath("claim_race")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad.err, "--preempt-modules names libraries for atomic points: add --preempt atomic"))
      << bad.err;
}

std::vector<uint64_t> SeedsRun(const std::string& json_path) {
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json_path));
  return doc["reports"][0]["seeds_run"].get<std::vector<uint64_t>>();
}

TEST(Stress, ShardsAreDisjointAndCoverTheSeedRange) {
  std::set<uint64_t> all;
  std::vector<std::string> summaries;
  for (int shard = 0; shard < 3; ++shard) {
    const std::string json = TempPath(absl::StrCat("shard", shard, ".json"));
    RunOptions options;
    std::vector<std::string> argv = {RavelBinary(), "stress", "--runs", "20", "--seed", "100", "--json", json,
                                     "--artifacts", TempPath("a")};
    // One shard each way: the flag, GoogleTest's variables, Kubernetes' index.
    if (shard == 0) {
      argv.insert(argv.end(), {"--shard", "0/3"});
    } else if (shard == 1) {
      options.env = {"GTEST_SHARD_INDEX=1", "GTEST_TOTAL_SHARDS=3"};
    } else {
      options.env = {"JOB_COMPLETION_INDEX=2"};
      argv.insert(argv.end(), {"--shards", "3"});
    }
    argv.insert(argv.end(), {"--", Corpus("lost_wakeup_fixed")});
    RunOutput out = RunCommand(argv, options);
    ASSERT_EQ(out.exit_code, 0) << out.err;
    for (uint64_t seed : SeedsRun(json)) {
      EXPECT_TRUE(all.insert(seed).second) << "seed " << seed << " ran in two shards";
      EXPECT_EQ((seed - 100) % 3, static_cast<uint64_t>(shard)) << seed;
    }
    summaries.push_back(json);
  }
  std::set<uint64_t> expected;
  for (uint64_t s = 100; s < 120; ++s) expected.insert(s);
  EXPECT_EQ(all, expected);

  const std::string merged = TempPath("merged.json");
  std::vector<std::string> argv = {RavelBinary(), "merge", "--json", merged};
  argv.insert(argv.end(), summaries.begin(), summaries.end());
  RunOutput out = RunCommand(argv);
  EXPECT_EQ(out.exit_code, 0) << out.err;
  std::vector<uint64_t> seeds = SeedsRun(merged);
  EXPECT_EQ(std::set<uint64_t>(seeds.begin(), seeds.end()), expected);
  // A shard merged twice overlaps itself: an error, not a double count.
  out = RunCommand({RavelBinary(), "merge", summaries[0], summaries[0]});
  EXPECT_EQ(out.exit_code, 2) << out.err;
}

TEST(Stress, BadShardsAreUsageErrors) {
  EXPECT_EQ(RunCommand({RavelBinary(), "stress", "--shard", "3/3", "--", "true"}).exit_code, 2);
  EXPECT_EQ(RunCommand({RavelBinary(), "stress", "--shard", "x", "--", "true"}).exit_code, 2);
  RunOptions env;
  env.env = {"GTEST_SHARD_INDEX=5", "GTEST_TOTAL_SHARDS=2"};
  RunOutput out = RunCommand({RavelBinary(), "stress", "--", "true"}, env);
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(out.err, "GTEST_SHARD_INDEX")) << out.err;
  EXPECT_EQ(RunCommand({RavelBinary(), "stress", "--time", "soon", "--", "true"}).exit_code, 2);
  // An artifacts path that cannot be a directory is refused before anything runs.
  const std::string file = TempPath("plain-file");
  WriteFile(file, "x");
  RunOutput bad = RunCommand({RavelBinary(), "stress", "--artifacts", file + "/sub", "--", "true"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "--artifacts")) << bad.err;
}

TEST(Stress, JUnitParsesWithATestcasePerBucketAndOneForThePasses) {
  const std::string xml = TempPath("stress.xml");
  const std::string json = TempPath("stress.json");
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "60", "--keep-going", "--junit", xml, "--json", json,
                              "--artifacts", TempPath("a"), "--", Corpus("order_after_create")});
  ASSERT_EQ(out.exit_code, 1) << out.err;
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json));
  const size_t buckets = doc["reports"][0]["failures"].size();
  ASSERT_GE(buckets, 1u);
  // A real XML parser: python3's ElementTree.
  const std::string script =
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.parse(sys.argv[1]).getroot()\n"
      "cases = root.findall('./testsuite/testcase')\n"
      "failed = [c for c in cases if c.find('failure') is not None]\n"
      "print(root.tag, len(cases), len(failed), root.get('failures'))\n"
      "print(cases[0].get('name'))\n";
  RunOutput parsed = RunCommand({"/usr/bin/python3", "-c", script, xml});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << ReadFile(xml);
  EXPECT_EQ(parsed.out, absl::StrCat("testsuites ", buckets + 1, " ", buckets, " ", buckets, "\npassing schedules\n"));
}

TEST(Stress, PerTestStressesEachGoogleTestOnItsOwn) {
  const std::string json = TempPath("per_test.json");
  RunOutput out = RunCommand({RavelBinary(), "stress", "--per-test", "--strategy", "random", "--runs", "60", "--json", json, "--artifacts",
                              TempPath("a"), "--", Corpus("gtest_flaky_sound")});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json));
  ASSERT_EQ(doc["reports"].size(), 2u) << doc.dump();
  std::map<std::string, uint64_t> failed;
  for (const auto& r : doc["reports"]) failed[r["test"].get<std::string>()] = r["failed"].get<uint64_t>();
  EXPECT_EQ(failed["SoundSuite.Sound"], 0u);
  EXPECT_GE(failed["FlakySuite.Flaky"], 1u);
}

TEST(Stress, InterruptLeavesNothingBehindAndPrintsTheSummarySoFar) {
  RunOptions options;
  options.while_running = [](pid_t ravel) {
    ASSERT_TRUE(WaitForChild(ravel, 20000));
    usleep(500000);
    kill(ravel, SIGINT);
  };
  // Spinning guests: every schedule runs until its 30 s timeout unless interrupted.
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "50", "--jobs", "2", "--timeout", "30", "--strategy", "random",
                              "--artifacts", TempPath("a"), "--", GuestPath("spin")},
                             options);
  EXPECT_EQ(out.exit_code, 130) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "(interrupted)")) << out.err;
  // RunCommand has checked that no worker or guest outlived ravel.
  EXPECT_TRUE(out.leftovers.empty());
}

}  // namespace
}  // namespace ravel::testing
