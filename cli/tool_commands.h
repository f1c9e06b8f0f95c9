// `ravel strace`, `ravel count` and `ravel inject`: the tools of tools/ on the
// interception layer, run on a guest command with the exit codes of engine/run_tool.h.
#ifndef RAVEL_CLI_TOOL_COMMANDS_H_
#define RAVEL_CLI_TOOL_COMMANDS_H_

#include <memory>

#include "cli/flags.h"

namespace ravel {

std::unique_ptr<Subcommand> MakeStraceSubcommand(CLI::App& parent);
std::unique_ptr<Subcommand> MakeCountSubcommand(CLI::App& parent);
std::unique_ptr<Subcommand> MakeInjectSubcommand(CLI::App& parent);

}  // namespace ravel

#endif  // RAVEL_CLI_TOOL_COMMANDS_H_
