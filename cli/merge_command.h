// `ravel merge`: the --json summaries of a stress job's shards combined into one report;
// and what both it and `ravel stress` print and write.
#ifndef RAVEL_CLI_MERGE_COMMAND_H_
#define RAVEL_CLI_MERGE_COMMAND_H_

#include <memory>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "stress/stress_report.h"

namespace ravel {

std::unique_ptr<Subcommand> MakeMergeSubcommand(CLI::App& parent);

// Each report's summary on stderr, then the JSON and JUnit reports when asked. `code`: the
// exit code so far; a report that cannot be written makes it 6 unless a failure (or an
// interruption) says more.
int PrintAndWriteReports(const std::vector<StressReport>& reports, const std::string& json_path,
                         const std::string& junit_path, int code);

// Whether any report found a failure.
bool AnyFailed(const std::vector<StressReport>& reports);

}  // namespace ravel

#endif  // RAVEL_CLI_MERGE_COMMAND_H_
