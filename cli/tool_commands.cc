#include "cli/tool_commands.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/atomic_file.h"
#include "engine/run_tool.h"
#include "tools/count_tool.h"
#include "tools/inject_tool.h"
#include "tools/output.h"
#include "tools/strace_tool.h"
#include "intercept/syscall_table.h"

namespace ravel {
namespace {

// -e accepts "trace=SET" or a bare SET, as strace does.
absl::StatusOr<SyscallSet> ParseTraceExpr(const std::string& expr) {
  absl::string_view e = expr;
  if (!absl::ConsumePrefix(&e, "trace=")) {
    size_t eq = e.find('=');
    if (eq != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unsupported -e qualifier '", e.substr(0, eq),
                                                     "' (only trace= is supported)"));
    }
  }
  return ParseSyscallSet(std::string_view(e.data(), e.size()));
}

// Several -e options add up; none means every syscall.
absl::StatusOr<SyscallSet> ParseTraceExprs(const std::vector<std::string>& exprs) {
  SyscallSet set;
  if (exprs.empty()) set.set();
  for (const std::string& e : exprs) {
    absl::StatusOr<SyscallSet> parsed = ParseTraceExpr(e);
    if (!parsed.ok()) return parsed.status();
    set |= *parsed;
  }
  return set;
}


class StraceSubcommand : public Subcommand {
 public:
  explicit StraceSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "strace", "Print each syscall with its arguments and result, like strace.\n"
                  "Example: ravel strace -f -e trace=%file -- make -j2");
    app_->add_flag("-f", follow_, "Follow threads and child processes (default: only the first thread)");
    app_->add_option("-e", exprs_,
                     "Which syscalls: trace=SET, SET = names, %file, %process, %network, %signal,\n"
                     "%ipc, %desc, %memory, all, none; !SET negates. Repeatable.")
        ->allow_extra_args(false);
    app_->add_option("-o", out_path_,
                     "Write the trace to FILE instead of stderr. A write that fails (a full disk) is\n"
                     "an error: exit 6, or the program's status if it failed");
    app_->add_option("-s", string_limit_, "Longest string to print (default 32)")->check(CLI::PositiveNumber);
    AddCommand(app_, &args_);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    absl::StatusOr<SyscallSet> set = ParseTraceExprs(exprs_);
    if (!set.ok()) return UsageError(std::string(set.status().message()));
    absl::StatusOr<Output> out = Output::Open(out_path_);
    if (!out.ok()) return UsageError(std::string(out.status().message()));
    StraceOptions options;
    options.follow = follow_;
    options.trace = *set;
    options.print.string_limit = string_limit_;
    StraceTool tool(options, &*out);
    TracerOptions tracer;
    tracer.disable_aslr = args_.no_aslr;
    const int code = RunUnderTool(tool, *command, tracer);
    // Every line was checked as it was written; a lost one fails the command.
    if (absl::Status s = out->Close(); !s.ok()) return OutputError(code, s);
    return code;
  }

 private:
  CommonArgs args_;
  bool follow_ = false;
  std::vector<std::string> exprs_;
  std::string out_path_;
  size_t string_limit_ = 32;
};

class CountSubcommand : public Subcommand {
 public:
  explicit CountSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "count", "Count calls and errors per syscall, like strace -c (threads and children included).\n"
                 "Example: ravel count -- python3 -c 'print(1)'");
    app_->add_option("-e", exprs_, "Which syscalls to count (same syntax as strace -e)")->allow_extra_args(false);
    app_->add_option("-o", out_path_,
                     "Write the table to FILE instead of stderr (whole or not at all; exit 6 when it\n"
                     "cannot be written, or the program's status if it failed)");
    AddCommand(app_, &args_);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    absl::StatusOr<SyscallSet> set = ParseTraceExprs(exprs_);
    if (!set.ok()) return UsageError(std::string(set.status().message()));
    // The table is written once, at the end: whole or not at all (base/atomic_file.h).
    const bool to_file = !out_path_.empty() && out_path_ != "-";
    if (to_file) {
      if (absl::Status s = CheckOutputPath(out_path_); !s.ok()) return UsageError(std::string(s.message()));
    }
    CountTool tool(*set);
    TracerOptions tracer;
    tracer.disable_aslr = args_.no_aslr;
    int code = RunUnderTool(tool, *command, tracer);
    if (code == 127 || code == 126 || code == kExitUsage) return code;
    if (!to_file) {
      Output().Line(tool.Report());
      return code;
    }
    if (absl::Status s = WriteFileAtomically(out_path_, absl::StrCat(tool.Report(), "\n")); !s.ok()) {
      return OutputError(code, s);
    }
    return code;
  }

 private:
  CommonArgs args_;
  std::vector<std::string> exprs_;
  std::string out_path_;
};

class InjectSubcommand : public Subcommand {
 public:
  explicit InjectSubcommand(CLI::App& parent) {
    app_ = parent.add_subcommand(
        "inject", "Fail chosen syscalls with chosen errors, deterministically for a seed.\n"
                  "Example: ravel inject --fail openat=ENOENT@0.5 --seed 3 -- ./my_test");
    app_->add_option("--fail", faults_,
                     "SYSCALL=ERRNO[@PROBABILITY]: fail SYSCALL with ERRNO (a name such as\n"
                     "ENOENT, or a number) with PROBABILITY in (0,1] or as a percentage\n"
                     "(default 1: every call). Repeatable.")
        ->required()
        ->allow_extra_args(false);
    app_->add_option("--seed", seed_, "Seed for the failure decisions (default 0)")->check(Seed());
    app_->add_flag("--include-startup", include_startup_,
                   "Also fail calls the dynamic loader makes before the program's entry point");
    AddCommand(app_, &args_);
  }

  int Run(const Invocation& in) override {
    absl::StatusOr<std::vector<std::string>> command = GuestCommand(app_, in);
    if (!command.ok()) return UsageError(std::string(command.status().message()));
    InjectOptions options;
    options.seed = seed_;
    options.include_startup = include_startup_;
    for (const std::string& f : faults_) {
      absl::StatusOr<FaultSpec> spec = ParseFaultSpec(f);
      if (!spec.ok()) return UsageError(std::string(spec.status().message()));
      options.faults.push_back(*spec);
    }
    InjectTool tool(options);
    TracerOptions tracer;
    tracer.disable_aslr = args_.no_aslr;
    int code = RunUnderTool(tool, *command, tracer);
    if (code != 127 && code != 126 && code != kExitUsage) {
      for (const std::string& line : tool.Report()) fprintf(stderr, "ravel: inject: %s\n", line.c_str());
    }
    return code;
  }

 private:
  CommonArgs args_;
  std::vector<std::string> faults_;
  uint64_t seed_ = 0;
  bool include_startup_ = false;
};

}  // namespace

std::unique_ptr<Subcommand> MakeStraceSubcommand(CLI::App& parent) {
  return std::make_unique<StraceSubcommand>(parent);
}

std::unique_ptr<Subcommand> MakeCountSubcommand(CLI::App& parent) { return std::make_unique<CountSubcommand>(parent); }

std::unique_ptr<Subcommand> MakeInjectSubcommand(CLI::App& parent) {
  return std::make_unique<InjectSubcommand>(parent);
}

}  // namespace ravel
