// `ravel run` end to end: determinism, virtual time, deadlock reports, timeouts, the
// summary line and the exit-code contract.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "intercept/cpu_split.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

const std::regex kSummary(
    "ravel: (pass|fail\\(exit \\d+\\)|fail\\(signal \\w+\\)|deadlock|timeout) steps=(\\d+) threads=(\\d+) "
    "fingerprint=([0-9a-f]{16}) seed=(\\d+) strategy=(\\w+)( rdtsc=(host|\\d+))?\\n");

struct Summary {
  std::string outcome, fingerprint;
  int steps = 0, threads = 0;
};

Summary Parse(const std::string& err) {
  std::smatch m;
  Summary s;
  if (std::regex_search(err, m, kSummary)) {
    s.outcome = m[1];
    s.steps = std::stoi(m[2]);
    s.threads = std::stoi(m[3]);
    s.fingerprint = m[4];
  }
  return s;
}

RunOutput RavelRun(const std::vector<std::string>& options, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {RavelBinary(), "run"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return RunCommand(argv);
}

// 20 runs with one seed: one fingerprint (and one output, when the guest prints no pids).
void ExpectDeterministic(const std::vector<std::string>& command, const std::string& strategy,
                         bool same_output = true) {
  std::string first_fp, first_out;
  for (int i = 0; i < 20; ++i) {
    RunOutput out = RavelRun({"--strategy", strategy, "--seed", "11"}, command);
    Summary s = Parse(out.err);
    ASSERT_EQ(s.outcome, "pass") << out.err;
    if (i == 0) {
      first_fp = s.fingerprint;
      first_out = out.out;
    } else {
      ASSERT_EQ(s.fingerprint, first_fp) << "run " << i << " diverged";
      if (same_output) {
        ASSERT_EQ(out.out, first_out);
      }
    }
  }
}

// threads and fork print their tids and pids, which ravel does not virtualise.
TEST(RunDeterminism, ThreadedGuest) { ExpectDeterministic({GuestPath("threads")}, "pct", false); }
TEST(RunDeterminism, MultiProcessGuest) { ExpectDeterministic({GuestPath("fork")}, "random", false); }
TEST(RunDeterminism, SleepHeavyGuest) { ExpectDeterministic({GuestPath("sleepy_workers")}, "pct"); }

TEST(RunDeterminism, DifferentSeedsExploreDifferentSchedules) {
  std::map<std::string, int> fingerprints;
  for (int seed = 1; seed <= 10; ++seed) {
    RunOutput out = RavelRun({"--strategy", "random", "--seed", std::to_string(seed)}, {GuestPath("sleepy_workers")});
    Summary s = Parse(out.err);
    EXPECT_EQ(s.outcome, "pass") << out.err;
    EXPECT_EQ(out.out, "done 4\n");
    ++fingerprints[s.fingerprint];
  }
  EXPECT_GT(fingerprints.size(), 3u);
}

TEST(Run, VirtualTimeMakesLongSleepsFree) {
  // 1000 s of sleep: if it were real, CTest's timeout would fail the test long before.
  RunOutput out = RavelRun({}, {GuestPath("vclock"), "1000"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "monotonic +1000 realtime +1000\n");
}

TEST(Run, DeadlockIsReportedWithEveryThread) {
  RunOutput out = RavelRun({}, {GuestPath("lock_order")});
  EXPECT_EQ(out.exit_code, 3) << out.err;
  EXPECT_EQ(Parse(out.err).outcome, "deadlock") << out.err;
  EXPECT_TRUE(std::regex_search(out.err, std::regex("T0 \\(tid \\d+\\) waits on futex 0x[0-9a-f]+; last syscall futex")))
      << out.err;
  EXPECT_TRUE(std::regex_search(out.err, std::regex("T1 \\(tid \\d+\\) waits on futex 0x[0-9a-f]+; last syscall futex")))
      << out.err;
}

// Each scenario of the waits guest passes under every strategy and a few seeds: the
// scheduler models poll/select/epoll readiness and timeouts, signals that interrupt
// emulated waits, and process-shared futexes. At syscall points only: time chaos (on by
// default) may time a wait out before its event, as a loaded machine may, and these
// scenarios rely on the event coming first.
class Waits : public ::testing::TestWithParam<std::string> {};

TEST_P(Waits, BehaveAsNatively) {
  RunOutput native = RunCommand({GuestPath("waits"), GetParam()});
  ASSERT_EQ(native.exit_code, 0) << native.out << native.err;
  for (const std::string strategy : {"pct", "random", "rr"}) {
    for (int seed = 1; seed <= 3; ++seed) {
      RunOutput out = RavelRun({"--preempt", "syscall", "--strategy", strategy, "--seed", std::to_string(seed)},
                                {GuestPath("waits"), GetParam()});
      ASSERT_EQ(out.exit_code, 0) << strategy << " seed " << seed << ": " << out.out << out.err;
      ASSERT_EQ(out.out, native.out) << strategy << " seed " << seed;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Waits,
                         ::testing::Values("poll", "select", "epoll", "timeout", "sleep-signal", "sem-signal",
                                           "read-restart", "pause-signal", "shared-sem", "waitv", "mq"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Run, SyncPointsNameLockHoldersInADeadlock) {
  RunOutput out = RavelRun({"--preempt", "sync", "--seed", "4"}, {GuestPath("lock_order")});
  ASSERT_EQ(out.exit_code, 3) << out.err;
  // Each thread holds one mutex and waits for the other's.
  EXPECT_TRUE(std::regex_search(out.err, std::regex("T0 .*holds mutex 0x[0-9a-f]+ \\(acquired at step [0-9]+\\); "
                                                    "waits for mutex 0x[0-9a-f]+ held by T1")))
      << out.err;
  EXPECT_TRUE(std::regex_search(out.err, std::regex("T1 .*holds mutex 0x[0-9a-f]+ .*held by T0"))) << out.err;
}

TEST(Run, SyncPointsKeepTheGuestsBehaviour) {
  // The shim changes when threads switch, not what the calls do.
  for (const std::string scenario : {"sem-signal", "shared-sem", "poll"}) {
    RunOutput native = RunCommand({GuestPath("waits"), scenario});
    for (int seed = 1; seed <= 3; ++seed) {
      RunOutput out = RavelRun({"--preempt", "sync", "--strategy", "random", "--seed", std::to_string(seed)},
                               {GuestPath("waits"), scenario});
      EXPECT_EQ(out.exit_code, 0) << scenario << ": " << out.err;
      EXPECT_EQ(out.out, native.out) << scenario;
    }
  }
}

// A process that has never started a thread makes no sync points for its private locks
// (nothing can contend for them); a process-shared mutex makes them all the same, and
// so does every lock once a second thread has been started (see lock_phases.c).
TEST(Run, SyncPointsStartWithTheSecondThreadExceptForSharedLocks) {
  const std::string schedule = TempPath("phases.sched");
  RunOutput out = RavelRun({"--preempt", "syscall,sync", "--record", schedule}, {GuestPath("lock_phases")});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "done\n");
  // T0 the parent, T1 the child, T2 the child's worker.
  EXPECT_EQ(SyncSteps(ReadFile(schedule), 0), 0) << ReadFile(schedule);
  EXPECT_EQ(SyncSteps(ReadFile(schedule), 1), 16) << ReadFile(schedule);
  EXPECT_EQ(SyncSteps(ReadFile(schedule), 2), 0) << ReadFile(schedule);
}

TEST(Run, SyncPointsWarnOnceForAStaticProgramAndRunOn) {
  RunOutput native = RunCommand({GuestPath("threads_static")});
  RunOutput out = RavelRun({"--preempt", "sync"}, {GuestPath("threads_static")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  const std::regex pid("\\[pid [0-9]+\\]");
  EXPECT_EQ(std::regex_replace(out.out, pid, "[pid]"), std::regex_replace(native.out, pid, "[pid]"));
  EXPECT_TRUE(absl::StrContains(out.err, "is statically linked: no sync points")) << out.err;
  // The default has sync points too: the same single line, and the run goes on.
  out = RavelRun({}, {GuestPath("threads_static")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  size_t said = 0;
  for (size_t at = out.err.find("no sync points"); at != std::string::npos; at = out.err.find("no sync points", at + 1)) {
    ++said;
  }
  EXPECT_EQ(said, 1u) << out.err;
}

TEST(RunBadInput, BranchPreemptionSaysWhatItNeeds) {
  // Counter-based preemption needs a PMU (absent on CI VMs): a one-line reason, exit 2.
  RunOutput out = RavelRun({"--preempt", "branches"}, {GuestPath("threads")});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(out.err, "--preempt branches needs hardware performance counters")) << out.err;
  EXPECT_EQ(std::count(out.err.begin(), out.err.end(), '\n'), 1) << out.err;
}

// Without --preempt a run has syscall, sync and atomic points and time chaos, and its
// schedule says so; a list replaces the default.
TEST(Run, DefaultPreemptIsSyscallSyncAtomicAndTime) {
  const std::string with_default = TempPath("default.sched");
  RunOutput out = RavelRun({"--record", with_default}, {GuestPath("threads")});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(absl::StrContains(ReadFile(with_default), "\noption preempt syscall,sync,time,atomic\n"))
      << ReadFile(with_default);
  const std::string syscall_only = TempPath("syscall.sched");
  out = RavelRun({"--preempt", "syscall", "--record", syscall_only}, {GuestPath("threads")});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_FALSE(absl::StrContains(ReadFile(syscall_only), "option preempt")) << ReadFile(syscall_only);
}

TEST(RunBadInput, UnknownPreemptItem) {
  RunOutput out = RavelRun({"--preempt", "syscall,bogus"}, {GuestPath("threads")});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(out.err, "unknown --preempt item 'bogus'; valid items: syscall, sync, time, atomic")) << out.err;
}

TEST(Run, ASpinOnAPlainFlagCompletesAndItsScheduleReplays) {
  // main spins on a flag the other thread sets, with no syscall or lock: without liveness
  // preemption only a timeout would end it. With "sleep" the setter sleeps first, so
  // virtual time must pass while main spins. The preemption is recorded (instruction and
  // registers) and made again by the replay.
  const std::regex fingerprint("fingerprint=([0-9a-f]{16})");
  auto fingerprint_of = [&](const std::string& err) {
    std::smatch m;
    return std::regex_search(err, m, fingerprint) ? std::string(m[1]) : std::string("none");
  };
  for (const std::string mode : {"", "sleep"}) {
    int preempted = 0;  // runs where main spun (the setter did not run first)
    for (int seed = 1; seed <= 3; ++seed) {
      const std::string sched = TempPath(absl::StrCat("spin", mode, seed, ".sched"));
      std::vector<std::string> command = {GuestPath("flag_spin")};
      if (!mode.empty()) command.push_back(mode);
      RunOutput out = RavelRun({"--seed", std::to_string(seed), "--timeout", "60", "--record", sched}, command);
      ASSERT_EQ(out.exit_code, 0) << mode << " seed " << seed << ": " << out.err;
      EXPECT_EQ(out.out, "main saw the flag\n");
      preempted += absl::StrContains(out.err, "liveness preemption") ? 1 : 0;
      RunOutput replayed = RunCommand({RavelBinary(), "replay", sched});
      EXPECT_EQ(replayed.exit_code, 0) << replayed.err;
      EXPECT_TRUE(absl::StrContains(replayed.err, "ravel: reproduced pass")) << replayed.err;
      EXPECT_EQ(fingerprint_of(replayed.err), fingerprint_of(out.err)) << replayed.err;
    }
    EXPECT_GE(preempted, 1) << "no seed made main spin (mode '" << mode << "')";
  }
}

TEST(Run, ClockMadeNamesDependOnTheSeed) {
  // The virtual clock starts at a time drawn from the seed: the same seed gives the same
  // mkstemp name, other seeds other names, so concurrent runs of a stress job do not
  // collide on one name in /tmp (a collision makes a run depend on its neighbours).
  std::set<std::string> names;
  for (int seed = 1; seed <= 4; ++seed) {
    RunOutput a = RavelRun({"--seed", std::to_string(seed)}, {GuestPath("tempname")});
    RunOutput b = RavelRun({"--seed", std::to_string(seed)}, {GuestPath("tempname")});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, b.out) << "seed " << seed;
    names.insert(a.out);
  }
  EXPECT_EQ(names.size(), 4u);
}

TEST(Run, CpuAffinityIsTheMachinesUnderRunAndStress) {
  // ravel binds each stress job to one CPU; the guest must not notice, or a schedule found
  // by stress would run differently under `ravel run` and `ravel replay`.
  RunOutput native = RunCommand({GuestPath("affinity")});
  ASSERT_EQ(native.exit_code, 0) << native.err;
  RunOutput run = RavelRun({"--seed", "3"}, {GuestPath("affinity")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, native.out);
  const int cpus = atoi(native.out.substr(native.out.find(' ') + 1).c_str());
  ASSERT_GT(cpus, 0) << native.out;
  RunOutput stress = RunCommand({RavelBinary(), "stress", "--runs", "6", "--jobs", "2", "--artifacts",
                                 TempPath("affinity-artifacts"), "--", GuestPath("affinity"), std::to_string(cpus)});
  EXPECT_EQ(stress.exit_code, 0) << stress.err;
}

// The CPU list after "main: " in `affinity where`'s output, or "" (with the thread's, which
// must be the same).
std::string GuestCpus(const RunOutput& out) {
  std::vector<std::string> lines = absl::StrSplit(out.out, '\n', absl::SkipEmpty());
  if (lines.size() != 2 || !absl::StartsWith(lines[0], "main: ") || !absl::StartsWith(lines[1], "thread: ")) return "";
  std::string main = lines[0].substr(6), thread = lines[1].substr(8);
  return main == thread ? main : "";
}

TEST(Run, TheGuestRunsOnACpuOfItsOwnUnlessAnotherRunHasIt) {
  cpu_set_t own;
  ASSERT_EQ(sched_getaffinity(0, sizeof(own), &own), 0);
  if (CPU_COUNT(&own) < 2) GTEST_SKIP() << "this test may use one CPU: there is nothing to split";
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &own)) cpus.push_back(cpu);
  }
  // Claims of this test's own name, so that runs of ravel in other tests do not take them.
  const std::string name = absl::StrCat("ravel-test-", getpid());
  RunOptions options;
  options.env = {"RAVEL_CPU_CLAIMS=" + name};
  auto where = [&](const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {RavelBinary(), "run", "--seed", "1"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"--", GuestPath("affinity"), "where"});
    RunOutput out = RunCommand(argv, options);
    EXPECT_EQ(out.exit_code, 0) << out.err;
    return GuestCpus(out);
  };
  const std::string all = GuestCpus(RunCommand({GuestPath("affinity"), "where"}));
  ASSERT_NE(all, "");
  // The highest CPU, for every thread; the whole set with --no-cpu-split.
  EXPECT_EQ(where({}), std::to_string(cpus.back()));
  EXPECT_EQ(where({"--no-cpu-split"}), all);
  {
    // Another run holds the highest: the next one down.
    std::optional<CpuSplit> other = CpuSplit::Claim(own, name);
    ASSERT_TRUE(other.has_value());
    ASSERT_EQ(other->guest_cpu(), cpus.back());
    EXPECT_EQ(where({}), std::to_string(cpus[cpus.size() - 2]));
    // All held: no split.
    std::vector<CpuSplit> rest;
    while (std::optional<CpuSplit> next = CpuSplit::Claim(own, name)) rest.push_back(std::move(*next));
    EXPECT_EQ(rest.size(), cpus.size() - 1);
    EXPECT_EQ(where({}), all);
  }
  // The claims ended with their holders: the highest again.
  EXPECT_EQ(where({}), std::to_string(cpus.back()));
}

TEST(Run, TheSameRunWithTheCpusSplitOrNot) {
  for (const char* strategy : {"pct", "random"}) {
    RunOutput split = RavelRun({"--strategy", strategy, "--seed", "5"}, {GuestPath("lock_pairs"), "pairs", "4", "300"});
    RunOutput shared = RavelRun({"--strategy", strategy, "--seed", "5", "--no-cpu-split"}, {GuestPath("lock_pairs"), "pairs", "4", "300"});
    Summary a = Parse(split.err), b = Parse(shared.err);
    ASSERT_FALSE(a.fingerprint.empty()) << split.err;
    EXPECT_EQ(a.fingerprint, b.fingerprint) << strategy;
    EXPECT_EQ(a.steps, b.steps) << strategy;
    EXPECT_EQ(split.out, shared.out) << strategy;
    EXPECT_EQ(split.exit_code, shared.exit_code) << strategy;
  }
}

TEST(Run, TheWatchdogMovesTheBatonOffACallBlockedInTheKernel) {
  // open() of a FIFO blocks until the other end is opened: not modelled, so the thread
  // holding the baton blocks in the kernel until the watchdog hands the baton on.
  for (int seed = 1; seed <= 3; ++seed) {
    RunOutput out = RavelRun({"--strategy", "random", "--seed", std::to_string(seed)}, {GuestPath("waits"), "fifo"});
    EXPECT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out, "fifo: met the writer\n");
  }
}

TEST(Run, JobControlStopsAndContinues) {
  // The child stops itself; the parent sees the stop (WUNTRACED), continues it, reaps it.
  for (int seed = 1; seed <= 5; ++seed) {
    RunOutput out = RavelRun({"--strategy", "random", "--seed", std::to_string(seed)}, {GuestPath("jobcontrol")});
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out, "stopped by 19\nexited 5\n");
  }
}

TEST(Run, RandomDevicesAreSeeded) {
  RunOutput a = RavelRun({"--seed", "5"}, {GuestPath("waits"), "urandom"});
  RunOutput b = RavelRun({"--seed", "5"}, {GuestPath("waits"), "urandom"});
  RunOutput c = RavelRun({"--seed", "6"}, {GuestPath("waits"), "urandom"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(absl::StrContains(a.out, "/dev/urandom ")) << a.out;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  // Two devices, two different streams of bytes.
  std::vector<std::string> lines = absl::StrSplit(a.out, '\n');
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines[0].substr(lines[0].find(' ')), lines[1].substr(lines[1].find(' ')));
}

TEST(Run, TimeoutEndsASpinningGuest) {
  RunOutput out = RavelRun({"--timeout", "1"}, {GuestPath("spin")});
  EXPECT_EQ(out.exit_code, 4) << out.err;
  EXPECT_EQ(Parse(out.err).outcome, "timeout") << out.err;
}

TEST(Replay, TimeoutLimitsAReplayWhoseScheduleRecordsNone) {
  // 60,000 steps: far longer than the limit on any machine, short to record.
  const std::string sched = TempPath("loop.sched");
  RunOutput recorded = RavelRun({"--record", sched}, {GuestPath("syscall_loop"), "20000", "1", "q", "thread"});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  RunOutput replayed = RunCommand({RavelBinary(), "replay", "--timeout", "0.05", sched});
  EXPECT_EQ(replayed.exit_code, 5) << replayed.err;
  EXPECT_TRUE(absl::StrContains(replayed.err, "now the run ended (timeout)")) << replayed.err;
  RunOutput refused = RunCommand({RavelBinary(), "replay", "--timeout", "-1", sched});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "--timeout: expected seconds >= 0")) << refused.err;
}

TEST(Run, ExitStatusAndSignalsPassThrough) {
  RunOutput out = RavelRun({}, {"sh", "-c", "exit 7"});
  EXPECT_EQ(out.exit_code, 7);
  EXPECT_EQ(Parse(out.err).outcome, "fail(exit 7)") << out.err;
  out = RavelRun({}, {"sh", "-c", "kill -SEGV $$"});
  EXPECT_EQ(out.exit_code, 139);
  EXPECT_EQ(Parse(out.err).outcome, "fail(signal SIGSEGV)") << out.err;
}

TEST(Run, JsonSummary) {
  std::string path = TempPath("run.json");
  RunOutput out = RavelRun({"--json", path, "--seed", "3"}, {GuestPath("threads")});
  EXPECT_EQ(out.exit_code, 0);
  std::string json = ReadFile(path);
  Summary s = Parse(out.err);
  EXPECT_TRUE(absl::StrContains(json, "\"outcome\": \"pass\"")) << json;
  EXPECT_TRUE(absl::StrContains(json, absl::StrCat("\"fingerprint\": \"", s.fingerprint, "\""))) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"seed\": 3")) << json;
}

TEST(Run, GuestOutputAndPipelinesWork) {
  RunOutput out = RavelRun({}, {"sh", "-c", "ls / | wc -l"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_GT(std::stoi(out.out), 3);
}

TEST(RunBadInput, UnknownStrategyListsValidNames) {
  RunOutput out = RavelRun({"--strategy", "fifo"}, {"true"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(out.err, "pct")) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "random")) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "rr")) << out.err;
}

TEST(RunBadInput, BadNumbers) {
  for (std::vector<std::string> options : std::vector<std::vector<std::string>>{
           {"--pct-depth", "0"}, {"--seed", "-1"}, {"--seed", "12x"}, {"--timeout", "-3"}}) {
    RunOutput out = RavelRun(options, {"true"});
    EXPECT_EQ(out.exit_code, 2) << options[0] << " " << options[1] << ": " << out.err;
  }
}

}  // namespace
}  // namespace ravel::testing

namespace ravel::testing {
namespace {

TEST(RunInterrupt, SigtermKillsTheScheduledGuest) {
  RunOptions options;
  options.while_running = [](pid_t ravel) {
    ASSERT_TRUE(WaitForChild(ravel, 20000));
    usleep(100000);
    kill(ravel, SIGTERM);
  };
  RunOutput out = RunCommand({RavelBinary(), "run", "--", "sh", "-c",
                              GuestPath("spin") + " & " + GuestPath("spin")},
                             options);
  EXPECT_EQ(out.exit_code, 143) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "interrupted by SIGTERM")) << out.err;
}

}  // namespace
}  // namespace ravel::testing
