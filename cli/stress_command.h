// `ravel stress`: the flags of a stress job (stress/stress.h runs it), and its exit code:
// 0 every schedule passed, 1 a failure was found, 2 bad usage, 6 a report not written.
#ifndef RAVEL_CLI_STRESS_COMMAND_H_
#define RAVEL_CLI_STRESS_COMMAND_H_

#include <memory>

#include "cli/flags.h"

namespace ravel {

std::unique_ptr<Subcommand> MakeStressSubcommand(CLI::App& parent);

}  // namespace ravel

#endif  // RAVEL_CLI_STRESS_COMMAND_H_
