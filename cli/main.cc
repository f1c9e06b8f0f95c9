// The `ravel` executable: one subcommand per tool on the interception layer, each in its
// own file (cli/flags.h says what they are made of).
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "cli/explain_command.h"
#include "cli/flags.h"
#include "cli/merge_command.h"
#include "cli/minimize_command.h"
#include "cli/run_command.h"
#include "cli/stress_command.h"
#include "cli/tool_commands.h"
#include "engine/run_tool.h"
#include "engine/scheduled_run.h"

namespace ravel {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"ravel: run a program under ptrace and watch, change or fail its syscalls.\n"
               "Commands are tools on ravel's syscall-interception layer."};
  app.name("ravel");
  app.set_version_flag("--version", kRavelVersion);
  app.require_subcommand(1);
  Invocation in;
  app.add_flag("-v,--verbose", in.verbose, "Print ravel's own diagnostic messages");
  // In the order --help lists them.
  std::vector<std::unique_ptr<Subcommand>> subcommands;
  subcommands.push_back(MakeRunSubcommand(app));
  subcommands.push_back(MakeReplaySubcommand(app));
  subcommands.push_back(MakeMinimizeSubcommand(app));
  subcommands.push_back(MakeExplainSubcommand(app));
  subcommands.push_back(MakeStressSubcommand(app));
  subcommands.push_back(MakeMergeSubcommand(app));
  subcommands.push_back(MakeStraceSubcommand(app));
  subcommands.push_back(MakeCountSubcommand(app));
  subcommands.push_back(MakeInjectSubcommand(app));

  // Everything after the first "--" is the guest command, untouched by option parsing.
  int ravel_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      ravel_argc = i;
      in.after_dashes.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  in.had_dashes = ravel_argc != argc;
  try {
    app.parse(ravel_argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return UsageError(absl::StrCat(e.what(), " (see ravel --help)"));
  }
  if (in.verbose) logging::SetLogVerbosity(logging::INFO);
  for (const std::unique_ptr<Subcommand>& sub : subcommands) {
    if (sub->app()->parsed()) return sub->Run(in);
  }
  return UsageError("no command (see ravel --help)");
}

}  // namespace
}  // namespace ravel

int main(int argc, char** argv) { return ravel::Main(argc, argv); }
