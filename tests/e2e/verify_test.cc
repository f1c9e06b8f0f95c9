// `ravel run --verify` and `ravel stress --verify`: a seed run twice and compared step by
// step. Deterministic programs (the corpus) are verified with their own status; planted
// leaks of nondeterminism are found at their first divergent step, with a cause.
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "intercept/guest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

constexpr int kExitNotDeterministic = 7;

std::string Corpus(const std::string& name) { return absl::StrCat(CORPUS_DIR, "/", name); }

RunOutput RunVerify(const std::vector<std::string>& options, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {RavelBinary(), "run", "--verify", "--timeout", "60"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return RunCommand(argv);
}

// The summary line's steps= and fingerprint=, as the verified line must repeat them.
std::pair<std::string, std::string> StepsAndFingerprint(const std::string& err) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex(R"(steps=(\d+) threads=\d+ fingerprint=([0-9a-f]{16}))"))) return {};
  return {m[1], m[2]};
}

TEST(Verify, ACorrectProgramIsVerifiedAndExitsWithItsStatus) {
  RunOutput out = RunVerify({"--seed", "3"}, {Corpus("check_then_act_io_fixed")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  auto [steps, fingerprint] = StepsAndFingerprint(out.err);
  ASSERT_FALSE(steps.empty()) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, absl::StrCat("ravel: verified: 2 runs of seed 3 took the same ", steps,
                                                      " steps (fingerprint ", fingerprint, ")")))
      << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "running seed 3 again")) << out.err;
}

TEST(Verify, AFailureThatReproducesKeepsTheGuestsStatus) {
  // check_then_act_io fails with PCT k=21 seed 1 (tests/e2e/corpus_test.cc).
  RunOutput out = RunVerify({"--strategy", "pct", "--pct-steps", "21", "--seed", "1", "--preempt", "syscall,time"},
                            {Corpus("check_then_act_io")});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "ravel: fail(exit 1) steps=")) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "ravel: verified: 2 runs of seed 1 took the same")) << out.err;
}

TEST(Verify, AnUntrappedRdtscIsNamedAtTheFirstDivergentStep) {
  RunOutput out = RunVerify({"--seed", "1"}, {GuestPath("tsc_leak")});
  if (Guest::HasRdtscInterception()) {
    // RDTSC answers virtual time here: the leak is closed.
    EXPECT_EQ(out.exit_code, 0) << out.err;
    EXPECT_TRUE(absl::StrContains(out.err, "ravel: verified: 2 runs of seed 1")) << out.err;
    return;
  }
  EXPECT_EQ(out.exit_code, kExitNotDeterministic) << out.err;
  // The worker (T1) made getpid in one run where it made getppid in the other.
  EXPECT_TRUE(std::regex_search(out.err, std::regex(R"(ravel: not deterministic: 2 runs of seed 1 differ at step \d+: )"
                                                    R"(first run T1 (getpid|getppid), second run T1 (getpid|getppid)\n)")))
      << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "ravel:   likely cause: an untrapped RDTSC")) << out.err;
  EXPECT_TRUE(std::regex_search(out.err, std::regex(R"(\d+ RDTSC instructions? in the executable, the first at 0x[0-9a-f]+)")))
      << out.err;
  EXPECT_FALSE(absl::StrContains(out.err, "ravel: verified")) << out.err;
}

TEST(Verify, ALeakThatLeavesNoTraceIsFoundWithAnUnknownCause) {
  const std::string counter = TempPath("leak-counter");
  std::remove(counter.c_str());  // each run of this test starts from count 0
  RunOutput out = RunVerify({"--seed", "2", "--strategy", "rr"}, {GuestPath("file_leak"), counter});
  EXPECT_EQ(out.exit_code, kExitNotDeterministic) << out.err;
  // The first run read 0 (no getppid), the second 1: the worker's first step after its
  // start differs.
  EXPECT_TRUE(std::regex_search(out.err, std::regex(R"(ravel: not deterministic: 2 runs of seed 2 differ at step \d+: )"
                                                    R"(first run T1 \w+, second run T1 getppid\n)")))
      << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "ravel:   likely cause: unknown: the runs recorded nothing outside")) << out.err;
  EXPECT_EQ(ReadFile(counter), "2\n");
}

TEST(Verify, JsonHasTheComparison) {
  const std::string counter = TempPath("json-counter"), json = TempPath("run.json");
  std::remove(counter.c_str());  // each run of this test starts from count 0
  RunOutput out = RunVerify({"--json", json}, {GuestPath("file_leak"), counter});
  EXPECT_EQ(out.exit_code, kExitNotDeterministic) << out.err;
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out.err;
  EXPECT_EQ(doc["verify"]["same"], false) << doc.dump();
  EXPECT_TRUE(absl::StrContains(doc["verify"]["difference"].get<std::string>(), "second run T1 getppid")) << doc.dump();
  ASSERT_GE(doc["verify"]["causes"].size(), 1u) << doc.dump();
  EXPECT_TRUE(absl::StartsWith(doc["verify"]["causes"][0].get<std::string>(), "unknown")) << doc.dump();
}

TEST(Verify, GdbserverIsAUsageError) {
  RunOutput out = RunVerify({"--gdbserver", "0"}, {Corpus("check_then_act_io_fixed")});
  EXPECT_EQ(out.exit_code, 2) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "--verify runs the program twice")) << out.err;
}

// Every corpus program is deterministic under ravel: two seeds each, every strategy's
// default (pct), verified with the program's own outcome.
std::vector<std::string> CorpusPrograms() {
  std::vector<std::string> names;
  std::ifstream in(Corpus("MANIFEST.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields.size() >= 5) names.push_back(fields[0]);
  }
  return names;
}

class CorpusVerify : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusVerify, TwoSeedsAreVerified) {
  std::vector<std::string> parts = absl::StrSplit(GetParam(), absl::MaxSplits(':', 1));
  std::vector<std::string> command = {Corpus(parts[0])};
  if (parts.size() == 2) command.push_back("--gtest_filter=" + parts[1]);
  for (const char* seed : {"1", "2"}) {
    RunOutput out = RunVerify({"--seed", seed}, command);
    EXPECT_NE(out.exit_code, kExitNotDeterministic) << "seed " << seed << ": " << out.err;
    EXPECT_TRUE(absl::StrContains(out.err, absl::StrCat("ravel: verified: 2 runs of seed ", seed, " took the same")))
        << "seed " << seed << ": " << out.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusVerify, ::testing::ValuesIn(CorpusPrograms()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(StressVerify, AFailureItsSeedDoesNotReproduceIsReportedAsNotDeterministic) {
  // random: no calibration runs, so the first schedule reads count 0 (fails) and its
  // second run count 1 (passes).
  const std::string counter = TempPath("stress-counter"), json = TempPath("stress-leak.json");
  std::remove(counter.c_str());  // each run of this test starts from count 0
  RunOutput out = RunCommand({RavelBinary(), "stress", "--verify", "--runs", "1", "--jobs", "1", "--strategy",
                              "random", "--artifacts", TempPath("leak-artifacts"), "--json", json, "--", GuestPath("file_leak"),
                              counter, "fail-even"});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_TRUE(std::regex_search(out.err, std::regex(R"(ravel:   seed 1 failed once but not on a second run: not )"
                                                    R"(deterministic \(step \d+: first run T1 \w+, second run T1 )"
                                                    R"(getppid; likely cause: unknown: )")))
      << out.err;
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out.err;
  const nlohmann::json& failure = doc["reports"][0]["failures"][0];
  EXPECT_EQ(failure["verified"], true) << doc.dump();
  EXPECT_TRUE(absl::StartsWith(failure["not_deterministic"].get<std::string>(), "failed once but not on a second run"))
      << doc.dump();
  // The guest output kept is the failing run's.
  EXPECT_TRUE(absl::StrContains(ReadFile(failure["guest_stderr"].get<std::string>()), "count 0 is even")) << doc.dump();
}

TEST(StressVerify, AFailureThatReproducesIsSaidToBeVerified) {
  const std::string json = TempPath("stress-reproduced.json");
  RunOutput out = RunCommand({RavelBinary(), "stress", "--verify", "--runs", "1", "--strategy", "pct", "--pct-steps", "21",
                              "--jobs", "1",
                              "--preempt", "syscall,time",
                              "--artifacts", TempPath("reproduced-artifacts"), "--json", json, "--", Corpus("check_then_act_io")});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "ravel:   verified: seed 1 failed the same way on a second run, step for step"))
      << out.err;
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out.err;
  EXPECT_EQ(doc["reports"][0]["failures"][0]["verified"], true) << doc.dump();
  EXPECT_EQ(doc["reports"][0]["failures"][0]["not_deterministic"], "") << doc.dump();
}

}  // namespace
}  // namespace ravel::testing
