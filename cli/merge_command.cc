#include "cli/merge_command.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "engine/run_tool.h"

namespace ravel {
namespace {

class MergeSubcommand : public Subcommand {
 public:
  explicit MergeSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "merge", "Combine the --json summaries of the shards of one stress job into one report.\n"
                 "Exit 1 when any shard found a failure.\n"
                 "Example: ravel merge shard-*.json --junit stress.xml");
    app_->add_option("SUMMARY", inputs_, "JSON summaries written by ravel stress --json")->required();
    app_->add_option("--json", json_, "Write the combined summary to FILE");
    app_->add_option("--junit", junit_, "Write a combined JUnit XML report to FILE");
  }

  int Run(const Invocation& in) override {
    if (in.had_dashes) return UsageError("ravel merge takes no command");
    std::vector<std::vector<StressReport>> shards;
    for (const std::string& path : inputs_) {
      std::ifstream file(path, std::ios::binary);
      if (!file) return UsageError(absl::StrCat("cannot read ", path));
      std::stringstream text;
      text << file.rdbuf();
      absl::StatusOr<std::vector<StressReport>> reports = ReportsFromJson(text.str());
      if (!reports.ok()) return UsageError(absl::StrCat(path, ": ", reports.status().message()));
      shards.push_back(std::move(*reports));
    }
    absl::StatusOr<std::vector<StressReport>> merged = MergeReports(shards);
    if (!merged.ok()) return UsageError(std::string(merged.status().message()));
    return PrintAndWriteReports(*merged, json_, junit_, AnyFailed(*merged) ? 1 : 0);
  }

 private:
  std::vector<std::string> inputs_;
  std::string json_, junit_;
};

}  // namespace

std::unique_ptr<Subcommand> MakeMergeSubcommand(CLI::App& parent) { return std::make_unique<MergeSubcommand>(parent); }

int PrintAndWriteReports(const std::vector<StressReport>& reports, const std::string& json_path,
                  const std::string& junit_path, int code) {
  for (const StressReport& r : reports) fputs(ReportSummary(r).c_str(), stderr);
  if (!json_path.empty()) {
    if (absl::Status s = WriteFileAtomically(json_path, ReportsToJson(reports)); !s.ok()) code = OutputError(code, s);
  }
  if (!junit_path.empty()) {
    if (absl::Status s = WriteFileAtomically(junit_path, ReportsToJUnit(reports)); !s.ok()) {
      code = OutputError(code, s);
    }
  }
  return code;
}

bool AnyFailed(const std::vector<StressReport>& reports) {
  for (const StressReport& r : reports) {
    if (r.failed > 0) return true;
  }
  return false;
}

}  // namespace ravel
