// The corpus under `ravel run`: correct twins never fail, and each syscall-granularity bug
// is found by PCT. The seeds below are the first that found each bug when searching seeds
// 1..1000 with PCT (depth 3, --pct-steps k near the program's choice points); each must
// still find its bug, and the same seed must fail the same way twice (same fingerprint).
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

struct Program {
  std::string name, bug_class, granularity, expected;
};

// The programs of a manifest: corpora/'s own, or corpora/classic/'s ("classic/").
std::vector<Program> Manifest(const std::string& subdir = "") {
  std::vector<Program> out;
  std::ifstream in(std::string(CORPUS_DIR) + "/" + subdir + "MANIFEST.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 5) continue;
    out.push_back({f[0], f[2], f[3], f[4]});
  }
  return out;
}

std::vector<std::string> CommandOf(const std::string& name) {
  // "binary:Suite.Test" names one test of a GoogleTest binary.
  std::vector<std::string> parts = absl::StrSplit(name, absl::MaxSplits(':', 1));
  std::vector<std::string> cmd = {std::string(CORPUS_DIR) + "/" + parts[0]};
  if (parts.size() == 2) cmd.push_back("--gtest_filter=" + parts[1]);
  return cmd;
}

RunOutput RavelRun(const std::vector<std::string>& options, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {RavelBinary(), "run", "--timeout", "30"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return RunCommand(argv);
}

std::string Fingerprint(const std::string& err) {
  std::smatch m;
  return std::regex_search(err, m, std::regex("fingerprint=([0-9a-f]{16})")) ? std::string(m[1]) : "";
}

TEST(Corpus, ManifestIsComplete) {
  std::vector<Program> programs = Manifest();
  ASSERT_GE(programs.size(), 20u);
  int bugs = 0, twins = 0;
  std::set<std::string> classes;
  for (const Program& p : programs) {
    EXPECT_TRUE(p.expected == "fail" || p.expected == "deadlock" || p.expected == "pass") << p.name;
    EXPECT_TRUE(p.granularity == "syscall" || p.granularity == "sync" || p.granularity == "atomic" ||
                p.granularity == "time")
        << p.name;
    if (p.expected == "pass") ++twins; else ++bugs;
    classes.insert(p.bug_class);
  }
  EXPECT_GE(bugs, 15);
  EXPECT_GE(twins, 5);
  EXPECT_GE(classes.size(), 15u);
}

// Correct programs never fail, whatever the strategy and seed.
class Twin : public ::testing::TestWithParam<std::string> {};

TEST_P(Twin, NeverFails) {
  for (const char* strategy : {"pct", "random", "rr"}) {
    for (int seed = 1; seed <= 30; ++seed) {
      RunOutput out = RavelRun({"--strategy", strategy, "--seed", std::to_string(seed)}, CommandOf(GetParam()));
      ASSERT_EQ(out.exit_code, 0) << GetParam() << " " << strategy << " seed " << seed << ":\n" << out.err;
    }
  }
}

std::vector<std::string> Twins() {
  std::vector<std::string> names;
  for (const Program& p : Manifest()) {
    if (p.expected == "pass") names.push_back(p.name);
  }
  return names;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Corpus, Twin, ::testing::ValuesIn(Twins()), TestName);

// ... also with the finer points (--preempt sync,time,atomic), by stress (the fork server,
// bound CPUs).
class TwinWithFinerPoints : public ::testing::TestWithParam<std::string> {};

TEST_P(TwinWithFinerPoints, NeverFails) {
  for (const char* strategy : {"pct", "random"}) {
    std::vector<std::string> argv = {RavelBinary(), "stress", "--runs", "40", "--strategy", strategy, "--preempt",
                                     "sync,time,atomic", "--artifacts", TempPath("twin-finer"), "--"};
    for (const std::string& word : CommandOf(GetParam())) argv.push_back(word);
    RunOutput out = RunCommand(argv);
    ASSERT_EQ(out.exit_code, 0) << GetParam() << " " << strategy << ":\n" << out.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, TwinWithFinerPoints, ::testing::ValuesIn(Twins()), TestName);

// Bugs of sync, time or atomic granularity: invisible at syscall points, found by stress with
// their --preempt item within 1000 seeds, and the schedule it keeps replays 10 times out
// of 10.
class FinerBug : public ::testing::TestWithParam<std::string> {};

TEST_P(FinerBug, FoundWithItsPointsAndReplayed) {
  std::string granularity;
  for (const Program& p : Manifest()) {
    if (p.name == GetParam()) granularity = p.granularity;
  }
  const std::string dir = TempPath("finer-artifacts");
  std::vector<std::string> argv = {RavelBinary(), "stress", "--runs", "1000", "--preempt", granularity,
                                   "--artifacts", dir, "--"};
  for (const std::string& word : CommandOf(GetParam())) argv.push_back(word);
  RunOutput out = RunCommand(argv);
  ASSERT_EQ(out.exit_code, 1) << out.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out.err, m, std::regex("replay:   ravel replay (\\S+)"))) << out.err;
  const std::string sched = m[1];
  EXPECT_NE(ReadFile(sched).find("option preempt syscall," + granularity), std::string::npos);
  RunOutput first = RunCommand({RavelBinary(), "replay", sched});
  ASSERT_TRUE(first.err.find("reproduced") != std::string::npos) << first.err;
  for (int i = 0; i < 9; ++i) {
    RunOutput again = RunCommand({RavelBinary(), "replay", sched});
    EXPECT_EQ(again.exit_code, first.exit_code) << again.err;
    EXPECT_EQ(Fingerprint(again.err), Fingerprint(first.err)) << again.err;
  }
  // At syscall points only, the same seeds find nothing.
  argv = {RavelBinary(), "stress", "--runs", "200", "--preempt", "syscall", "--artifacts", dir, "--"};
  for (const std::string& word : CommandOf(GetParam())) argv.push_back(word);
  EXPECT_EQ(RunCommand(argv).exit_code, 0) << "found at syscall granularity: not a " << granularity << " bug";
}

std::vector<std::string> FinerBugs() {
  std::vector<std::string> names;
  for (const Program& p : Manifest()) {
    if (p.expected != "pass" && (p.granularity == "sync" || p.granularity == "time" || p.granularity == "atomic")) {
      names.push_back(p.name);
    }
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Corpus, FinerBug, ::testing::ValuesIn(FinerBugs()), TestName);

// Bugs that need only syscall granularity, with the PCT seed and k that find them at
// syscall points with time chaos (`--preempt syscall,time`, the default before sync and
// atomic points joined it: pinned seeds keep their meaning).
struct Finding {
  const char* name;
  int k;
  int seed;
};

constexpr Finding kFindings[] = {
    {"order_after_create", 6, 3},
    {"check_then_act_io", 21, 1},
    {"lazy_init_race", 21, 1},
    {"lock_order_deadlock", 21, 1},
    {"cross_process_file_race", 10, 16},
    {"shutdown_race", 16, 7},
    {"pct_depth1", 21, 3},
    {"pct_depth2", 21, 21},
    {"if_not_while", 30, 1000},
    {"lost_wakeup", 8, 2},
    {"pct_depth3", 21, 920},
    {"deep_preemption", 60, 105},
    {"gtest_flaky_sound:FlakySuite.Flaky", 28, 91},
    {"gtest_flaky_sound", 40, 2},
};

TEST(Corpus, EverySyscallGranularityBugHasAFinding) {
  for (const Program& p : Manifest()) {
    if (p.expected == "pass" || p.granularity != "syscall") continue;
    bool found = false;
    for (const Finding& f : kFindings) found |= p.name == f.name;
    EXPECT_TRUE(found) << p.name << " has no pinned PCT finding";
  }
}

void PrintTo(const Finding& f, std::ostream* os) { *os << f.name << " k=" << f.k << " seed=" << f.seed; }

class Bug : public ::testing::TestWithParam<Finding> {};

TEST_P(Bug, FoundByPctAndReproducedBySeed) {
  const Finding& f = GetParam();
  std::string expected;
  for (const Program& p : Manifest()) {
    if (p.name == f.name) expected = p.expected;
  }
  ASSERT_FALSE(expected.empty()) << f.name << " is not in the manifest";
  std::vector<std::string> options = {"--strategy", "pct", "--pct-steps", std::to_string(f.k), "--seed",
                                      std::to_string(f.seed), "--preempt", "syscall,time"};
  RunOutput first = RavelRun(options, CommandOf(f.name));
  if (expected == "deadlock") {
    EXPECT_EQ(first.exit_code, 3) << first.err;
  } else {
    EXPECT_NE(first.exit_code, 0) << first.err;
    EXPECT_NE(first.exit_code, 3) << first.err;
    EXPECT_NE(first.exit_code, 4) << first.err;
  }
  RunOutput again = RavelRun(options, CommandOf(f.name));
  EXPECT_EQ(again.exit_code, first.exit_code);
  EXPECT_EQ(Fingerprint(again.err), Fingerprint(first.err));
  EXPECT_FALSE(Fingerprint(first.err).empty()) << first.err;
}

INSTANTIATE_TEST_SUITE_P(Corpus, Bug, ::testing::ValuesIn(kFindings),
                         [](const ::testing::TestParamInfo<Finding>& info) {
                           std::string n = info.param.name;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// Every bug of the corpus, whatever its granularity, is found by `ravel stress` with no
// options within 1000 schedules (issue #15's bar for the defaults).
class BugByDefault : public ::testing::TestWithParam<std::string> {};

TEST_P(BugByDefault, FoundByStressWithNoOptions) {
  std::vector<std::string> argv = {RavelBinary(), "stress", "--runs", "1000", "--jobs", "1", "--artifacts",
                                   TempPath("default-artifacts"), "--"};
  for (const std::string& word : CommandOf(GetParam())) argv.push_back(word);
  RunOutput out = RunCommand(argv);
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "strategy surw")) << out.err;
}

std::vector<std::string> Bugs() {
  std::vector<std::string> names;
  for (const Program& p : Manifest()) {
    if (p.expected != "pass") names.push_back(p.name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BugByDefault, ::testing::ValuesIn(Bugs()), TestName);

// ---- corpora/classic: the classic-pattern set, under ravel's defaults ----
//
// Its copy of the manifest in the build directory lists only what was built (the Rust
// programs need rustc).

std::vector<Program> ClassicManifest() { return Manifest("classic/"); }

std::string Classic(const std::string& name) { return std::string(CORPUS_DIR) + "/classic/" + name; }

TEST(Classic, TheSetIsCompleteAndEveryBugHasATwin) {
  std::set<std::string> names;
  for (const Program& p : ClassicManifest()) names.insert(p.name);
  for (const char* name : {"account", "bank_transfer", "refcount_stopping", "circular_buffer", "queue_flag",
                           "stack_check", "token_ring", "two_stage_2", "two_stage_50", "two_stage_100", "reorder_2",
                           "reorder_10", "reorder_50", "reorder_100", "wsq_chase_lev", "wsq_chase_lev_state",
                           "lockfree_stack_aba", "string_buffer", "lazy_init_lock", "wronglock"}) {
    EXPECT_TRUE(names.contains(name)) << name;
  }
  for (const Program& p : ClassicManifest()) {
    if (p.expected == "pass") continue;
    EXPECT_TRUE(names.contains(p.name + "_fixed")) << p.name << " has no twin";
    EXPECT_TRUE(p.granularity == "sync" || p.granularity == "atomic") << p.name;
  }
}

std::vector<std::string> ClassicNames(bool bugs) {
  std::vector<std::string> names;
  for (const Program& p : ClassicManifest()) {
    if ((p.expected != "pass") == bugs) names.push_back(p.name);
  }
  return names;
}

// Each bug is found by `ravel stress` with no options (surw, syscall, sync, atomic and time
// points) within the budget of 1000 schedules (most at the first seeds), and the
// schedule it keeps replays.
class ClassicBug : public ::testing::TestWithParam<std::string> {};

TEST_P(ClassicBug, FoundByTheDefaultsAndReplayed) {
  const std::string dir = TempPath("classic-artifacts");
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "1000", "--jobs", "1", "--artifacts", dir, "--",
                              Classic(GetParam())});
  ASSERT_EQ(out.exit_code, 1) << out.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out.err, m, std::regex("replay:   ravel replay (\\S+)"))) << out.err;
  const std::string sched = m[1];
  EXPECT_NE(ReadFile(sched).find("option preempt syscall,sync,time,atomic"), std::string::npos);
  for (int i = 0; i < 3; ++i) {
    RunOutput again = RunCommand({RavelBinary(), "replay", sched});
    EXPECT_EQ(again.exit_code, 1) << again.err;
    EXPECT_TRUE(absl::StrContains(again.err, "reproduced fail(exit 1)")) << again.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Classic, ClassicBug, ::testing::ValuesIn(ClassicNames(true)), TestName);

// Each twin passes under the defaults and the other sampling strategies.
class ClassicTwin : public ::testing::TestWithParam<std::string> {};

TEST_P(ClassicTwin, NeverFails) {
  for (const char* strategy : {"surw", "pos", "pct", "random"}) {
    RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "25", "--jobs", "1", "--strategy", strategy,
                                "--artifacts", TempPath("classic-twin"), "--", Classic(GetParam())});
    ASSERT_EQ(out.exit_code, 0) << GetParam() << " " << strategy << ":\n" << out.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Classic, ClassicTwin, ::testing::ValuesIn(ClassicNames(false)), TestName);

}  // namespace
}  // namespace ravel::testing
