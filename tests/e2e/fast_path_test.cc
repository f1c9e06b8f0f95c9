// The fast path for sync points (scheduler/lease.h): with it on (the default) or off
// (--no-fast-path), a run makes the same decisions, steps and recording; only the stops
// differ. Its recordings replay. Signals that land inside the shim do not break it.
#include <sched.h>

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

bool MoreThanOneCpu();

struct RecordedRun {
  RunOutput out;
  std::string schedule;  // the recording's text
  uint64_t leased = 0;   // sync points made under a lease
  uint64_t planned = 0;  // yields made under a plan (the in-guest hand-off)
  uint64_t waits = 0;    // yields after which the thread waited in the guest
  uint64_t planned_markers = 0;  // sync points made in a plan's turns
  uint64_t planned_futex = 0;    // futex calls made in a plan's turns
  uint64_t planned_resumes = 0;  // futex waits through the page resumed in a plan's turns
  uint64_t page_calls = 0;  // futex calls and yields made through the hand-off page
};

// `env`: NAME=VALUE entries for ravel and the guest.
RecordedRun RunWith(const std::vector<std::string>& options, const std::vector<std::string>& command,
                    const std::vector<std::string>& env = {}) {
  static int n = 0;
  const std::string sched = TempPath(absl::StrCat("run", ++n, ".sched"));
  const std::string json = TempPath(absl::StrCat("run", n, ".json"));
  std::vector<std::string> argv = {RavelBinary(), "run", "--record", sched, "--json", json};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  RecordedRun run;
  RunOptions run_options;
  run_options.env = env;
  run.out = RunCommand(argv, run_options);
  run.schedule = ReadFile(sched);
  nlohmann::json doc = nlohmann::json::parse(ReadFile(json), nullptr, false);
  if (doc.is_object() && doc.contains("leased_points")) run.leased = doc["leased_points"].get<uint64_t>();
  if (doc.is_object() && doc.contains("planned_points")) run.planned = doc["planned_points"].get<uint64_t>();
  if (doc.is_object() && doc.contains("planned_markers")) {
    run.planned_markers = doc["planned_markers"].get<uint64_t>();
  }
  if (doc.is_object() && doc.contains("planned_futex")) run.planned_futex = doc["planned_futex"].get<uint64_t>();
  if (doc.is_object() && doc.contains("planned_resumes")) {
    run.planned_resumes = doc["planned_resumes"].get<uint64_t>();
  }
  if (doc.is_object() && doc.contains("guest_waits")) run.waits = doc["guest_waits"].get<uint64_t>();
  if (doc.is_object() && doc.contains("page_calls")) run.page_calls = doc["page_calls"].get<uint64_t>();
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

// The shim locks glibc's plain mutexes itself, with glibc's lock word, so that their futex
// calls go through the page (sync_shim.c, "glibc's lock word"). A program sees the same
// owners, counts, error codes and condition waits as natively; a run is the same with
// the fast path on and off; and with it, nearly every futex call is made through the page
// (the rest: calls made while the scheduler was not listening, glibc's joins).
TEST(FastPath, GlibcsPlainMutexesLockedByTheShimBehaveAsNatively) {
  const std::vector<std::string> command = {GuestPath("mutex_kinds")};
  const RunOutput native = RunCommand(command);
  ASSERT_EQ(native.exit_code, 0) << native.err;
  ASSERT_TRUE(absl::StrContains(native.out, "counters 900 900")) << native.out;
  for (int seed = 1; seed <= 3; ++seed) {
    const std::string what = absl::StrCat("seed ", seed);
    RecordedRun on = RunWith({"--seed", std::to_string(seed)}, command);
    RecordedRun off = RunWith({"--seed", std::to_string(seed), "--no-fast-path"}, command);
    EXPECT_EQ(on.out.exit_code, 0) << what << ": " << on.out.err;
    EXPECT_EQ(on.out.out, native.out) << what;
    EXPECT_EQ(off.out.out, native.out) << what;
    EXPECT_EQ(on.schedule, off.schedule) << what;
    if (!MoreThanOneCpu()) continue;
    RunOutput logged = RunCommand({RavelBinary(), "-v", "run", "--seed", std::to_string(seed), "--", command[0]});
    int through_page = 0, stopped = 0;
    for (absl::string_view line : absl::StrSplit(logged.err, '\n')) {
      if (absl::StrContains(line, " futex (through the page)")) {
        ++through_page;
      } else if (absl::StrContains(line, " futex [")) {
        ++stopped;
      }
    }
    EXPECT_GT(through_page, 1000) << what;
    // (About 10 stop on an idle machine; a loaded one stops more, as the tracer, descheduled,
    // waits in the kernel with the door closed: up to 1 in 10 seen under a parallel build.)
    EXPECT_LT(stopped * 4, through_page) << what << ": " << stopped << " futex calls stopped";
  }
}

// The shim read- and write-locks glibc's default rwlocks itself, with glibc's protocol, so
// that their futex calls go through the page (sync_shim.c, "glibc's read-write lock"). A
// program sees the same as natively; a run makes the same steps, decisions and
// fingerprint as with glibc's own code (RAVEL_SYNC_GLIBC_LOCKS=1: the same environment's
// size, so the same addresses), and the same with the fast path on and off; with it, the
// futex calls are made through the page or in a plan's turns. (A recording names no
// environment.)
TEST(FastPath, GlibcsRwlocksLockedByTheShimMakeGlibcsSteps) {
  const std::vector<std::string> command = {GuestPath("rwlocks"), "6", "200"};
  const RunOutput native = RunCommand(command);
  ASSERT_EQ(native.exit_code, 0) << native.err;
  ASSERT_TRUE(absl::StrContains(native.out, "rwlocks ok 400\n")) << native.out;
  for (int seed = 1; seed <= 3; ++seed) {
    for (const char* preempt : {"syscall,sync,atomic,time", "syscall,sync,time"}) {
      const std::string what = absl::StrCat("seed ", seed, ", --preempt ", preempt);
      const std::vector<std::string> flags = {"--seed", std::to_string(seed), "--preempt", preempt};
      RecordedRun own = RunWith(flags, command, {"RAVEL_SYNC_GLIBC_LOCKS=0"});
      RecordedRun glibc = RunWith(flags, command, {"RAVEL_SYNC_GLIBC_LOCKS=1"});
      std::vector<std::string> off_flags = flags;
      off_flags.push_back("--no-fast-path");
      RecordedRun off = RunWith(off_flags, command, {"RAVEL_SYNC_GLIBC_LOCKS=0"});
      EXPECT_EQ(own.out.exit_code, 0) << what << ": " << own.out.err;
      EXPECT_EQ(own.out.out, native.out) << what;
      EXPECT_EQ(glibc.out.out, native.out) << what;
      EXPECT_EQ(own.schedule, glibc.schedule) << what;
      EXPECT_EQ(own.schedule, off.schedule) << what;
      EXPECT_GT(own.page_calls + own.planned_futex, glibc.page_calls + glibc.planned_futex) << what;
    }
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

// ---- The in-guest hand-off (scheduler/handoff.h) ----

// Whether ravel polls for stops here (and so listens for calls through the page).
bool MoreThanOneCpu() {
  cpu_set_t cpus;
  return sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 1;
}

std::vector<std::string> Turns(const std::string& mode, int threads, int n) {
  return {GuestPath("yield_turns"), mode, std::to_string(threads), std::to_string(n)};
}

// Yields hand the CPU on in the guest, most of them without a stop, and the run is the
// one without the fast path: the same schedule file byte for byte, output (a hash of the
// order in which the threads took their turns) and status. Also across a fork whose child
// (no exec) starts threads of its own, an exec by another thread, a posix_spawn (a vfork),
// an abort() while others wait in the guest, and a guest that blocks every signal and
// handles SIGSYS. With locks held across the yields: futex locks as GLib's GMutex makes
// them, and recursive pthread mutexes (their markers and glibc's futex calls).
TEST(HandOff, TheSameRunWithAndWithoutIt) {
  struct Case {
    std::string mode;
    int threads;
    int exit_code;
  };
  const std::vector<Case> cases = {{"turns", 2, 0}, {"turns", 5, 0},   {"fork", 3, 0},  {"exec", 3, 0},
                                   {"spawn", 3, 0}, {"abort", 3, 134}, {"sigsys", 3, 0}, {"locks", 3, 0},
                                   {"locks", 6, 0}, {"errno", 3, 0},   {"mutexes", 3, 0}, {"mutexes", 6, 0},
                                   {"own", 3, 0},   {"own", 6, 0}};
  uint64_t planned = 0;
  int64_t yields = 0;
  uint64_t page_calls = 0;
  for (const Case& c : cases) {
    for (const std::string strategy : {"pct", "random", "rr"}) {
      for (int seed = 1; seed <= 2; ++seed) {
        std::vector<std::string> options = {"--strategy", strategy, "--seed", std::to_string(seed)};
        RecordedRun on = RunWith(options, Turns(c.mode, c.threads, 60));
        options.push_back("--no-fast-path");
        RecordedRun off = RunWith(options, Turns(c.mode, c.threads, 60));
        const std::string what = absl::StrCat(c.mode, " ", c.threads, " ", strategy, " seed ", seed);
        EXPECT_EQ(on.out.exit_code, c.exit_code) << what << ": " << on.out.err;
        EXPECT_EQ(on.out.exit_code, off.out.exit_code) << what << ": " << on.out.err << off.out.err;
        EXPECT_EQ(on.out.out, off.out.out) << what;
        EXPECT_EQ(on.schedule, off.schedule) << what;
        EXPECT_EQ(off.planned, 0u) << what;
        EXPECT_EQ(off.waits, 0u) << what;
        EXPECT_EQ(off.page_calls, 0u) << what;
        EXPECT_GT(on.waits, 0u) << what;
        EXPECT_FALSE(absl::StrContains(on.out.err, "plan")) << what << ": " << on.out.err;
        EXPECT_FALSE(absl::StrContains(on.out.err, "ran past")) << what << ": " << on.out.err;
        if (strategy != "pct") {
          EXPECT_EQ(on.planned_markers, 0u) << what;  // (only PCT promises its picks)
        }
        if (c.mode == "locks" || c.mode == "mutexes") {
          page_calls += on.page_calls;
        } else {
          planned += on.planned;
          yields += StepCount(on.schedule, "24");
        }
      }
    }
  }
  // Most yields were made without a stop.
  EXPECT_GT(planned * 2, static_cast<uint64_t>(yields)) << planned << " of " << yields;
  // Futex calls and yields went through the page. (Which ones depends on when the tracer
  // listens, and it listens only while it polls, which it does not on a single CPU.)
  if (MoreThanOneCpu()) {
    EXPECT_GT(page_calls, 0u);
  }
}

// A plan goes out with its first turns simulated and is extended while the guest runs them
// (OnIdle), after the scheduler has accounted for the turns made so far: by then a thread
// that had a turn waits on its word again, whatever the scheduler's accounting says of it
// now (the thread running its turn). Two threads that only yield: nearly every yield is
// made under a plan. Before the extension counted with that, each plan ended at the first
// pick of the running thread, one yield in ten made at a stop or through the page.
TEST(HandOff, PlansGrowWhileTheGuestRunsThem) {
  if (!MoreThanOneCpu()) GTEST_SKIP() << "the tracer extends plans only while it polls, which it does not on one CPU";
  for (const std::string strategy : {"pct", "rr"}) {
    RecordedRun on = RunWith({"--strategy", strategy, "--seed", "1"}, Turns("turns", 2, 3000));
    ASSERT_EQ(on.out.exit_code, 0) << strategy << ": " << on.out.err;
    const int64_t yields = StepCount(on.schedule, "24");
    ASSERT_GT(yields, 5000) << strategy;
    // (Generous: a loaded machine may let the guest outrun a plan now and then.)
    EXPECT_LT((static_cast<uint64_t>(yields) - on.planned) * 50, static_cast<uint64_t>(yields))
        << strategy << ": " << on.planned << " of " << yields << " yields planned";
  }
}

// The shim's futex calls on its page carry a magic that lets them past the seccomp filter.
// It must not stay in r8 or r9 when the shim returns: glibc's lock code makes its own futex
// calls with four arguments, so a lock's wake right after a yield would carry the magic to
// the kernel, past ravel, and its waiter (parked by ravel) would wait for ever. The guest's
// `rawlocks` makes its futex calls as glibc does, right after each yield; the run must be
// the one without the fast path, with no call that went to the kernel on its own.
TEST(HandOff, NoMagicIsLeftForTheGuestsOwnCalls) {
  for (int seed = 1; seed <= 3; ++seed) {
    std::vector<std::string> options = {"--seed", std::to_string(seed)};
    RecordedRun on = RunWith(options, Turns("rawlocks", 3, 1000));
    options.push_back("--no-fast-path");
    RecordedRun off = RunWith(options, Turns("rawlocks", 3, 1000));
    const std::string what = absl::StrCat("seed ", seed);
    EXPECT_EQ(on.out.exit_code, 0) << what << ": " << on.out.err;
    EXPECT_EQ(on.out.out, off.out.out) << what;
    EXPECT_EQ(on.schedule, off.schedule) << what;
    EXPECT_FALSE(absl::StrContains(on.out.err, "blocked-in-kernel")) << what << ": " << on.out.err;
    EXPECT_GT(on.waits, 0u) << what;
  }
}

// The shim's own syscall() (through which a program's futex calls reach the page) answers
// as glibc's: the value, or -1 with errno.
TEST(HandOff, SyscallAnswersAsNatively) {
  const std::vector<std::string> command = Turns("errno", 3, 200);
  const RunOutput native = RunCommand(command);
  ASSERT_EQ(native.exit_code, 0) << native.err;
  const std::string checks = native.out.substr(0, native.out.find("sum "));
  ASSERT_TRUE(absl::StrContains(checks, "close(-1) -1 errno 9\n")) << native.out;
  uint64_t page_calls = 0;
  for (int seed = 1; seed <= 5; ++seed) {
    RecordedRun on = RunWith({"--seed", std::to_string(seed)}, command);
    EXPECT_EQ(on.out.exit_code, 0) << on.out.err;
    EXPECT_TRUE(absl::StartsWith(on.out.out, checks)) << "seed " << seed << ": " << on.out.out;
    page_calls += on.page_calls;
  }
  // (Which calls go through the page depends on when the tracer listens.)
  if (MoreThanOneCpu()) {
    EXPECT_GT(page_calls, 0u);
  }
}

// A recording made with the hand-off replays.
TEST(HandOff, ARecordingMadeWithItReplays) {
  for (const std::string mode : {"turns", "locks", "mutexes"}) {
    RecordedRun on = RunWith({"--seed", "4"}, Turns(mode, 4, 300));
    ASSERT_EQ(on.out.exit_code, 0) << on.out.err;
    if (mode == "turns") {
      ASSERT_GT(on.planned, 0u);
    }
    const std::string sched = TempPath(absl::StrCat(mode, ".sched"));
    {
      std::vector<std::string> argv = {RavelBinary(), "run", "--seed", "4", "--record", sched, "--"};
      for (const std::string& arg : Turns(mode, 4, 300)) argv.push_back(arg);
      ASSERT_EQ(RunCommand(argv).exit_code, 0);
    }
    RunOutput replay = RunCommand({RavelBinary(), "replay", sched});
    EXPECT_EQ(replay.exit_code, 0) << mode << ": " << replay.err;
    EXPECT_TRUE(absl::StrContains(replay.err, "reproduced")) << mode << ": " << replay.err;
    EXPECT_EQ(replay.out, on.out.out) << mode;
  }
}

// SIGPROF (the kernel's CPU-time timer) lands on any thread, one waiting for its turn in
// the guest too: it then waits for the baton at the signal's stop, takes the signal once
// it has it, and goes on. Every yield the program made is a step of the recording (none
// lost, none made twice), no two threads ever ran at once (the unlocked sums add up), and
// no plan is broken.
// The same with locks (lockprof): a thread waiting for a lock waits in the guest with
// every signal blocked, and one waiting for its turn after a wake or a yield made through
// the page takes the signal once the rest of its call is done.
// And with recursive pthread mutexes (mutexprof): a thread waiting for its turn after a
// marker made through the page takes the signal there, and makes its lock call after it.
TEST(HandOff, SignalsToWaitingThreadsBreakNothing) {
  for (int seed = 1; seed <= 15; ++seed) {
    const bool locks = (seed > 3 && seed <= 9) || seed > 12;
    const std::string mode = seed <= 3    ? "prof"
                             : seed <= 6  ? "lockprof"
                             : seed <= 9  ? "mutexprof"
                             : seed <= 12 ? "ownprof"
                                          : "wakeprof";
    // ownprof: the signals land in the middle of markers logged in a plan's turn (PCT
    // without change points, so that the plans allow them from the start). wakeprof: on
    // threads that wait for a lock in a plan's turn, with every signal blocked (and its
    // own lock words are no points, so that plans are made).
    std::vector<std::string> options = {"--seed", std::to_string(seed)};
    if (mode == "ownprof" || mode == "wakeprof") options.insert(options.end(), {"--pct-depth", "1"});
    if (mode == "wakeprof") options.insert(options.end(), {"--preempt", "syscall,sync,time"});
    RecordedRun on = RunWith(options, Turns(mode, 3, 1000000));
    const std::string what = absl::StrCat("seed ", seed, " ", mode);
    EXPECT_EQ(on.out.exit_code, 0) << what << ": " << on.out.err;
    EXPECT_TRUE(absl::StartsWith(on.out.out, "sum ok signals yes turns ")) << what << ": " << on.out.out;
    int64_t turns = 0;
    ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(on.out.out.substr(on.out.out.rfind(' ') + 1)), &turns))
        << on.out.out;
    EXPECT_EQ(StepCount(on.schedule, "24"), turns) << what;
    if (!locks) {
      EXPECT_GT(on.planned, 0u) << what;
    } else if (MoreThanOneCpu()) {
      EXPECT_GT(on.page_calls, 0u) << what;
    }
    if (mode == "ownprof") {
      EXPECT_GT(on.planned_markers, 0u) << what;
    }
    if (mode == "wakeprof") {
      EXPECT_GT(on.planned_futex, 0u) << what;
    }
    EXPECT_FALSE(absl::StrContains(on.out.err, "plan")) << what << ": " << on.out.err;
    EXPECT_FALSE(absl::StrContains(on.out.err, "ran past")) << what << ": " << on.out.err;
    // The baton never waits for a thread that cannot run: no watchdog. (A signal's stop
    // between a planned yield's swap and its wake of the next thread held the only thread
    // that could wake it, as a stop before a hand-on asked of a caller would: the
    // scheduler finishes or takes back the hand-on there.)
    EXPECT_FALSE(absl::StrContains(on.out.err, "blocked-in-kernel")) << what << ": " << on.out.err;
  }
}

// A call through the page that parks its caller and gives the CPU to another thread of the
// process: the caller, still awake for its answer, is asked to let that thread go itself
// (sync_marker.h, "Hand-ons by the caller"), which the -v log shows. Runs and recordings
// are those without the fast path.
TEST(HandOff, CallersLetTheNextThreadGoThemselves) {
  int asked = 0;
  for (const std::string mode : {"locks", "mutexes"}) {
    const std::vector<std::string> command = Turns(mode, 4, 1000);
    RecordedRun on = RunWith({"--seed", "1"}, command);
    RecordedRun off = RunWith({"--seed", "1", "--no-fast-path"}, command);
    EXPECT_EQ(on.out.exit_code, 0) << mode << ": " << on.out.err;
    EXPECT_EQ(on.out.out, off.out.out) << mode;
    EXPECT_EQ(on.schedule, off.schedule) << mode;
    if (!MoreThanOneCpu()) continue;  // (no calls through the page)
    RunOutput logged = RunCommand({RavelBinary(), "-v", "run", "--seed", "1", "--", command[0], command[1],
                                   command[2], command[3]});
    EXPECT_EQ(logged.exit_code, 0) << mode;
    for (absl::string_view line : absl::StrSplit(logged.err, '\n')) {
      if (absl::StrContains(line, " go (asked of it)")) ++asked;
    }
  }
  // A caller is asked only while it still waits awake, which depends on the load: about
  // 3700 + 10000 on an idle machine, 29 in one mode under a parallel ctest. Without the
  // hand-on, none.
  if (MoreThanOneCpu()) {
    EXPECT_GT(asked, 0);
  }
}

// A thread's pthread markers in its turn under a plan (PCT past its change points, the
// thread sure to be picked at each) are logged in the page, not made through it: the
// plan goes on past them (sync_marker.h, "Markers under a plan"). ravel accounts for each
// before the yield that ends the turn: the recording is the one without the fast path.
// Random promises no pick, so there every marker reaches ravel and ends the plan.
TEST(HandOff, MarkersInAPlansTurnNeedNoStop) {
  const std::vector<std::string> command = Turns("own", 4, 1000);
  for (const std::string strategy : {"pct", "random"}) {
    std::vector<std::string> options = {"--strategy", strategy, "--seed", "1"};
    if (strategy == "pct") options.insert(options.end(), {"--pct-depth", "1"});
    RecordedRun on = RunWith(options, command);
    std::vector<std::string> without = options;
    without.push_back("--no-fast-path");
    RecordedRun off = RunWith(without, command);
    EXPECT_EQ(on.out.exit_code, 0) << strategy << ": " << on.out.err;
    EXPECT_EQ(on.out.out, off.out.out) << strategy;
    EXPECT_EQ(on.schedule, off.schedule) << strategy;
    EXPECT_EQ(off.planned_markers, 0u) << strategy;
    EXPECT_FALSE(absl::StrContains(on.out.err, "ran past")) << strategy << ": " << on.out.err;
    if (strategy == "pct") {
      // 4 points in each of the 4000 turns: nearly all of them logged (a turn whose plan
      // ran out before it comes through the page instead).
      EXPECT_GT(on.planned_markers, 1000u) << on.out.err;
      EXPECT_GT(on.planned, 1000u);
    } else {
      EXPECT_EQ(on.planned_markers, 0u);
    }
  }
}

// A thread's futex calls in its turn under a plan (sync_marker.h, "Futex calls under a
// plan"): a wake is answered in the guest from the plan's table of waiters, a wait on a
// changed word with EAGAIN, and a wait that blocks hands the CPU to the plan's next thread
// itself, where ravel has checked that the pick would be the same. ravel accounts for each
// as the call's step: the recording is the one without the fast path. The guest's own
// lock words are no points (--preempt without atomic), so that its turns make no stops.
// Random promises no pick: every futex call reaches ravel.
TEST(HandOff, FutexCallsInAPlansTurnNeedNoStop) {
  uint64_t planned_futex = 0;
  for (const int threads : {3, 6}) {
    for (const std::string strategy : {"pct", "random"}) {
      for (int seed = 1; seed <= 3; ++seed) {
        std::vector<std::string> options = {"--strategy", strategy, "--seed", std::to_string(seed),
                                            "--preempt", "syscall,sync,time"};
        if (strategy == "pct") options.insert(options.end(), {"--pct-depth", "1"});
        const std::vector<std::string> command = Turns("wakes", threads, 1000);
        RecordedRun on = RunWith(options, command);
        options.push_back("--no-fast-path");
        RecordedRun off = RunWith(options, command);
        const std::string what = absl::StrCat(threads, " threads, ", strategy, " seed ", seed);
        EXPECT_EQ(on.out.exit_code, 0) << what << ": " << on.out.err;
        EXPECT_EQ(on.out.out, off.out.out) << what;
        EXPECT_EQ(on.schedule, off.schedule) << what;
        EXPECT_EQ(off.planned_futex, 0u) << what;
        EXPECT_FALSE(absl::StrContains(on.out.err, "plan")) << what << ": " << on.out.err;
        EXPECT_FALSE(absl::StrContains(on.out.err, "ran past")) << what << ": " << on.out.err;
        if (strategy == "pct") {
          planned_futex += on.planned_futex;
        } else {
          EXPECT_EQ(on.planned_futex, 0u) << what;
        }
      }
    }
  }
  // 3000 and 6000 turns, each with a lock's futex calls every few: hundreds of them logged.
  EXPECT_GT(planned_futex, 300u);
}

// A futex wait through the page whose point picked another thread has not run yet when a
// plan gives its thread a turn: the thread makes the rest of it first thing in its turn
// (EAGAIN, or it blocks where the turn may), or, where the plan cannot take it, the
// scheduler makes it, through the page or at the thread's stop (RAVEL_SYNC_RESUME_BY has
// the guest ask for those always). Twelve threads on three of GLib's futex locks, under
// PCT: the same run every way and without the fast path. (The environment is part of a
// run, so every run has the variable, with values of one length.)
TEST(HandOff, WaitsTakenBeforeAPlanResumeInItsTurns) {
  const std::vector<std::string> command = Turns("locks", 12, 500);
  uint64_t resumed = 0;
  for (int seed = 1; seed <= 2; ++seed) {
    std::vector<std::string> options = {"--strategy", "pct", "--seed", std::to_string(seed)};
    std::vector<std::string> off_options = options;
    off_options.push_back("--no-fast-path");
    const RecordedRun off = RunWith(off_options, command, {"RAVEL_SYNC_RESUME_BY=plan"});
    ASSERT_EQ(off.out.exit_code, 0) << off.out.err;
    EXPECT_EQ(off.planned_resumes, 0u);
    for (const std::string by : {"plan", "page", "stop"}) {
      const RecordedRun on = RunWith(options, command, {"RAVEL_SYNC_RESUME_BY=" + by});
      const std::string what = absl::StrCat("seed ", seed, ", resumed by ", by);
      EXPECT_EQ(on.out.exit_code, 0) << what << ": " << on.out.err;
      EXPECT_EQ(on.out.out, off.out.out) << what;
      EXPECT_EQ(on.schedule, off.schedule) << what;
      EXPECT_FALSE(absl::StrContains(on.out.err, "plan")) << what << ": " << on.out.err;
      EXPECT_FALSE(absl::StrContains(on.out.err, "resume")) << what << ": " << on.out.err;
      if (by == "plan") {
        resumed += on.planned_resumes;
      } else {
        EXPECT_EQ(on.planned_resumes, 0u) << what;
      }
    }
  }
  // Hundreds of them in the plans' turns. (Calls through the page, where the waits come
  // from, are taken only while the tracer polls, which it does not on a single CPU.)
  if (MoreThanOneCpu()) {
    EXPECT_GT(resumed, 500u);
  }
}

}  // namespace
}  // namespace ravel::testing
