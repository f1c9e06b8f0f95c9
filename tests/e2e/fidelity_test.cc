// Fidelity on programs like real ones: no false failures from time chaos, no starvation by
// endless threads, one outcome per seed when a thread dies holding a lock, and no signal
// ever reaching a process ravel did not start.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "base/proc.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "intercept/guest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

std::string Corpus(const std::string& name) { return absl::StrCat(CORPUS_DIR, "/", name); }

// Time chaos (on by default) must not fire hang guards in correct programs: a 30 s join
// timeout, a 2-minute watchdog timer, a 2 s barrier timeout. Before the horizon, every
// seed of each failed.
class HangGuards : public ::testing::TestWithParam<const char*> {};

TEST_P(HangGuards, DoNotFireUnderTimeChaos) {
  const std::string json = TempPath(absl::StrCat("guards-", GetParam(), ".json"));
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "150", "--keep-going", "--json", json, "--artifacts",
                              TempPath("a"), "--", GuestPath("hang_guards"), GetParam()});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out.err;
  EXPECT_EQ(doc["reports"][0]["failed"], 0) << doc.dump();
  EXPECT_EQ(doc["reports"][0]["passed"], 150) << doc.dump();
}

INSTANTIATE_TEST_SUITE_P(Fidelity, HangGuards, ::testing::Values("join", "watchdog", "barrier"));

// Time chaos still finds the sleep-ordering bug, within its usual budget.
TEST(Fidelity, TimeChaosStillFindsTheSleepOrderingBug) {
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "200", "--artifacts", TempPath("a"), "--",
                              Corpus("sleep_ordering")});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "FAILURE fail(exit 1)")) << out.err;
}

// Endless daemon threads: main finishes under every strategy (fairness).
class DaemonThreads : public ::testing::TestWithParam<const char*> {};

TEST_P(DaemonThreads, MainFinishes) {
  for (const char* seed : {"1", "2", "3"}) {
    RunOutput out = RunCommand({RavelBinary(), "run", "--strategy", GetParam(), "--seed", seed, "--timeout", "60", "--",
                                GuestPath("daemon_threads")});
    EXPECT_EQ(out.exit_code, 0) << "seed " << seed << ": " << out.err;
    EXPECT_EQ(out.out, "every daemon ran\n") << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Fidelity, DaemonThreads, ::testing::Values("pct", "random", "rr"));

// alarm, setitimer and sigtimedwait on the virtual clock, pause and sigsuspend waiting in
// the scheduler: the same output as natively, for every strategy.
class Timers : public ::testing::TestWithParam<const char*> {};

TEST_P(Timers, BehaveAsNatively) {
  RunOutput native = RunCommand({GuestPath("timers"), GetParam()});
  ASSERT_EQ(native.exit_code, 0) << native.out << native.err;
  for (const char* strategy : {"pct", "random", "rr"}) {
    for (const char* seed : {"1", "2"}) {
      RunOutput out = RunCommand({RavelBinary(), "run", "--strategy", strategy, "--seed", seed, "--timeout", "60", "--",
                                  GuestPath("timers"), GetParam()});
      EXPECT_EQ(out.exit_code, 0) << strategy << " seed " << seed << ": " << out.err;
      EXPECT_EQ(out.out, native.out) << strategy << " seed " << seed << ": " << out.err;
      EXPECT_FALSE(absl::StrContains(out.err, "not modelled")) << out.err;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fidelity, Timers,
                         ::testing::Values("alarm", "itimer", "sigwait", "posix", "posix_thread", "posix_tid",
                                           "posix_overrun"));

// RDTSC/RDTSCP: where the machine traps them, the guest reads a virtual TSC (one tick per
// virtual ns), the same in every run of a seed, and the schedule says so; a replay of such
// a schedule on a machine that cannot trap is refused in one line. Where it cannot, runs
// record "tsc host".
TEST(Fidelity, TheTscIsVirtualWhereRdtscTraps) {
  const std::string sched = TempPath("tsc.sched");
  RunOutput first = RunCommand({RavelBinary(), "run", "--seed", "5", "--record", sched, "--", GuestPath("rdtsc")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string recorded = ReadFile(sched);
  if (!Guest::HasRdtscInterception()) {
    EXPECT_TRUE(absl::StrContains(recorded, "option tsc host\n")) << recorded;
    // A schedule recorded where RDTSC traps cannot be replayed here.
    const std::string virtual_sched = TempPath("tsc-virtual.sched");
    const size_t at = recorded.find("option tsc host\n");
    ASSERT_NE(at, std::string::npos);
    recorded.replace(at, std::string("option tsc host\n").size(), "option tsc virtual\n");
    std::ofstream(virtual_sched) << recorded;
    RunOutput replay = RunCommand({RavelBinary(), "replay", virtual_sched});
    EXPECT_EQ(replay.exit_code, 2) << replay.err;
    EXPECT_TRUE(absl::StrContains(replay.err, "recorded with a virtual TSC (RDTSC trapped), but this machine cannot "
                                              "trap RDTSC"))
        << replay.err;
    GTEST_SKIP() << "this machine cannot trap RDTSC (PR_SET_TSC has no effect): the host's TSC is read; the "
                    "refusal to replay a virtual-TSC schedule was checked";
  }
  EXPECT_TRUE(absl::StrContains(recorded, "option tsc virtual\n")) << recorded;
  // Three reads, increasing, one step quantum (1000 ticks) apart, and the same every run.
  std::smatch m;
  const std::string line = first.out;
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(^(\d+) (\d+) (\d+) aux \d+\n$)"))) << line;
  const uint64_t a = std::stoull(m[1]), b = std::stoull(m[2]), c = std::stoull(m[3]);
  EXPECT_EQ(b - a, 1000u);
  EXPECT_EQ(c - b, 1000u);
  for (int i = 0; i < 3; ++i) {
    RunOutput again = RunCommand({RavelBinary(), "run", "--seed", "5", "--", GuestPath("rdtsc")});
    EXPECT_EQ(again.out, first.out) << again.err;
  }
  RunOutput replay = RunCommand({RavelBinary(), "replay", sched});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(replay.out, first.out);
  EXPECT_TRUE(absl::StrContains(replay.err, "reproduced pass")) << replay.err;
}

// A wait on a pipe or eventfd that only the guest itself holds is a wait for another guest
// thread: when every thread is blocked, the run is a deadlock, reported at once, not a
// wait for "external input" until --timeout. A pipe fed from outside stays external.
class InternalFdDeadlock : public ::testing::TestWithParam<const char*> {};

TEST_P(InternalFdDeadlock, IsReportedAtOnce) {
  RunOutput out =
      RunCommand({RavelBinary(), "run", "--timeout", "120", "--", GuestPath("fd_deadlock"), GetParam()});
  EXPECT_EQ(out.exit_code, 3) << out.err;
  // The report names what the fd is.
  const std::string kind = std::string(GetParam()) == "pipe"      ? R"(pipe:\[\d+\])"
                           : std::string(GetParam()) == "eventfd" ? R"(anon_inode:\[eventfd\])"
                                                                  : R"(anon_inode:\[eventpoll\])";
  EXPECT_TRUE(std::regex_search(out.err, std::regex(absl::StrCat(R"(T1 \(tid \d+\) waits on fd \d+ \()", kind, R"(\))"))))
      << out.err;
  EXPECT_FALSE(absl::StrContains(out.err, "external-input")) << out.err;
}

INSTANTIATE_TEST_SUITE_P(Fidelity, InternalFdDeadlock, ::testing::Values("pipe", "eventfd", "epoll"));

TEST(Fidelity, APipeFedFromOutsideIsWaitedFor) {
  // The shell holds the pipe's write end while it sleeps: input may still come.
  RunOutput out = RunCommand({"/bin/sh", "-c",
                              absl::StrCat("(sleep 1; echo hello) | ", RavelBinary(), " run --timeout 120 -- ",
                                           GuestPath("fd_deadlock"), " stdin")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "read hello\njoined\n") << out.err;
}

// What programs do with the TSC (tests/guests/tsc_uses.c): read it in threads, spin on a
// delta, seed a PRNG from it. Where RDTSC traps, each read after the first thread is a
// point ("rdtsc" steps in the schedule), one seed gives one output in every run, a replay
// reproduces it, and RDTSCP's TSC_AUX names the CPU getcpu names.
class TscUses : public ::testing::TestWithParam<const char*> {};

TEST_P(TscUses, OneSeedOneOutput) {
  if (!Guest::HasRdtscInterception()) {
    GTEST_SKIP() << "this machine cannot trap RDTSC (PR_SET_TSC has no effect): the guest reads the host's "
                    "counter (Fidelity.TheTscIsVirtualWhereRdtscTraps checks what holds then)";
  }
  const std::string sched = TempPath(absl::StrCat("tsc-", GetParam(), ".sched"));
  RunOutput first =
      RunCommand({RavelBinary(), "run", "--seed", "5", "--record", sched, "--", GuestPath("tsc_uses"), GetParam()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(std::regex_search(first.err, std::regex(R"( rdtsc=[1-9]\d*\n)"))) << first.err;
  for (int i = 0; i < 19; ++i) {
    RunOutput again = RunCommand({RavelBinary(), "run", "--seed", "5", "--", GuestPath("tsc_uses"), GetParam()});
    ASSERT_EQ(again.out, first.out) << "run " << i + 2 << " of seed 5 differs\n" << again.err;
  }
  EXPECT_TRUE(std::regex_search(ReadFile(sched), std::regex(R"(\d:rdtsc)"))) << ReadFile(sched);
  RunOutput replay = RunCommand({RavelBinary(), "replay", sched});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(replay.out, first.out);
  if (std::string(GetParam()) == "threads") {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(first.out, m, std::regex(R"(tsc_aux cpu (\d+) node (\d+), getcpu cpu (\d+) node (\d+))")))
        << first.out;
    EXPECT_EQ(m[1], m[3]) << first.out;
    EXPECT_EQ(m[2], m[4]) << first.out;
    // Main's read comes before or after the worker's, never between its two.
    std::smatch w, mm;
    ASSERT_TRUE(std::regex_search(first.out, w, std::regex(R"(worker (\d+) (\d+))"))) << first.out;
    ASSERT_TRUE(std::regex_search(first.out, mm, std::regex(R"(main (\d+))"))) << first.out;
    EXPECT_LT(std::stoull(w[1]), std::stoull(w[2]));
    EXPECT_TRUE(std::stoull(mm[1]) < std::stoull(w[1]) || std::stoull(mm[1]) > std::stoull(w[2])) << first.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Fidelity, TscUses, ::testing::Values("threads", "spin", "seed"));

// A thread parked at an RDTSC point while 64 others are created and joined: the
// scheduler's tables grow meanwhile, and the counter it reads never goes back.
TEST(Fidelity, AThreadParkedAtRdtscWhileThreadsComeAndGo) {
  if (!Guest::HasRdtscInterception()) {
    GTEST_SKIP() << "this machine cannot trap RDTSC: no RDTSC points";
  }
  for (const char* seed : {"1", "2", "3", "4"}) {
    RunOutput out =
        RunCommand({RavelBinary(), "run", "--strategy", "random", "--seed", seed, "--", GuestPath("tsc_uses"), "crowd"});
    EXPECT_EQ(out.exit_code, 0) << "seed " << seed << ": " << out.err;
    EXPECT_EQ(out.out, "reader: 0 decreases\n") << "seed " << seed;
  }
}

// Threads seen spinning are no preemption target while a thread that makes points can
// run: two threads spin on a flag main sets after 30 atomic points. The old scheduler
// switched to a spinner at main's points and paid a 0.2 s slice each time (60-75
// liveness preemptions, about 20 s); now the spinners wait for main to finish (2).
TEST(Fidelity, SpinnersAreNoPreemptionTargetWhileAWorkerMakesPoints) {
  for (const char* strategy : {"random", "rr", "surw"}) {
    for (const char* seed : {"1", "2"}) {
      RunOutput out = RunCommand({RavelBinary(), "run", "--strategy", strategy, "--seed", seed, "--timeout", "120", "--",
                                  GuestPath("spin_on_worker")});
      ASSERT_EQ(out.exit_code, 0) << strategy << " " << seed << ": " << out.err;
      EXPECT_EQ(out.out, "30\n");
      std::smatch m;
      const int preemptions =
          std::regex_search(out.err, m, std::regex("(\\d+) liveness preemptions?")) ? std::stoi(m[1]) : 0;
      EXPECT_LE(preemptions, 6) << strategy << " " << seed << ": " << out.err;
    }
  }
}

// A thread that gets the tid of a thread reaped before it (the kernel reuses tids; GLib's
// threadtests makes thousands of threads, and on a machine with pid_max 32768 the 4000th
// got an old tid): the scheduler must take it for the new thread it is, so that its exit
// wakes its joiner. The old build took it for the reaped one and reported a deadlock.
TEST(Fidelity, AThreadWithAReusedTidIsANewThread) {
  RunOutput native = RunCommand({GuestPath("tid_reuse")});
  if (native.out.rfind("skip: ", 0) == 0) GTEST_SKIP() << "cannot steer tids here: " << native.out;
  for (const char* strategy : {"pct", "random"}) {
    RunOutput out = RunCommand({RavelBinary(), "run", "--strategy", strategy, "--timeout", "60", "--", GuestPath("tid_reuse")});
    EXPECT_EQ(out.exit_code, 0) << strategy << ": " << out.err;
    EXPECT_TRUE(out.out == "reused\n" || out.out == "not reused\n") << out.out;
    if (out.out != "reused\n") std::printf("note: no tid was reused under %s (another process took it)\n", strategy);
  }
}

// The issue's program under --virtual-cpu where CPUID faults too: "rdrand 0", the same
// output every run.
TEST(Fidelity, TheTscProgramSeesNoRdrandUnderAVirtualCpu) {
  if (!Guest::HasRdtscInterception() || !Guest::HasCpuidInterception()) {
    GTEST_SKIP() << "this machine cannot trap both RDTSC and CPUID (RDTSC traps: "
                 << Guest::HasRdtscInterception() << ", CPUID faults: " << Guest::HasCpuidInterception() << ")";
  }
  RunOutput first =
      RunCommand({RavelBinary(), "run", "--virtual-cpu", "--seed", "2", "--", GuestPath("tsc_uses"), "threads"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(absl::StartsWith(first.out, "rdrand 0\n")) << first.out;
  for (int i = 0; i < 4; ++i) {
    RunOutput again =
        RunCommand({RavelBinary(), "run", "--virtual-cpu", "--seed", "2", "--", GuestPath("tsc_uses"), "threads"});
    EXPECT_EQ(again.out, first.out) << again.err;
  }
}

// A TSC-timing bug: main waits "enough cycles" for a worker instead of joining it. PCT finds
// the order where the worker had not finished, and its schedule fails again on every replay.
TEST(Fidelity, ATscTimingBugIsFoundByPctAndReplayed) {
  if (!Guest::HasRdtscInterception()) {
    GTEST_SKIP() << "this machine cannot trap RDTSC: the wait reads the host's counter, which the schedule does "
                    "not decide";
  }
  const std::string dir = TempPath("tsc-timing");
  RunOutput found = RunCommand({RavelBinary(), "stress", "--strategy", "pct", "--runs", "100", "--jobs", "1",
                                "--artifacts", dir, "--", GuestPath("tsc_uses"), "timing"});
  ASSERT_EQ(found.exit_code, 1) << found.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(found.err, m, std::regex(R"(replay: +ravel replay (\S+\.sched))"))) << found.err;
  const std::string sched = m[1];
  EXPECT_TRUE(absl::StrContains(ReadFile(sched), "rdtsc")) << ReadFile(sched);
  for (int i = 0; i < 10; ++i) {
    RunOutput replay = RunCommand({RavelBinary(), "replay", sched});
    EXPECT_EQ(replay.exit_code, 1) << replay.err;
    EXPECT_EQ(replay.out, "the worker had not finished after 50000 cycles\n");
    EXPECT_TRUE(absl::StrContains(replay.err, "reproduced fail(exit 1)")) << replay.err;
  }
}

// CPUID with --virtual-cpu: where the kernel offers CPUID faulting, the guest reads a fixed
// model (the host's answers without hardware randomness, transactions and APIC ids),
// recorded in the schedule; a replay refuses a host that lacks a recorded feature, or that
// cannot fault. Without the flag the schedule says "host".
TEST(Fidelity, TheCpuIsAFixedModelWhereCpuidFaults) {
  const std::string plain = TempPath("cpuid-plain.sched");
  RunOutput host = RunCommand({RavelBinary(), "run", "--seed", "2", "--record", plain, "--", GuestPath("cpuid")});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  EXPECT_TRUE(absl::StrContains(ReadFile(plain), "option cpuid host\n"));
  const std::string sched = TempPath("cpuid.sched");
  RunOutput first = RunCommand(
      {RavelBinary(), "run", "--virtual-cpu", "--seed", "2", "--record", sched, "--", GuestPath("cpuid")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string recorded = ReadFile(sched);
  const std::regex option(R"(option cpuid ([^\n]*)\n)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(recorded, m, option)) << recorded;
  const std::string tampered_path = TempPath("cpuid-tampered.sched");
  if (!Guest::HasCpuidInterception()) {
    EXPECT_EQ(m[1], "host");
    EXPECT_TRUE(absl::StrContains(first.err, "--virtual-cpu: this machine offers no CPUID faulting")) << first.err;
    std::ofstream(tampered_path) << std::regex_replace(recorded, option, "option cpuid 7.0=0,ffffffff,0,0\n");
    RunOutput replay = RunCommand({RavelBinary(), "replay", tampered_path});
    EXPECT_EQ(replay.exit_code, 2) << replay.err;
    EXPECT_TRUE(absl::StrContains(replay.err, "this machine offers no CPUID faulting")) << replay.err;
    GTEST_SKIP() << "no CPUID faulting here (arch_prctl ARCH_SET_CPUID fails): CPUID runs natively; the refusal "
                    "to replay a virtual-CPU schedule was checked";
  }
  EXPECT_EQ(first.out,
            "main: rdrand 0 rdseed 0 hle 0 rtm 0 apic 0\nworker: rdrand 0 rdseed 0 hle 0 rtm 0 apic 0\n");
  EXPECT_TRUE(absl::StrContains(m[1].str(), "1.0=")) << m[1];
  RunOutput replay = RunCommand({RavelBinary(), "replay", sched});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(replay.out, first.out);
  // Stress too, and its by-seed line keeps the flag.
  RunOutput stress = RunCommand({RavelBinary(), "stress", "--virtual-cpu", "--runs", "3", "--json", TempPath("cpu.json"),
                                 "--artifacts", TempPath("cpu-a"), "--", GuestPath("cpuid")});
  EXPECT_EQ(stress.exit_code, 0) << stress.err;
  EXPECT_TRUE(std::regex_search(ReadFile(TempPath("cpu.json")), std::regex(R"("virtual_cpu": *true)")))
      << ReadFile(TempPath("cpu.json"));
  // A model with every leaf-7 EBX feature set: no CPU has them all (some are reserved).
  std::ofstream(tampered_path) << std::regex_replace(recorded, option,
                                                     absl::StrCat("option cpuid ", m[1].str(), ";7.0=0,ffffffff,0,0\n"));
  RunOutput refused = RunCommand({RavelBinary(), "replay", tampered_path});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "recorded on a CPU with features this one lacks (leaf 7.0 EBX bit"))
      << refused.err;
}

// Spin points: main waits for a plain flag in a loop with no syscall. With --preempt spin
// each pass through the loop's head is a point and a yield, so the setter runs at a step
// the seed decides: no liveness preemption (a real-time event), every run of a seed alike,
// and the recording replays.
TEST(Fidelity, SpinPointsReplaceTheLivenessPreemptionOfAFlagWait) {
  for (const char* strategy : {"pct", "random", "rr"}) {
    for (const char* arg : {"", "sleep"}) {
      std::vector<std::string> command = {RavelBinary(), "run", "--verify", "--preempt", "syscall,time,spin",
                                          "--strategy", strategy, "--seed", "3", "--", GuestPath("flag_spin")};
      if (*arg != '\0') command.push_back(arg);
      RunOutput out = RunCommand(command);
      EXPECT_EQ(out.exit_code, 0) << strategy << " " << arg << ": " << out.err;
      EXPECT_TRUE(absl::StrContains(out.err, "ravel: verified: 2 runs of seed 3")) << strategy << ": " << out.err;
      EXPECT_FALSE(absl::StrContains(out.err, "liveness preemption")) << strategy << ": " << out.err;
    }
  }
  const std::string sched = TempPath("spin.sched");
  RunOutput rec = RunCommand({RavelBinary(), "run", "--preempt", "syscall,spin", "--seed", "1", "--record", sched, "--",
                              GuestPath("flag_spin")});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_TRUE(std::regex_search(ReadFile(sched), std::regex(R"(\bT?\d*:spin\b)"))) << ReadFile(sched);
  RunOutput replay = RunCommand({RavelBinary(), "replay", sched});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_TRUE(absl::StrContains(replay.err, "reproduced pass")) << replay.err;
  // Without spin points the same wait needs a liveness preemption (what the points replace).
  RunOutput plain = RunCommand({RavelBinary(), "run", "--preempt", "syscall", "--seed", "1", "--", GuestPath("flag_spin")});
  EXPECT_TRUE(absl::StrContains(plain.err, "liveness preemption")) << plain.err;
}

// A liveness preemption of a pure spin loop (no spin points) lands where PTRACE_INTERRUPT
// happened to stop the thread; the scheduler steps it on to the loop's head first, so the
// recorded instruction and registers, and the fingerprint, are the same in every run, even
// with a CPU burner beside the runs (which made the landing place vary).
TEST(Fidelity, ALivenessPreemptionOfASpinLoopLandsAtItsHead) {
  // A thread of this process, not a child: RunCommand counts children as leftovers.
  std::atomic<bool> stop{false};
  std::thread burner([&stop] {
    volatile unsigned long spin = 0;
    while (!stop.load(std::memory_order_relaxed)) spin = spin + 1;
  });
  std::set<std::string> fingerprints, sites;
  for (int i = 0; i < 8; ++i) {
    const std::string sched = TempPath(absl::StrCat("loop-head-", i, ".sched"));
    RunOutput out = RunCommand({RavelBinary(), "run", "--preempt", "syscall", "--seed", "1", "--record", sched, "--",
                                GuestPath("flag_spin"), "pure"});
    EXPECT_EQ(out.exit_code, 0) << out.err;
    std::smatch m;
    const std::string text = ReadFile(sched);
    if (std::regex_search(text, m, std::regex(R"re(preempt "(rip=0x[0-9a-f]+ regs=[0-9a-f]+)")re"))) sites.insert(m[1]);
    if (std::regex_search(out.err, m, std::regex("fingerprint=([0-9a-f]{16})"))) fingerprints.insert(m[1]);
  }
  stop = true;
  burner.join();
  EXPECT_EQ(sites.size(), 1u) << absl::StrJoin(sites, "; ");
  EXPECT_EQ(fingerprints.size(), 1u) << absl::StrJoin(fingerprints, ", ");
}

// system(), popen() and posix_spawn() from a program with another thread running: the
// vfork child is scheduled like any process, so a seed keeps one fingerprint and its
// recording replays.
class Spawning : public ::testing::TestWithParam<const char*> {};

TEST_P(Spawning, OneFingerprintPerSeedAndReplays) {
  static const std::regex fingerprint("fingerprint=([0-9a-f]{16})");
  const std::string sched = TempPath(absl::StrCat("spawn-", GetParam(), ".sched"));
  RunOutput first = RunCommand({RavelBinary(), "run", "--seed", "3", "--record", sched, "--", GuestPath("spawn_threads"),
                                GetParam()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(first.err, m, fingerprint)) << first.err;
  const std::string want = m[1];
  for (int i = 0; i < 19; ++i) {  // with the recorded one, 20 runs
    RunOutput out = RunCommand({RavelBinary(), "run", "--seed", "3", "--", GuestPath("spawn_threads"), GetParam()});
    ASSERT_TRUE(std::regex_search(out.err, m, fingerprint)) << out.err;
    EXPECT_EQ(m[1], want) << "run " << i << ": " << out.err;
    EXPECT_EQ(out.out, first.out);
  }
  for (int i = 0; i < 10; ++i) {
    RunOutput replay = RunCommand({RavelBinary(), "replay", sched});
    EXPECT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_TRUE(absl::StrContains(replay.err, absl::StrCat("reproduced pass")) &&
                absl::StrContains(replay.err, want))
        << replay.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Fidelity, Spawning, ::testing::Values("system", "popen", "posix_spawn"));

// A client and a server over loopback TCP (server a thread, or a forked process): the
// native transcript, no call left unmodelled, and two runs of a seed step for step alike.
class LoopbackTcp : public ::testing::TestWithParam<const char*> {};

TEST_P(LoopbackTcp, TalksAsNativelyAndDeterministically) {
  RunOutput native = RunCommand({GuestPath("tcp_pair"), GetParam()});
  ASSERT_EQ(native.exit_code, 0) << native.err;
  for (const char* strategy : {"pct", "random", "rr"}) {
    RunOutput out = RunCommand({RavelBinary(), "run", "--verify", "--strategy", strategy, "--seed", "2", "--",
                                GuestPath("tcp_pair"), GetParam()});
    EXPECT_EQ(out.exit_code, 0) << strategy << ": " << out.err;
    EXPECT_EQ(out.out, native.out + native.out) << strategy;  // --verify runs it twice
    EXPECT_TRUE(absl::StrContains(out.err, "ravel: verified: 2 runs of seed 2")) << out.err;
    EXPECT_FALSE(absl::StrContains(out.err, "not modelled")) << out.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Fidelity, LoopbackTcp, ::testing::Values("thread", "fork"));

// A single-threaded program's failure is not named after the dynamic loader's calls (the
// only ones of it that stop).
TEST(Fidelity, ASingleThreadedFailureIsNotNamedAfterTheLoadersCalls) {
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "3", "--artifacts", TempPath("a"), "--", "/bin/false"});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_TRUE(absl::StrContains(out.err, "FAILURE fail(exit 1) in a single-threaded run")) << out.err;
  EXPECT_FALSE(absl::StrContains(out.err, "getrandom")) << out.err;
}

// A parent that SIGKILLs its sleeping child and waits for it: never hangs, one fingerprint.
TEST(Fidelity, ASigkilledChildEndsAtTheKillsStep) {
  static const std::regex fingerprint("fingerprint=([0-9a-f]{16})");
  std::string want;
  for (int i = 0; i < 15; ++i) {
    RunOutput out = RunCommand({RavelBinary(), "run", "--seed", "1", "--timeout", "60", "--", GuestPath("kill_wait")});
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out, "child\ndone\n");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(out.err, m, fingerprint)) << out.err;
    if (want.empty()) want = m[1];
    EXPECT_EQ(m[1], want) << "run " << i;
  }
}

// A thread that calls abort() while others wait for the lock it holds: the outcome is the
// abort, never a deadlock, and every failure's schedule replays to the same outcome.
TEST(Fidelity, AnAbortUnderALockIsOneOutcomeAndReplays) {
  const std::string artifacts = TempPath("abort");
  const std::string json = TempPath("abort.json");
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "300", "--keep-going", "--strategy", "random", "--jobs",
                              "1", "--preempt", "syscall,sync,time", "--json", json, "--artifacts", artifacts, "--",
                              GuestPath("abort_under_lock")});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_FALSE(absl::StrContains(out.err, "deadlock")) << out.err;
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out.err;
  ASSERT_GE(doc["reports"][0]["failed"].get<int>(), 1) << doc.dump();
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(artifacts)) {
    if (entry.path().extension() != ".sched") continue;
    RunOutput replay = RunCommand({RavelBinary(), "replay", entry.path().string()});
    EXPECT_EQ(replay.exit_code, 128 + SIGABRT) << replay.err;
    EXPECT_TRUE(absl::StrContains(replay.err, "ravel: reproduced fail(signal SIGABRT)")) << replay.err;
    ++replayed;
  }
  EXPECT_GE(replayed, 1);
}

// A seed's run does not depend on how loaded the machine is: the same seed, run while
// another process burns a CPU, gives one fingerprint.
TEST(Fidelity, ASeedGivesOneFingerprintOnALoadedMachine) {
  // A thread of this process, not a child: RunCommand counts children as leftovers.
  std::atomic<bool> stop{false};
  std::thread burner([&stop] {
    volatile unsigned long spin = 0;
    while (!stop.load(std::memory_order_relaxed)) spin = spin + 1;
  });
  const std::vector<std::vector<std::string>> programs = {
      {Corpus("lazy_init_race_fixed")}, {Corpus("lost_wakeup_fixed")}, {GuestPath("sleepy_workers")},
      {GuestPath("hang_guards"), "barrier"}};
  static const std::regex fingerprint("fingerprint=([0-9a-f]{16})");
  for (const auto& program : programs) {
    std::string first;
    for (int i = 0; i < 8; ++i) {
      std::vector<std::string> argv = {RavelBinary(), "run", "--seed", "5", "--"};
      argv.insert(argv.end(), program.begin(), program.end());
      RunOutput out = RunCommand(argv);
      std::smatch m;
      if (!std::regex_search(out.err, m, fingerprint)) {
        ADD_FAILURE() << out.err;  // (no ASSERT: the burner thread must be joined)
        continue;
      }
      if (first.empty()) first = m[1];
      EXPECT_EQ(m[1], first) << program[0] << " run " << i << ": " << out.err;
    }
  }
  stop = true;
  burner.join();
}

// The processes of group `pgid`, a line each: pid, parent, state, where the kernel has it
// waiting, and the command line.
std::string DescribeGroup(pid_t pgid) {
  std::string out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    const pid_t pid = static_cast<pid_t>(atoi(name.c_str()));
    if (pid <= 0) continue;
    std::optional<ProcStat> stat = ReadProcStat(pid);
    if (!stat.has_value() || stat->pgrp != pgid) continue;
    std::string cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    absl::StrAppend(&out, pid, " ppid ", stat->ppid, " ", std::string(1, stat->state), " ",
                    ReadFile(absl::StrCat("/proc/", pid, "/wchan")), " ", cmdline, "\n");
  }
  return out;
}

// Longer than any one command of the sentinel test takes on a loaded machine.
constexpr int kSentinelCaseLimitMs = 120000;

// A process group led by a sentinel, as when make, ctest or a shell leads the group ravel
// runs in: whatever ravel does to end its guests, the sentinel and a bystander in the
// group survive. Returns "" or what went wrong.
std::string RunInSentinelGroup(const std::vector<std::string>& argv, bool interrupt) {
  int report[2];
  if (pipe(report) != 0) return "pipe";
  pid_t sentinel = fork();
  if (sentinel == 0) {
    setpgid(0, 0);
    close(report[0]);
    pid_t bystander = fork();
    if (bystander == 0) {
      pause();
      _exit(0);
    }
    pid_t ravel = fork();
    if (ravel == 0) {
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    if (interrupt) {
      usleep(300000);
      kill(ravel, SIGINT);
    }
    int status = 0;
    while (waitpid(ravel, &status, 0) < 0 && errno == EINTR) {}
    // The bystander must still be there, not killed.
    int bstatus = 0;
    const bool bystander_alive = waitpid(bystander, &bstatus, WNOHANG) == 0;
    kill(bystander, SIGKILL);
    waitpid(bystander, nullptr, 0);
    char verdict = bystander_alive ? 'y' : 'n';
    ssize_t unused = write(report[1], &verdict, 1);
    (void)unused;
    _exit(0);
  }
  close(report[1]);
  // One command takes seconds; a hang is reported with the group's processes, and ended,
  // rather than left to the test's own time limit with nothing said.
  pollfd wait_for{report[0], POLLIN, 0};
  int ready = 0;
  while ((ready = poll(&wait_for, 1, kSentinelCaseLimitMs)) < 0 && errno == EINTR) {}
  if (ready == 0) {
    const std::string group = DescribeGroup(sentinel);
    kill(-sentinel, SIGKILL);  // the test's own group, led by its sentinel
    while (waitpid(sentinel, nullptr, 0) < 0 && errno == EINTR) {}
    close(report[0]);
    return absl::StrCat(absl::StrJoin(argv, " "), " did not end within ", kSentinelCaseLimitMs / 1000,
                        " s; the group's processes were:\n", group);
  }
  char verdict = 0;
  ssize_t got = read(report[0], &verdict, 1);
  close(report[0]);
  int status = 0;
  while (waitpid(sentinel, &status, 0) < 0 && errno == EINTR) {}
  if (WIFSIGNALED(status)) return absl::StrCat("the sentinel leading the group was killed by signal ", WTERMSIG(status));
  if (got != 1) return "the sentinel died before reporting";
  if (verdict != 'y') return "the bystander in the group was killed";
  return "";
}

TEST(Fidelity, SignalsReachOnlyWhatRavelStarted) {
  const std::string sched = TempPath("sentinel.sched");
  const std::string minimized = TempPath("sentinel-min.sched");
  RunOutput recorded = RunCommand({RavelBinary(), "stress", "--strategy", "random", "--runs", "100", "--jobs", "1",
                                   "--artifacts", TempPath("rec"), "--", Corpus("lazy_init_race")});
  ASSERT_EQ(recorded.exit_code, 1) << recorded.err;
  std::smatch m;
  const std::regex re("replay: +ravel replay (\\S+)");
  ASSERT_TRUE(std::regex_search(recorded.err, m, re)) << recorded.err;
  const std::string failing = m[1];
  struct Case {
    std::vector<std::string> argv;
    bool interrupt;
  };
  const std::vector<Case> cases = {
      {{RavelBinary(), "run", "--seed", "3", "--", Corpus("lazy_init_race")}, false},
      {{RavelBinary(), "stress", "--per-test", "--strategy", "random", "--runs", "20", "--artifacts", TempPath("pt"),
        "--", Corpus("gtest_flaky_sound")},
       false},
      {{RavelBinary(), "stress", "--runs", "50", "--jobs", "2", "--timeout", "30", "--artifacts", TempPath("int"), "--",
        GuestPath("spin")},
       true},
      {{RavelBinary(), "replay", failing}, false},
      {{RavelBinary(), "minimize", failing, "-o", minimized, "--max-runs", "5"}, false},
  };
  // 10 rounds each in CI; RAVEL_SENTINEL_ROUNDS=50 for the longer check.
  const char* rounds_env = getenv("RAVEL_SENTINEL_ROUNDS");
  const int rounds = rounds_env != nullptr ? atoi(rounds_env) : 10;
  for (const Case& c : cases) {
    for (int i = 0; i < rounds; ++i) {
      std::string problem = RunInSentinelGroup(c.argv, c.interrupt);
      ASSERT_EQ(problem, "") << c.argv[1] << " " << c.argv[2] << ", round " << i;
    }
  }
}

}  // namespace
}  // namespace ravel::testing
