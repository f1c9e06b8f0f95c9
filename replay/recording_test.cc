#include "replay/recording.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "replay/schedule.h"
#include "strategies/rng.h"
#include "strategies/strategy.h"

namespace ravel {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Every answer a strategy gave during a run, in order.
struct Answers {
  std::vector<ThreadId> picks;
  std::vector<std::vector<ThreadId>> wakes;
  std::vector<bool> time_jumps;
  std::vector<uint64_t> data;
  bool operator==(const Answers&) const = default;
};

std::vector<ThreadId> Runnable(const std::set<ThreadId>& alive,
                               const std::vector<ThreadId>& waiters) {
  std::vector<ThreadId> runnable;
  for (ThreadId id : alive) {
    if (std::find(waiters.begin(), waiters.end(), id) == waiters.end()) runnable.push_back(id);
  }
  return runnable;
}

// Drives `strategy` through a made-up run, as the scheduler would: the run's course (who
// creates, exits, blocks, wakes whom) follows the strategy's answers, so a replay that
// answered differently would be asked different questions. Every kind of call is made,
// trivial ones included (one runnable thread, a wake of none or of all the waiters, a time
// decision with nobody runnable), and every answer is checked against the contract.
Answers Drive(Strategy& strategy, uint64_t seed, uint64_t workload_seed, int steps = 1500) {
  Answers answers;
  uint64_t workload = workload_seed;
  const auto draw = [&workload](uint64_t n) { return SplitMix64Next(workload) % n; };
  std::set<ThreadId> alive;
  std::vector<ThreadId> waiters;  // FIFO
  ThreadId next_id = 0;

  strategy.Begin(seed, RunHistory{});
  strategy.OnThreadCreated(next_id, kNoThread);
  alive.insert(next_id++);
  SchedulingPoint point;
  point.current = 0;
  point.kind = PointKind::kThreadStart;
  point.current_runnable = true;
  for (int step = 0; step < steps && !alive.empty(); ++step) {
    point.step = static_cast<uint64_t>(step);
    std::vector<ThreadId> runnable = Runnable(alive, waiters);
    const bool jump = strategy.AdvanceTimeFirst(point, runnable);
    answers.time_jumps.push_back(jump);
    if (runnable.empty()) {
      // Everyone waits: the time jump wakes them all.
      waiters.clear();
      point.current = kNoThread;
      point.current_runnable = false;
    } else if (jump && !waiters.empty()) {
      waiters.erase(waiters.begin());  // the oldest waiter's timeout expires
    }
    runnable = Runnable(alive, waiters);

    const ThreadId picked = strategy.Pick(point, runnable);
    EXPECT_TRUE(std::binary_search(runnable.begin(), runnable.end(), picked))
        << "step " << step << ": picked " << picked;
    answers.picks.push_back(picked);

    point = SchedulingPoint{};
    point.current = picked;
    point.current_runnable = true;
    const uint64_t event = draw(100);
    if (event < 10 && alive.size() < 8) {
      strategy.OnThreadCreated(next_id, picked);
      alive.insert(next_id++);
      point.syscall_nr = 56;
    } else if (event < 15 && alive.size() > 2) {
      alive.erase(picked);
      strategy.OnThreadExited(picked);
      point.kind = PointKind::kThreadExit;
      point.current_runnable = false;
    } else if (event < 30) {
      waiters.push_back(picked);
      point.kind = PointKind::kSync;
      point.current_runnable = false;
    } else if (event < 45) {
      const int n = static_cast<int>(draw(5));  // 0 to 4: trivial and real choices
      const std::vector<ThreadId> woken = strategy.ChooseWakees(waiters, n);
      EXPECT_EQ(woken.size(), std::min(waiters.size(), static_cast<size_t>(n)));
      for (ThreadId id : woken) {
        const auto it = std::find(waiters.begin(), waiters.end(), id);
        EXPECT_NE(it, waiters.end()) << "woke " << id << ", not a waiter";
        if (it != waiters.end()) waiters.erase(it);
      }
      answers.wakes.push_back(woken);
      point.kind = PointKind::kSync;
    } else if (event < 50) {
      for (uint64_t i = 1 + draw(2); i > 0; --i) answers.data.push_back(strategy.NextU64());
      point.syscall_nr = 318;  // getrandom
    } else if (event < 55) {
      point.kind = PointKind::kRdtsc;
    } else {
      point.syscall_nr = static_cast<int64_t>(draw(300));
    }
  }
  strategy.End(answers.picks.size());
  return answers;
}

std::unique_ptr<Strategy> Make(absl::string_view name) {
  StrategyOptions options;
  options.time_jump_percent = 25;
  absl::StatusOr<std::unique_ptr<Strategy>> strategy = MakeStrategy(name, options);
  EXPECT_TRUE(strategy.ok()) << strategy.status();
  return std::move(*strategy);
}

size_t CountKind(const std::vector<Decision>& decisions, Decision::Kind kind) {
  return static_cast<size_t>(std::count_if(decisions.begin(), decisions.end(),
                                           [kind](const Decision& d) { return d.kind == kind; }));
}

class RecordReplayTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RecordReplayTest, ReplayGivesTheRecordedAnswers) {
  size_t wakes = 0;
  for (uint64_t seed : {1u, 2u, 77u}) {
    SCOPED_TRACE(absl::StrCat(GetParam(), " seed ", seed));
    const uint64_t workload_seed = seed * 1000 + 7;
    std::unique_ptr<Strategy> inner = Make(GetParam());
    RecordingStrategy recorder(*inner);
    EXPECT_EQ(recorder.name(), GetParam());
    const Answers recorded = Drive(recorder, seed, workload_seed);

    // Recording does not change the answers: the bare strategy gives the same ones.
    std::unique_ptr<Strategy> bare = Make(GetParam());
    EXPECT_TRUE(Drive(*bare, seed, workload_seed) == recorded);

    const std::vector<Decision>& decisions = recorder.decisions();
    EXPECT_GT(CountKind(decisions, Decision::Kind::kPick), 100u);
    wakes += CountKind(decisions, Decision::Kind::kWake);
    EXPECT_GT(CountKind(decisions, Decision::Kind::kTime), 100u);

    ReplayStrategy replay(decisions, GetParam());
    EXPECT_EQ(replay.name(), GetParam());
    const Answers replayed = Drive(replay, seed, workload_seed);
    EXPECT_TRUE(replayed == recorded);
    EXPECT_FALSE(replay.diverged()) << replay.divergence();
    EXPECT_TRUE(replay.finished());
    EXPECT_EQ(replay.consumed(), decisions.size());

    // The data stream comes from the seed: another seed gives other data.
    if (!recorded.data.empty()) {
      ReplayStrategy other_seed(decisions, GetParam());
      EXPECT_NE(Drive(other_seed, seed + 1, workload_seed).data, recorded.data);
    }
  }
  EXPECT_GT(wakes, 10u) << "the workload makes too few real wake decisions";
}

TEST_P(RecordReplayTest, ReplayFromAScheduleFile) {
  std::unique_ptr<Strategy> inner = Make(GetParam());
  RecordingStrategy recorder(*inner);
  const Answers recorded = Drive(recorder, 5, 99);
  Schedule schedule;
  schedule.strategy = std::string(recorder.name());
  schedule.seed = 5;
  schedule.decisions = recorder.decisions();
  const absl::StatusOr<Schedule> read = ParseSchedule(SerializeSchedule(schedule));
  ASSERT_TRUE(read.ok()) << read.status();

  ReplayStrategy replay(read->decisions, read->strategy);
  EXPECT_TRUE(Drive(replay, read->seed, 99) == recorded);
  EXPECT_FALSE(replay.diverged()) << replay.divergence();
  EXPECT_TRUE(replay.finished());
}

INSTANTIATE_TEST_SUITE_P(Strategies, RecordReplayTest, ::testing::Values("pct", "random", "rr"));

TEST(RecordingStrategyTest, RecordsOnlyRealChoices) {
  std::unique_ptr<Strategy> inner = Make("random");
  RecordingStrategy recorder(*inner);
  recorder.Begin(3, {});
  SchedulingPoint point;
  point.current = 1;
  point.current_runnable = true;
  const std::vector<ThreadId> one = {1};
  const std::vector<ThreadId> three = {0, 1, 2};

  EXPECT_EQ(recorder.Pick(point, one), 1);
  EXPECT_TRUE(recorder.decisions().empty()) << "one runnable thread: no choice";
  EXPECT_TRUE(recorder.ChooseWakees(three, 0).empty());
  EXPECT_EQ(recorder.ChooseWakees(three, 3), three);
  EXPECT_EQ(recorder.ChooseWakees(three, 9), three);
  EXPECT_TRUE(recorder.ChooseWakees({}, 2).empty());
  point.current_runnable = false;
  EXPECT_TRUE(recorder.AdvanceTimeFirst(point, {}));
  EXPECT_TRUE(recorder.decisions().empty()) << "trivial wakes and time jumps are no choice";

  point.current_runnable = true;
  const ThreadId picked = recorder.Pick(point, three);
  const std::vector<ThreadId> woken = recorder.ChooseWakees(three, 2);
  const bool jump = recorder.AdvanceTimeFirst(point, three);
  EXPECT_EQ(
      recorder.decisions(),
      (std::vector<Decision>{Decision::Pick(picked), Decision::Wake(woken), Decision::Time(jump)}));

  // A new run starts a new log.
  recorder.Begin(4, {});
  EXPECT_TRUE(recorder.decisions().empty());
  recorder.Pick(point, three);
  EXPECT_EQ(recorder.decisions().size(), 1u);
}

// Records a run of the random strategy, for the divergence tests to tamper with.
std::vector<Decision> RecordRandom(uint64_t seed, uint64_t workload_seed, Answers* answers) {
  std::unique_ptr<Strategy> inner = Make("random");
  RecordingStrategy recorder(*inner);
  *answers = Drive(recorder, seed, workload_seed);
  return recorder.decisions();
}

size_t FindKind(const std::vector<Decision>& decisions, Decision::Kind kind, size_t from) {
  for (size_t i = from; i < decisions.size(); ++i) {
    if (decisions[i].kind == kind) return i;
  }
  ADD_FAILURE() << "no decision of that kind after " << from;
  return 0;
}

TEST(ReplayStrategyTest, PickOfAThreadThatCannotRun) {
  Answers recorded;
  std::vector<Decision> decisions = RecordRandom(11, 12, &recorded);
  const size_t i = FindKind(decisions, Decision::Kind::kPick, decisions.size() / 2);
  decisions[i].thread = 999;
  ReplayStrategy replay(decisions, "random");
  const Answers replayed = Drive(replay, 11, 12);  // Drive checks every answer is valid
  ASSERT_TRUE(replay.diverged());
  EXPECT_THAT(replay.divergence(), StartsWith(absl::StrCat("decision ", i, " (choice point ")));
  EXPECT_THAT(replay.divergence(), HasSubstr("): recorded pick of T999, but runnable are ["));
  EXPECT_EQ(replay.divergence().find('\n'), std::string::npos);
  EXPECT_EQ(replay.consumed(), i);
  EXPECT_FALSE(replay.finished());
  EXPECT_FALSE(replayed == recorded);
}

TEST(ReplayStrategyTest, DecisionOfAnotherKind) {
  Answers recorded;
  std::vector<Decision> decisions = RecordRandom(21, 22, &recorded);
  const size_t i = FindKind(decisions, Decision::Kind::kPick, 10);
  decisions[i] = Decision::Wake({4, 5});
  ReplayStrategy replay(decisions, "random");
  Drive(replay, 21, 22);
  ASSERT_TRUE(replay.diverged());
  EXPECT_THAT(replay.divergence(), StartsWith(absl::StrCat("decision ", i, " (choice point ")));
  EXPECT_THAT(replay.divergence(),
              HasSubstr("recorded wake of [4, 5], but the run asks for a pick among ["));
}

TEST(ReplayStrategyTest, WakeOfOtherWaiters) {
  Answers recorded;
  std::vector<Decision> decisions = RecordRandom(31, 32, &recorded);
  const size_t i = FindKind(decisions, Decision::Kind::kWake, 0);
  decisions[i].wakees.push_back(1000);
  ReplayStrategy replay(decisions, "random");
  Drive(replay, 31, 32);
  ASSERT_TRUE(replay.diverged());
  EXPECT_THAT(replay.divergence(), StartsWith(absl::StrCat("decision ", i, " (choice point ")));
  EXPECT_THAT(replay.divergence(), HasSubstr(", 1000], but the run asks for a wake of "));
}

TEST(ReplayStrategyTest, TimeDecisionFlipped) {
  Answers recorded;
  std::vector<Decision> decisions = RecordRandom(41, 42, &recorded);
  const size_t i = FindKind(decisions, Decision::Kind::kTime, 20);
  decisions[i].advance = !decisions[i].advance;
  ReplayStrategy replay(decisions, "random");
  const Answers replayed = Drive(replay, 41, 42);
  // A flipped time decision is still a valid answer: the replay follows the edited
  // recording (and the run may take another course from there).
  EXPECT_FALSE(replayed.time_jumps == recorded.time_jumps);
  EXPECT_GT(replay.consumed(), i);
}

TEST(ReplayStrategyTest, DecisionsExhaustedAndLeftOver) {
  Answers recorded;
  std::vector<Decision> decisions = RecordRandom(51, 52, &recorded);
  const size_t half = decisions.size() / 2;
  ReplayStrategy truncated(std::vector<Decision>(decisions.begin(), decisions.begin() + half),
                           "random");
  Drive(truncated, 51, 52);
  ASSERT_TRUE(truncated.diverged());
  EXPECT_THAT(truncated.divergence(),
              StartsWith(absl::StrCat("decisions exhausted at decision ", half, " (choice point ")));
  EXPECT_THAT(truncated.divergence(), HasSubstr("): the run asks for "));
  EXPECT_EQ(truncated.consumed(), half);
  EXPECT_TRUE(truncated.finished());

  decisions.push_back(Decision::Pick(0));
  ReplayStrategy longer(decisions, "random");
  EXPECT_TRUE(Drive(longer, 51, 52) == recorded);
  EXPECT_FALSE(longer.diverged());
  EXPECT_FALSE(longer.finished());
  EXPECT_EQ(longer.consumed(), decisions.size() - 1);
}

TEST(ReplayStrategyTest, AfterDivergenceAnswersStayValid) {
  ReplayStrategy replay({Decision::Pick(7)}, "pct");
  replay.Begin(1, {});
  SchedulingPoint point;
  point.step = 4;
  point.current = 2;
  point.current_runnable = true;
  EXPECT_EQ(replay.Pick(point, std::vector<ThreadId>{2}), 2) << "no choice: nothing consumed";
  EXPECT_FALSE(replay.diverged());
  EXPECT_EQ(replay.consumed(), 0u);

  EXPECT_EQ(replay.Pick(point, std::vector<ThreadId>{1, 2, 3}), 2) << "the current thread";
  EXPECT_EQ(replay.divergence(),
            "decision 0 (choice point 4): recorded pick of T7, but runnable are [1, 2, 3]");
  point.current_runnable = false;
  point.step = 5;
  EXPECT_EQ(replay.Pick(point, std::vector<ThreadId>{1, 3}), 1) << "the lowest runnable";
  EXPECT_EQ(replay.ChooseWakees(std::vector<ThreadId>{5, 3, 4}, 2), (std::vector<ThreadId>{5, 3}));
  EXPECT_FALSE(replay.AdvanceTimeFirst(point, std::vector<ThreadId>{1}));
  EXPECT_THAT(replay.divergence(), StartsWith("decision 0 (choice point 4): ")) << "the first one stays";
  EXPECT_EQ(replay.consumed(), 0u);

  // A new run starts over.
  replay.Begin(1, {});
  EXPECT_FALSE(replay.diverged());
  point.current_runnable = true;
  point.current = 7;
  EXPECT_EQ(replay.Pick(point, std::vector<ThreadId>{3, 7}), 7);
  EXPECT_TRUE(replay.finished());
  EXPECT_FALSE(replay.diverged());
}

TEST(ReplayStrategyTest, ExhaustedMessagesNameTheRequest) {
  SchedulingPoint point;
  point.step = 9;
  {
    ReplayStrategy replay({}, "rr");
    replay.Begin(0, {});
    replay.ChooseWakees(std::vector<ThreadId>{4, 2, 6}, 1);
    EXPECT_EQ(replay.divergence(),
              "decisions exhausted at decision 0 (choice point 0): the run asks for a wake of 1 of the "
              "waiters [4, 2, 6]");
  }
  {
    ReplayStrategy replay({}, "rr");
    replay.Begin(0, {});
    replay.AdvanceTimeFirst(point, std::vector<ThreadId>{0});
    EXPECT_EQ(replay.divergence(),
              "decisions exhausted at decision 0 (choice point 9): the run asks for a time decision");
  }
}

}  // namespace
}  // namespace ravel
