#include "stress/stress_report.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/atomic_file.h"
#include "engine/preempt.h"
#include "engine/run_text.h"
#include "engine/scheduled_run.h"

namespace ravel {
namespace {

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': case '\t': out += static_cast<char>(c); break;
      default:
        // XML 1.0 has no way to write other control characters.
        if (c < 0x20) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string ReproduceBySeed(const StressReport& r, uint64_t seed) {
  std::string options = absl::StrCat("--strategy ", r.settings.strategy, " --seed ", seed);
  if (r.settings.strategy == "pct") absl::StrAppend(&options, " --pct-depth ", r.settings.pct_depth, " --pct-steps ", r.settings.pct_steps);
  if (r.settings.preempt != kDefaultPreempt) absl::StrAppend(&options, " --preempt ", r.settings.preempt);
  if (!r.settings.preempt_modules.empty()) absl::StrAppend(&options, " --preempt-modules ", ShellQuote(r.settings.preempt_modules));
  if (r.settings.virtual_cpu) absl::StrAppend(&options, " --virtual-cpu");
  std::vector<std::string> words;
  for (const std::string& w : r.command) words.push_back(ShellQuote(w));
  return absl::StrCat("ravel run ", options, " -- ", absl::StrJoin(words, " "));
}

std::string DisplayName(const StressReport& r) { return r.test.empty() ? r.name : r.test; }

}  // namespace

std::string SeedRange(const StressReport& r) {
  if (r.seeds_run.empty()) return "no seeds";
  if (r.seeds_run.size() == 1) return absl::StrCat("seed ", r.seeds_run.front());
  const uint64_t first = r.seeds_run.front(), last = r.seeds_run.back();
  const uint64_t stride = r.shard_count > 1 ? static_cast<uint64_t>(r.shard_count) : 1;
  std::string range = absl::StrCat("seeds ", first, "..", last);
  // Seeds between first and last that did not run (a run cut short by an interruption, a
  // worker that died): listed, the first few, so that the count agrees with the range.
  const uint64_t span = (last - first) / stride + 1;
  if (span == r.seeds_run.size()) return range;
  constexpr size_t kListed = 5;
  std::vector<uint64_t> missing;
  uint64_t missing_count = span - r.seeds_run.size();
  size_t i = 0;
  for (uint64_t seed = first; missing.size() < kListed; seed += stride) {
    while (i < r.seeds_run.size() && r.seeds_run[i] < seed) ++i;
    if (i == r.seeds_run.size() || r.seeds_run[i] != seed) missing.push_back(seed);
    if (seed == last) break;
  }
  absl::StrAppend(&range, " except ", absl::StrJoin(missing, ", "),
                  missing_count > missing.size() ? absl::StrCat(" and ", missing_count - missing.size(), " more") : "");
  return range;
}

bool StressReport::AddFailure(uint64_t seed, const std::string& signature, const std::string& outcome) {
  ++failed;
  FailureBucket& b = buckets[signature];
  b.signature = signature;
  b.outcome = outcome;
  ++b.count;
  b.seeds.insert(std::lower_bound(b.seeds.begin(), b.seeds.end(), seed), seed);
  if (b.seeds.size() > kMaxBucketSeeds) b.seeds.pop_back();
  if (b.count == 1 || seed < b.first_seed) {
    b.first_seed = seed;
    return true;
  }
  return false;
}

double StressReport::SchedulesPerSecond() const {
  return elapsed_seconds > 0 ? static_cast<double>(seeds_run.size()) / elapsed_seconds : 0;
}

std::string ReportsToJson(const std::vector<StressReport>& reports) {
  nlohmann::json all = nlohmann::json::array();
  for (const StressReport& r : reports) {
    nlohmann::json j;
    j["name"] = r.name;
    j["test"] = r.test;
    j["command"] = r.command;
    j["strategy"] = r.settings.strategy;
    j["pct_depth"] = r.settings.pct_depth;
    j["pct_steps"] = r.settings.pct_steps;
    j["preempt"] = r.settings.preempt;
    j["preempt_modules"] = r.settings.preempt_modules;
    j["virtual_cpu"] = r.settings.virtual_cpu;
    j["seed_base"] = r.settings.seed;
    j["runs_planned"] = r.runs_planned;
    j["shard"] = {{"index", r.shard_index}, {"count", r.shard_count}};
    j["seeds_run"] = r.seeds_run;
    j["schedules"] = r.seeds_run.size();
    j["passed"] = r.passed;
    j["failed"] = r.failed;
    j["interrupted"] = r.interrupted;
    j["stopped_at_first_failure"] = r.stopped_at_first_failure;
    j["elapsed_seconds"] = r.elapsed_seconds;
    j["schedules_per_second"] = r.SchedulesPerSecond();
    nlohmann::json buckets = nlohmann::json::array();
    for (const auto& [signature, b] : r.buckets) {
      buckets.push_back({{"signature", b.signature},
                         {"outcome", b.outcome},
                         {"count", b.count},
                         {"first_seed", b.first_seed},
                         {"seeds", b.seeds},
                         {"schedule", b.schedule},
                         {"guest_stdout", b.guest_stdout},
                         {"guest_stderr", b.guest_stderr},
                         {"deadlock_report", b.deadlock_report},
                         {"artifact_error", b.artifact_error},
                         {"verified", b.verified},
                         {"not_deterministic", b.not_deterministic},
                         {"replay_command", b.schedule.empty() ? "" : ReplayCommandLine(b.schedule)},
                         {"seed_command", ReproduceBySeed(r, b.first_seed)}});
    }
    j["failures"] = buckets;
    all.push_back(j);
  }
  nlohmann::json doc;
  doc["ravel_version"] = kRavelVersion;
  doc["kind"] = "ravel-stress";
  doc["reports"] = all;
  return doc.dump(2) + "\n";
}

absl::StatusOr<std::vector<StressReport>> ReportsFromJson(const std::string& text) {
  std::vector<StressReport> out;
  try {
    nlohmann::json doc = nlohmann::json::parse(text);
    if (!doc.is_object() || doc.value("kind", "") != "ravel-stress") {
      return absl::InvalidArgumentError("not a ravel stress summary (written by ravel stress --json)");
    }
    for (const nlohmann::json& j : doc.at("reports")) {
      StressReport r;
      r.name = j.at("name").get<std::string>();
      r.test = j.at("test").get<std::string>();
      r.command = j.at("command").get<std::vector<std::string>>();
      r.settings.strategy = j.at("strategy").get<std::string>();
      r.settings.pct_depth = j.at("pct_depth").get<int>();
      r.settings.pct_steps = j.at("pct_steps").get<uint64_t>();
      r.settings.preempt = j.value("preempt", std::string("syscall"));  // absent before --preempt existed
      r.settings.preempt_modules = j.value("preempt_modules", std::string());
      r.settings.virtual_cpu = j.value("virtual_cpu", false);
      r.settings.seed = j.at("seed_base").get<uint64_t>();
      r.runs_planned = j.at("runs_planned").get<uint64_t>();
      r.shard_index = j.at("shard").at("index").get<int>();
      r.shard_count = j.at("shard").at("count").get<int>();
      r.seeds_run = j.at("seeds_run").get<std::vector<uint64_t>>();
      r.passed = j.at("passed").get<uint64_t>();
      r.failed = j.at("failed").get<uint64_t>();
      r.interrupted = j.at("interrupted").get<bool>();
      r.stopped_at_first_failure = j.at("stopped_at_first_failure").get<bool>();
      r.elapsed_seconds = j.at("elapsed_seconds").get<double>();
      for (const nlohmann::json& b : j.at("failures")) {
        FailureBucket bucket;
        bucket.signature = b.at("signature").get<std::string>();
        bucket.outcome = b.at("outcome").get<std::string>();
        bucket.count = b.at("count").get<uint64_t>();
        bucket.first_seed = b.at("first_seed").get<uint64_t>();
        bucket.seeds = b.at("seeds").get<std::vector<uint64_t>>();
        bucket.schedule = b.at("schedule").get<std::string>();
        bucket.guest_stdout = b.at("guest_stdout").get<std::string>();
        bucket.guest_stderr = b.at("guest_stderr").get<std::string>();
        bucket.deadlock_report = b.at("deadlock_report").get<std::string>();
        bucket.artifact_error = b.value("artifact_error", std::string());  // absent before it existed
        bucket.verified = b.value("verified", false);
        bucket.not_deterministic = b.value("not_deterministic", std::string());
        r.buckets[bucket.signature] = bucket;
      }
      out.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed stress summary: ", e.what()));
  }
  return out;
}

std::string ReportsToJUnit(const std::vector<StressReport>& reports) {
  uint64_t tests = 0, failures = 0;
  double time = 0;
  for (const StressReport& r : reports) {
    tests += 1 + r.buckets.size();
    failures += r.buckets.size();
    time += r.elapsed_seconds;
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&xml, absl::StrFormat("<testsuites name=\"ravel stress\" tests=\"%d\" failures=\"%d\" time=\"%.3f\">\n",
                                        tests, failures, time));
  for (const StressReport& r : reports) {
    const std::string suite = absl::StrCat("ravel stress ", DisplayName(r));
    const std::string classname = absl::StrCat("ravel.stress.", r.name);
    absl::StrAppend(&xml, absl::StrFormat("  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
                                          "time=\"%.3f\">\n",
                                          XmlEscape(suite), 1 + r.buckets.size(), r.buckets.size(), r.elapsed_seconds));
    absl::StrAppend(&xml, "    <properties>\n");
    const std::vector<std::pair<std::string, std::string>> properties = {
        {"command", absl::StrJoin(r.command, " ")},
        {"strategy", r.settings.strategy},
        {"seed_base", absl::StrCat(r.settings.seed)},
        {"schedules", absl::StrCat(r.seeds_run.size())},
        {"shard", absl::StrCat(r.shard_index, "/", r.shard_count)},
    };
    for (const auto& [key, value] : properties) {
      absl::StrAppend(&xml, "      <property name=\"", XmlEscape(key), "\" value=\"", XmlEscape(value), "\"/>\n");
    }
    absl::StrAppend(&xml, "    </properties>\n");
    absl::StrAppend(&xml, absl::StrFormat("    <testcase classname=\"%s\" name=\"passing schedules\" time=\"%.3f\">\n",
                                          XmlEscape(classname), r.elapsed_seconds));
    absl::StrAppend(&xml, "      <system-out>",
                    XmlEscape(absl::StrCat(r.passed, " of ", r.seeds_run.size(), " schedules passed (", SeedRange(r),
                                           ", strategy ", r.settings.strategy, ")", r.interrupted ? "; interrupted" : "")),
                    "</system-out>\n    </testcase>\n");
    for (const auto& [signature, b] : r.buckets) {
      std::string body = absl::StrCat(b.count, " of ", r.seeds_run.size(), " schedules failed this way; first seed ",
                                      b.first_seed, "\n");
      if (!b.schedule.empty()) {
        absl::StrAppend(&body, "schedule: ", b.schedule, "\nreplay: ", ReplayCommandLine(b.schedule), "\n");
      }
      if (!b.artifact_error.empty()) absl::StrAppend(&body, b.artifact_error, "\n");
      if (!b.verification().empty()) absl::StrAppend(&body, b.verification(), "\n");
      absl::StrAppend(&body, "by seed: ", ReproduceBySeed(r, b.first_seed), "\n");
      if (!b.guest_stdout.empty()) absl::StrAppend(&body, "guest output: ", b.guest_stdout, ", ", b.guest_stderr, "\n");
      if (!b.deadlock_report.empty()) absl::StrAppend(&body, b.deadlock_report);
      absl::StrAppend(&xml, "    <testcase classname=\"", XmlEscape(classname), "\" name=\"", XmlEscape(signature),
                      "\" time=\"0\">\n      <failure type=\"", XmlEscape(b.outcome), "\" message=\"",
                      XmlEscape(absl::StrCat(b.outcome, " in ", b.count, " schedules, first seed ", b.first_seed)),
                      "\">", XmlEscape(body), "</failure>\n    </testcase>\n");
    }
    absl::StrAppend(&xml, "  </testsuite>\n");
  }
  absl::StrAppend(&xml, "</testsuites>\n");
  return xml;
}

absl::StatusOr<std::vector<StressReport>> MergeReports(const std::vector<std::vector<StressReport>>& shards) {
  if (shards.empty()) return absl::InvalidArgumentError("nothing to merge");
  std::vector<StressReport> merged = shards.front();
  for (size_t s = 1; s < shards.size(); ++s) {
    if (shards[s].size() != merged.size()) {
      return absl::InvalidArgumentError(absl::StrCat("summary ", s + 1, " covers ", shards[s].size(),
                                                     " commands, the first ", merged.size()));
    }
    for (size_t i = 0; i < merged.size(); ++i) {
      StressReport& into = merged[i];
      const StressReport& from = shards[s][i];
      if (from.command != into.command || from.settings.strategy != into.settings.strategy || from.settings.seed != into.settings.seed ||
          from.settings.pct_depth != into.settings.pct_depth || from.settings.pct_steps != into.settings.pct_steps || from.test != into.test ||
          from.settings.preempt != into.settings.preempt || from.settings.preempt_modules != into.settings.preempt_modules ||
          from.settings.virtual_cpu != into.settings.virtual_cpu) {
        return absl::InvalidArgumentError(absl::StrCat("summary ", s + 1, " is not a shard of the same stress job (",
                                                       DisplayName(from), ", strategy ", from.settings.strategy, ", seed base ",
                                                       from.settings.seed, ")"));
      }
      std::vector<uint64_t> overlap;
      std::set_intersection(into.seeds_run.begin(), into.seeds_run.end(), from.seeds_run.begin(),
                            from.seeds_run.end(), std::back_inserter(overlap));
      if (!overlap.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("summary ", s + 1, " ran seed ", overlap.front(),
                                                       " again: shards must be disjoint"));
      }
      std::vector<uint64_t> seeds;
      std::merge(into.seeds_run.begin(), into.seeds_run.end(), from.seeds_run.begin(), from.seeds_run.end(),
                 std::back_inserter(seeds));
      into.seeds_run = std::move(seeds);
      into.passed += from.passed;
      into.failed += from.failed;
      into.interrupted |= from.interrupted;
      into.stopped_at_first_failure |= from.stopped_at_first_failure;
      into.elapsed_seconds = std::max(into.elapsed_seconds, from.elapsed_seconds);
      into.shard_index = 0;
      into.shard_count = 1;
      for (const auto& [signature, b] : from.buckets) {
        auto it = into.buckets.find(signature);
        if (it == into.buckets.end()) {
          into.buckets[signature] = b;
          continue;
        }
        FailureBucket& mine = it->second;
        mine.count += b.count;
        std::vector<uint64_t> all;
        std::merge(mine.seeds.begin(), mine.seeds.end(), b.seeds.begin(), b.seeds.end(), std::back_inserter(all));
        if (all.size() > kMaxBucketSeeds) all.resize(kMaxBucketSeeds);
        mine.seeds = std::move(all);
        if (b.first_seed < mine.first_seed) {
          mine.first_seed = b.first_seed;
          mine.schedule = b.schedule;
          mine.guest_stdout = b.guest_stdout;
          mine.guest_stderr = b.guest_stderr;
          mine.deadlock_report = b.deadlock_report;
          mine.artifact_error = b.artifact_error;
          mine.verified = b.verified;
          mine.not_deterministic = b.not_deterministic;
        }
      }
    }
  }
  return merged;
}

std::string FailureBucket::verification() const {
  if (!verified) return "";
  if (!not_deterministic.empty()) return absl::StrCat("seed ", first_seed, " ", not_deterministic);
  return absl::StrCat("verified: seed ", first_seed, " failed the same way on a second run, step for step");
}

std::string RateText(uint64_t schedules, double seconds) {
  if (schedules > 0 && seconds > static_cast<double>(schedules)) {
    return absl::StrFormat("%.1f s a schedule", seconds / static_cast<double>(schedules));
  }
  return absl::StrFormat("%.1f schedules/s", seconds > 0 ? static_cast<double>(schedules) / seconds : 0.0);
}

std::string ReportSummary(const StressReport& r) {
  std::string out = absl::StrFormat(
      "ravel: stress %s: %d schedules (%s, strategy %s%s), %d passed, %d failed%s; %.1f s, %s\n",
      DisplayName(r), r.seeds_run.size(), SeedRange(r), r.settings.strategy,
      r.shard_count > 1 ? absl::StrCat(", shard ", r.shard_index, "/", r.shard_count) : "", r.passed, r.failed,
      r.interrupted ? " (interrupted)" : "", r.elapsed_seconds, RateText(r.seeds_run.size(), r.elapsed_seconds));
  for (const auto& [signature, b] : r.buckets) {
    absl::StrAppend(&out, absl::StrFormat("ravel: FAILURE %s: %d schedule%s, first seed %d\n", signature, b.count,
                                          b.count == 1 ? "" : "s", b.first_seed));
    if (!b.deadlock_report.empty()) absl::StrAppend(&out, b.deadlock_report);
    if (!b.schedule.empty()) {
      absl::StrAppend(&out, "ravel:   schedule: ", b.schedule, "\n");
      if (!b.guest_stdout.empty()) {
        absl::StrAppend(&out, "ravel:   guest output: ", b.guest_stdout, " ", b.guest_stderr, "\n");
      }
      absl::StrAppend(&out, "ravel:   replay:   ", ReplayCommandLine(b.schedule), "\n");
    }
    if (!b.artifact_error.empty()) {
      absl::StrAppend(&out, "ravel:   ", b.artifact_error, "\n");
    }
    if (!b.verification().empty()) absl::StrAppend(&out, "ravel:   ", b.verification(), "\n");
    absl::StrAppend(&out, "ravel:   by seed:  ", ReproduceBySeed(r, b.first_seed), "\n");
  }
  return out;
}

}  // namespace ravel
