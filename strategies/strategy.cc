#include "strategies/strategy.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "strategies/contract.h"
#include "strategies/pct_strategy.h"
#include "strategies/pos_strategy.h"
#include "strategies/random_strategy.h"
#include "strategies/rr_strategy.h"
#include "strategies/surw_strategy.h"

namespace ravel {

namespace strategies_internal {

void ContractFailure(const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "ravel: %s:%d: strategy contract broken: %s\n", file, line, message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace strategies_internal

namespace {

std::string Describe(absl::Span<const ThreadId> ids) {
  return absl::StrCat("[", absl::StrJoin(ids, ", "), "]");
}

}  // namespace

absl::string_view PointKindName(PointKind kind) {
  switch (kind) {
    case PointKind::kSyscall:
      return "syscall";
    case PointKind::kRdtsc:
      return "rdtsc";
    case PointKind::kThreadStart:
      return "thread-start";
    case PointKind::kThreadExit:
      return "thread-exit";
    case PointKind::kYield:
      return "yield";
    case PointKind::kSync:
      return "sync";
    case PointKind::kAtomic:
      return "atomic";
    case PointKind::kPreempt:
      return "preempt";
  }
  return "unknown";
}

void Strategy::Begin(uint64_t seed, const RunHistory& history) {
  rng_.Reseed(seed);
  BeginRun(seed, history);
}

bool Choices::Held(ThreadId id) const { return std::binary_search(held.begin(), held.end(), id); }

bool Choices::Contains(ThreadId id) const {
  return std::binary_search(runnable.begin(), runnable.end(), id) && !Held(id);
}

std::vector<ThreadId> Choices::ToVector() const {
  std::vector<ThreadId> out;
  out.reserve(size());
  std::set_difference(runnable.begin(), runnable.end(), held.begin(), held.end(), std::back_inserter(out));
  return out;
}

ThreadId Strategy::Pick(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  return PickFrom(point, Choices{runnable, {}});
}

ThreadId Strategy::PickFrom(const SchedulingPoint& point, const Choices& choices) {
  const absl::Span<const ThreadId> runnable = choices.runnable;
  RAVEL_STRATEGY_CHECK(!runnable.empty(), absl::StrCat(name(), ": Pick at step ", point.step,
                                                       " with no runnable thread"));
  for (size_t i = 1; i < runnable.size(); ++i) {
    RAVEL_STRATEGY_CHECK(
        runnable[i - 1] < runnable[i],
        absl::StrCat(name(), ": runnable set not ascending and distinct: ", Describe(runnable)));
  }
  RAVEL_STRATEGY_CHECK(runnable.front() >= 0,
                       absl::StrCat(name(), ": negative thread id in ", Describe(runnable)));
  const absl::Span<const ThreadId> held = choices.held;
  RAVEL_STRATEGY_CHECK(held.size() < runnable.size(),
                       absl::StrCat(name(), ": every runnable thread is held: ", Describe(held)));
  for (size_t i = 0; i < held.size(); ++i) {
    RAVEL_STRATEGY_CHECK((i == 0 || held[i - 1] < held[i]) &&
                             std::binary_search(runnable.begin(), runnable.end(), held[i]),
                         absl::StrCat(name(), ": held threads ", Describe(held),
                                      " not ascending, distinct and within ", Describe(runnable)));
  }
  RAVEL_STRATEGY_CHECK(!point.current_runnable || choices.Contains(point.current),
                       absl::StrCat(name(), ": step ", point.step, ": current thread ", point.current,
                                    " is runnable but not in ", Describe(choices.ToVector())));
  const ThreadId picked = PickAmong(point, choices);
  RAVEL_STRATEGY_CHECK(choices.Contains(picked), absl::StrCat(name(), ": picked thread ", picked, " not in ",
                                                              Describe(choices.ToVector())));
  return picked;
}

ThreadId Strategy::PickAmong(const SchedulingPoint& point, const Choices& choices) {
  if (choices.held.empty()) return PickNext(point, choices.runnable);
  const std::vector<ThreadId> members = choices.ToVector();
  return PickNext(point, members);
}

std::vector<ThreadId> Strategy::ChooseWakees(absl::Span<const ThreadId> waiters, int n) {
  std::vector<ThreadId> sorted(waiters.begin(), waiters.end());
  std::sort(sorted.begin(), sorted.end());
  RAVEL_STRATEGY_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(),
                       absl::StrCat(name(), ": duplicate waiters in ", Describe(waiters)));
  const size_t count = std::min(static_cast<size_t>(std::max(n, 0)), waiters.size());
  if (count == 0) return {};
  if (count == waiters.size()) return std::vector<ThreadId>(waiters.begin(), waiters.end());
  const std::vector<ThreadId> chosen = PickWakees(waiters, count);
  RAVEL_STRATEGY_CHECK(chosen.size() == count,
                       absl::StrCat(name(), ": woke ", chosen.size(), " threads, not ", count));
  std::vector<ThreadId> chosen_sorted = chosen;
  std::sort(chosen_sorted.begin(), chosen_sorted.end());
  RAVEL_STRATEGY_CHECK(
      std::adjacent_find(chosen_sorted.begin(), chosen_sorted.end()) == chosen_sorted.end() &&
          std::includes(sorted.begin(), sorted.end(), chosen_sorted.begin(), chosen_sorted.end()),
      absl::StrCat(name(), ": wakees ", Describe(chosen), " are not distinct waiters of ",
                   Describe(waiters)));
  // Report them in FIFO order, whatever order the strategy chose them in.
  std::vector<ThreadId> out;
  out.reserve(count);
  for (ThreadId id : waiters) {
    if (std::binary_search(chosen_sorted.begin(), chosen_sorted.end(), id)) out.push_back(id);
  }
  return out;
}

std::vector<ThreadId> Strategy::PickWakees(absl::Span<const ThreadId> waiters, size_t count) {
  return std::vector<ThreadId>(waiters.begin(), waiters.begin() + static_cast<ptrdiff_t>(count));
}

bool Strategy::AdvanceTimeFirst(const SchedulingPoint& point, absl::Span<const ThreadId> runnable) {
  if (runnable.empty()) return true;
  return ShouldAdvanceTime(point, runnable);
}

absl::StatusOr<std::unique_ptr<Strategy>> MakeStrategy(absl::string_view name,
                                                       const StrategyOptions& options) {
  if (options.pct_depth < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pct depth must be at least 1, not ", options.pct_depth));
  }
  if (options.time_jump_percent < 0 || options.time_jump_percent > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("time jump percent must be within [0, 100], not ", options.time_jump_percent));
  }
  const std::string key = absl::AsciiStrToLower(name);
  for (const StrategyInfo& info : Strategies()) {
    if (key == info.name) return info.make(options);
  }
  return UnknownStrategyError(name);
}

absl::Span<const StrategyInfo> Strategies() {
  static const StrategyInfo kStrategies[] = {
      {"pct", "priorities with d-1 random change points over k choices (PCT; finds depth-d bugs)",
       [](const StrategyOptions& o) -> std::unique_ptr<Strategy> { return std::make_unique<PctStrategy>(o); }},
      {"random", "a uniformly random runnable thread at every choice",
       [](const StrategyOptions& o) -> std::unique_ptr<Strategy> { return std::make_unique<RandomStrategy>(o); }},
      {"pos", "partial order sampling: a random priority per pending event, redrawn for the events that race with one that ran (POS)",
       [](const StrategyOptions& o) -> std::unique_ptr<Strategy> { return std::make_unique<PosStrategy>(o); }},
      {"rr", "round-robin: the next runnable thread in id order",
       [](const StrategyOptions&) -> std::unique_ptr<Strategy> { return std::make_unique<RoundRobinStrategy>(); }},
      {"surw", "selectively uniform random walk: uniform over the orders of the events on one shared resource per run, "
               "weighted by each thread's events to go, from a calibration run (SURW)",
       [](const StrategyOptions& o) -> std::unique_ptr<Strategy> { return std::make_unique<SurwStrategy>(o); }},
  };
  return kStrategies;
}

bool IsStrategyName(absl::string_view name) {
  for (const StrategyInfo& info : Strategies()) {
    if (name == info.name) return true;
  }
  return false;
}

std::vector<std::string> StrategyNames() {
  std::vector<std::string> names;
  for (const StrategyInfo& info : Strategies()) names.emplace_back(info.name);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status UnknownStrategyError(absl::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown strategy '", name, "'; valid strategies: ", absl::StrJoin(StrategyNames(), ", ")));
}

std::string StrategyHelp(absl::string_view default_name) {
  std::vector<std::string> parts;
  for (const StrategyInfo& info : Strategies()) {
    parts.push_back(absl::StrCat(info.name, info.name == default_name ? " (default)" : "", ": ", info.summary));
  }
  return absl::StrJoin(parts, "\n");
}

}  // namespace ravel
