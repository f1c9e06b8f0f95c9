// Nothing lost, nothing silently wrong: every file ravel writes on a full disk (a tiny
// tmpfs, filled) or to /dev/full is a one-line error and exit 6 (or the failed run's own
// status), never a silent success and never a partial schedule; seeds are the whole
// uint64 range; replay says which command it runs and can refuse an unexpected one; a
// stress report is a function of the seeds, not of which job finished first.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

constexpr char kMaxSeed[] = "18446744073709551615";
constexpr int kExitOutput = 6;

std::string Corpus(const std::string& name) { return absl::StrCat(CORPUS_DIR, "/", name); }

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Lines of `err` that contain `text`.
std::vector<std::string> LinesWith(const std::string& err, const std::string& text) {
  std::vector<std::string> found;
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    if (absl::StrContains(line, text)) found.emplace_back(line);
  }
  return found;
}

// The error for `path` is one line: "ravel: [what: ]cannot write PATH: No space left on device".
void ExpectOneErrorLine(const std::string& err, const std::string& path) {
  std::vector<std::string> lines = LinesWith(err, absl::StrCat("cannot write ", path, ":"));
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_TRUE(absl::StartsWith(lines[0], "ravel: ")) << lines[0];
  EXPECT_TRUE(absl::EndsWith(lines[0], "No space left on device")) << lines[0];
}

bool IsCharDevice(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

// A tmpfs of 8 KiB, filled to the last byte: every data write fails with ENOSPC (making
// an empty file still works, as on a real full disk).
class FullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempPath(absl::StrCat("full-", ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0) << strerror(errno);
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=8k") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs at " << dir_ << ": " << strerror(errno) << " (needs root)";
    }
    mounted_ = true;
    const int fd = open((dir_ + "/fill").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    char block[4096] = {};
    while (write(fd, block, sizeof block) > 0) {
    }
    ASSERT_EQ(errno, ENOSPC);
    close(fd);
  }
  void TearDown() override {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }
  // The full file system holds nothing but the filler (and the directories named).
  void ExpectNothingWritten(std::vector<std::string> also = {}) const {
    also.push_back("fill");
    std::sort(also.begin(), also.end());
    EXPECT_EQ(Entries(dir_), also);
  }

  std::string dir_;
  bool mounted_ = false;
};

TEST_F(FullDisk, StraceDashOIsAnErrorNotAnEmptySuccess) {
  const std::string out = Path("trace.txt");
  RunOutput r = RunCommand({RavelBinary(), "strace", "-o", out, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitOutput) << r.err;
  ExpectOneErrorLine(r.err, out);
}

TEST_F(FullDisk, CountDashOLeavesNoFileAndSaysWhy) {
  const std::string out = Path("count.txt");
  RunOutput r = RunCommand({RavelBinary(), "count", "-o", out, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitOutput) << r.err;
  ExpectOneErrorLine(r.err, out);
  ExpectNothingWritten();
}

TEST_F(FullDisk, RunRecordJsonAndTraceOfAPassingRunExitSixAndLeaveNoPartialFile) {
  const std::string sched = Path("run.sched"), json = Path("run.json"), trace = Path("trace.json");
  RunOutput r = RunCommand({RavelBinary(), "run", "--record", sched, "--json", json, "--trace", trace, "--",
                            Corpus("lost_wakeup_fixed")});
  EXPECT_EQ(r.exit_code, kExitOutput) << r.err;
  ExpectOneErrorLine(r.err, sched);
  ExpectOneErrorLine(r.err, json);
  ExpectOneErrorLine(r.err, trace);
  EXPECT_FALSE(absl::StrContains(r.err, "schedule written")) << r.err;
  ExpectNothingWritten();
}

TEST_F(FullDisk, AFailingRunKeepsItsStatusAndStillSaysTheScheduleWasNotWritten) {
  // lost_wakeup deadlocks with pct seed 2, k 10 (the schedule below replays it).
  const std::string sched = Path("fail.sched");
  RunOutput r = RunCommand({RavelBinary(), "run", "--seed", "2", "--pct-steps", "10", "--record", sched, "--",
                            Corpus("lost_wakeup")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  ExpectOneErrorLine(r.err, sched);
  ExpectNothingWritten();
}

TEST_F(FullDisk, ReplayJsonAndTraceExitSix) {
  const std::string sched = TempPath("ok.sched");
  ASSERT_EQ(RunCommand({RavelBinary(), "run", "--record", sched, "--", Corpus("lost_wakeup_fixed")}).exit_code, 0);
  const std::string json = Path("replay.json"), trace = Path("replay-trace.json");
  RunOutput r = RunCommand({RavelBinary(), "replay", sched, "--json", json, "--trace", trace});
  EXPECT_EQ(r.exit_code, kExitOutput) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "ravel: reproduced pass")) << r.err;
  ExpectOneErrorLine(r.err, json);
  ExpectOneErrorLine(r.err, trace);
  ExpectNothingWritten();
}

TEST_F(FullDisk, MinimizeOutputIsWholeOrAbsent) {
  const std::string sched = TempPath("fail.sched");
  ASSERT_EQ(RunCommand({RavelBinary(), "run", "--seed", "2", "--pct-steps", "10", "--record", sched, "--",
                        Corpus("lost_wakeup")})
                .exit_code,
            3);
  const std::string out = Path("min.sched");
  RunOutput r = RunCommand({RavelBinary(), "minimize", sched, "-o", out});
  EXPECT_EQ(r.exit_code, kExitOutput) << r.err;
  ExpectOneErrorLine(r.err, out);
  ExpectNothingWritten();
}

TEST_F(FullDisk, StressKeepsTheFailureAndSaysItsScheduleCouldNotBeWritten) {
  const std::string artifacts = Path("art"), json = Path("s.json"), junit = Path("s.xml");
  RunOutput r = RunCommand({RavelBinary(), "stress", "--runs", "20", "--jobs", "2", "--artifacts", artifacts,
                            "--json", json, "--junit", junit, "--", Corpus("lost_wakeup")});
  EXPECT_EQ(r.exit_code, 1) << "a failure found matters more than a lost report: " << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "ravel: FAILURE ")) << r.err;
  std::vector<std::string> lost = LinesWith(r.err, "schedule could not be written: cannot write " + artifacts + "/");
  ASSERT_EQ(lost.size(), 1u) << r.err;
  EXPECT_TRUE(absl::EndsWith(lost[0], ".sched: No space left on device")) << lost[0];
  EXPECT_TRUE(absl::StrContains(r.err, "by seed:  ravel run")) << r.err;
  ExpectOneErrorLine(r.err, json);
  ExpectOneErrorLine(r.err, junit);
  // No schedule at all rather than an empty one that replay would call "not a ravel
  // schedule" (the guest's empty output files are whole: it printed nothing).
  for (const std::string& name : Entries(artifacts)) {
    EXPECT_FALSE(absl::EndsWith(name, ".sched")) << name;
    EXPECT_FALSE(absl::StrContains(name, ".tmp.")) << name;
  }
  ExpectNothingWritten({"art"});
}

TEST_F(FullDisk, StressOfAPassingProgramExitsSixWhenItsReportIsLost) {
  const std::string json = Path("s.json");
  RunOutput r = RunCommand({RavelBinary(), "stress", "--runs", "3", "--jobs", "2", "--artifacts", TempPath("art"),
                            "--json", json, "--", Corpus("lost_wakeup_fixed")});
  EXPECT_EQ(r.exit_code, kExitOutput) << r.err;
  ExpectOneErrorLine(r.err, json);
  ExpectNothingWritten();
}

TEST(DevFull, EveryWriterSaysSoAndTheDeviceStays) {
  const std::vector<std::vector<std::string>> commands = {
      {RavelBinary(), "strace", "-o", "/dev/full", "--", "/bin/true"},
      {RavelBinary(), "count", "-o", "/dev/full", "--", "/bin/true"},
      {RavelBinary(), "run", "--record", "/dev/full", "--", "/bin/true"},
      {RavelBinary(), "run", "--json", "/dev/full", "--", "/bin/true"},
      {RavelBinary(), "run", "--trace", "/dev/full", "--", "/bin/true"},
      {RavelBinary(), "stress", "--runs", "2", "--jobs", "1", "--artifacts", TempPath("art"), "--json", "/dev/full",
       "--", Corpus("lost_wakeup_fixed")},
      {RavelBinary(), "stress", "--runs", "2", "--jobs", "1", "--artifacts", TempPath("art"), "--junit", "/dev/full",
       "--", Corpus("lost_wakeup_fixed")},
  };
  for (const std::vector<std::string>& argv : commands) {
    SCOPED_TRACE(absl::StrJoin(argv, " "));
    RunOutput r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, kExitOutput) << r.err;
    ExpectOneErrorLine(r.err, "/dev/full");
    EXPECT_FALSE(absl::StrContains(r.err, "written to /dev/full")) << r.err;
    ASSERT_TRUE(IsCharDevice("/dev/full")) << "ravel replaced /dev/full";
  }
}

TEST(OutputPaths, AnUnwritableDirectoryIsAUsageErrorBeforeTheRun) {
  for (const char* flag : {"--json", "--record", "--trace"}) {
    SCOPED_TRACE(flag);
    RunOutput r = RunCommand({RavelBinary(), "run", flag, "/nonexistent-dir/x", "--", "/bin/true"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_FALSE(absl::StrContains(r.err, "ravel: pass")) << "the run should not have started: " << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "/nonexistent-dir/x: No such file or directory")) << r.err;
  }
}

// Seeds: 0..2^64-1 everywhere, nothing past it.
TEST(Seeds, TheLargestSeedRunsRecordsAndReplays) {
  const std::string sched = TempPath("max.sched"), json = TempPath("max.json");
  RunOutput r = RunCommand({RavelBinary(), "run", "--seed", kMaxSeed, "--record", sched, "--json", json, "--",
                            Corpus("lost_wakeup_fixed")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, absl::StrCat("seed=", kMaxSeed))) << r.err;
  EXPECT_EQ(nlohmann::json::parse(ReadFile(json)).at("seed").get<uint64_t>(), UINT64_MAX);
  EXPECT_TRUE(absl::StrContains(ReadFile(sched), absl::StrCat("\nseed ", kMaxSeed, "\n")));
  RunOutput replayed = RunCommand({RavelBinary(), "replay", sched});
  EXPECT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_TRUE(absl::StrContains(replayed.err, absl::StrCat("seed=", kMaxSeed))) << replayed.err;
}

TEST(Seeds, ASeedPastEitherEndIsAUsageError) {
  for (const char* command : {"run", "stress", "inject"}) {
    for (const char* seed : {"18446744073709551616", "-1", "1e3"}) {
      SCOPED_TRACE(absl::StrCat(command, " --seed ", seed));
      std::vector<std::string> argv = {RavelBinary(), command, "--seed", seed};
      if (std::string(command) == "inject") argv.insert(argv.end(), {"--fail", "openat=ENOENT"});
      argv.insert(argv.end(), {"--", "/bin/true"});
      RunOutput r = RunCommand(argv);
      EXPECT_EQ(r.exit_code, 2) << r.err;
      EXPECT_TRUE(absl::StrContains(r.err, "expected a seed from 0 to 18446744073709551615")) << r.err;
    }
  }
}

TEST(Seeds, StressRunsUpToTheLastSeedAndRefusesToWrapPastIt) {
  RunOutput r = RunCommand({RavelBinary(), "stress", "--seed", "18446744073709551614", "--runs", "2", "--jobs", "2",
                            "--artifacts", TempPath("art"), "--", Corpus("lost_wakeup_fixed")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, absl::StrCat("2 schedules (seeds 18446744073709551614..", kMaxSeed)))
      << r.err;
  r = RunCommand({RavelBinary(), "stress", "--seed", "18446744073709551614", "--runs", "3", "--artifacts",
                  TempPath("art"), "--", Corpus("lost_wakeup_fixed")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "the last seed would be past 18446744073709551615")) << r.err;
}

// A failure's by-seed command above 2^63 is one `ravel run` takes, and it fails the same way
// (lost_wakeup fails within the first 20 seeds of this shard).
TEST(Seeds, TheBySeedCommandOfAHighSeedRuns) {
  const std::string json = TempPath("high.json");
  RunOutput r = RunCommand({RavelBinary(), "stress", "--seed", "9223372036854775807", "--shard", "0/2", "--runs",
                            "40", "--jobs", "2", "--artifacts", TempPath("art"), "--json", json, "--",
                            Corpus("lost_wakeup")});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json report = nlohmann::json::parse(ReadFile(json)).at("reports").at(0);
  const nlohmann::json& failure = report.at("failures").at(0);
  const uint64_t first = failure.at("first_seed").get<uint64_t>();
  EXPECT_GT(first, uint64_t{9223372036854775807u});
  const std::string command = failure.at("seed_command").get<std::string>();
  ASSERT_TRUE(absl::StrContains(command, absl::StrCat("--seed ", first))) << command;
  ASSERT_TRUE(absl::StartsWith(command, "ravel run ")) << command;
  RunOutput again = RunCommand({"/bin/sh", "-c", absl::StrCat("'", RavelBinary(), "' ", command.substr(6))});
  EXPECT_NE(again.exit_code, 0) << again.err;
  EXPECT_NE(again.exit_code, 2) << again.err;
  EXPECT_TRUE(absl::StrContains(again.err, absl::StrCat("seed=", first))) << again.err;
}

// Trust: a schedule is a command line.
TEST(ReplayTrust, ReplaySaysWhichCommandItRunsAndWhere) {
  const std::string sched = TempPath("ok.sched");
  ASSERT_EQ(RunCommand({RavelBinary(), "run", "--record", sched, "--", Corpus("lost_wakeup_fixed")}).exit_code, 0);
  RunOutput r = RunCommand({RavelBinary(), "replay", sched});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_TRUE(absl::StartsWith(r.err, absl::StrCat("ravel: replaying: ", Corpus("lost_wakeup_fixed"), " (in ", cwd,
                                                   ")\n")))
      << r.err;
}

TEST(ReplayTrust, ExpectCommandRefusesAScheduleOfAnotherCommand) {
  const std::string sched = TempPath("ok.sched");
  ASSERT_EQ(RunCommand({RavelBinary(), "run", "--record", sched, "--", Corpus("lost_wakeup_fixed")}).exit_code, 0);
  RunOutput r = RunCommand({RavelBinary(), "replay", sched, "--expect-command", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(LinesWith(r.err, "ravel:").size(), 1u) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "not the expected /bin/true; not replaying")) << r.err;
  EXPECT_FALSE(absl::StrContains(r.err, "reproduced")) << r.err;
  // An extra argument is another command too.
  r = RunCommand({RavelBinary(), "replay", sched, "--expect-command", "--", Corpus("lost_wakeup_fixed"), "--x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // The recorded command is accepted.
  r = RunCommand({RavelBinary(), "replay", sched, "--expect-command", "--", Corpus("lost_wakeup_fixed")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "ravel: reproduced pass")) << r.err;
  // A command without the flag is still refused, and the flag without a command too.
  EXPECT_EQ(RunCommand({RavelBinary(), "replay", sched, "--", "/bin/true"}).exit_code, 2);
  EXPECT_EQ(RunCommand({RavelBinary(), "replay", sched, "--expect-command"}).exit_code, 2);
}

// Reports are a function of the seeds: with one job or three, stopping at the first
// failure reports the same lowest failing seed and exactly the seeds up to it.
TEST(StressReport, TheFirstFailureIsTheLowestFailingSeedWhateverTheJobs) {
  std::vector<nlohmann::json> reports;
  for (const char* jobs : {"1", "3"}) {
    const std::string json = TempPath(absl::StrCat("jobs", jobs, ".json"));
    RunOutput r = RunCommand({RavelBinary(), "stress", "--runs", "60", "--jobs", jobs, "--artifacts",
                              TempPath(absl::StrCat("art", jobs)), "--json", json, "--", Corpus("lost_wakeup")});
    ASSERT_EQ(r.exit_code, 1) << r.err;
    reports.push_back(nlohmann::json::parse(ReadFile(json)).at("reports").at(0));
  }
  for (const nlohmann::json& report : reports) {
    ASSERT_EQ(report.at("failures").size(), 1u);
    const uint64_t first = report.at("failures").at(0).at("first_seed").get<uint64_t>();
    const std::vector<uint64_t> seeds = report.at("seeds_run").get<std::vector<uint64_t>>();
    ASSERT_FALSE(seeds.empty());
    EXPECT_EQ(seeds.front(), 1u);
    EXPECT_EQ(seeds.back(), first) << "seeds past the first failure are not reported";
    EXPECT_EQ(seeds.size(), first) << "every seed up to it is";
    EXPECT_EQ(report.at("passed").get<uint64_t>() + report.at("failed").get<uint64_t>(), seeds.size());
  }
  EXPECT_EQ(reports[0].at("seeds_run"), reports[1].at("seeds_run"));
  EXPECT_EQ(reports[0].at("failures").at(0).at("first_seed"), reports[1].at("failures").at(0).at("first_seed"));
}

}  // namespace
}  // namespace ravel::testing
