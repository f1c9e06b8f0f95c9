// What every `ravel` subcommand is made of: the Subcommand it registers (its flags bound
// to its own fields, and Run once the command line is parsed), the guest command after
// its flags, and the flags, validators and help texts several subcommands share.
//
// Each subcommand's file has a Make...Subcommand(app) that adds it to the app; main.cc
// lists them in the order --help shows them.
#ifndef RAVEL_CLI_FLAGS_H_
#define RAVEL_CLI_FLAGS_H_

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/preempt.h"
#include "engine/schedule_settings.h"

namespace ravel {

// What every subcommand gets besides its own flags.
struct Invocation {
  bool verbose = false;
  bool had_dashes = false;                // a "--" was given
  std::vector<std::string> after_dashes;  // the words after it
};

// One subcommand: the constructor adds it to the app with its flags, bound to its own
// fields; Run does the work once the command line is parsed (and it was the one named).
class Subcommand {
 public:
  virtual ~Subcommand() = default;
  CLI::App* app() const { return app_; }
  virtual int Run(const Invocation& in) = 0;

 protected:
  CLI::App* app_ = nullptr;
};

struct CommonArgs {
  std::vector<std::string> command;
  bool no_aslr = false;
};

// Options after the first word that is not one of ravel's are the guest's: `ravel strace
// ls -l` works like `ravel strace -- ls -l`.
// `aslr_flag`: offer --no-aslr (the scheduling commands always run with ASLR off).
void AddCommand(CLI::App* sub, CommonArgs* args, bool aslr_flag = true);

// The guest command of a subcommand that runs one: what followed "--", or else the words
// from the first one that is not an option of ravel's; none is an error.
absl::StatusOr<std::vector<std::string>> GuestCommand(CLI::App* sub, const Invocation& in);

// Whole numbers only, with a message that says so (CLI11's range checks print doubles).
CLI::Validator WholeNumber(int64_t min);

// A seed: any whole number from 0 to 2^64-1, as `ravel run` and the schedule file take
// it (CLI11 would accept "-1" and wrap it, or print a double's range).
CLI::Validator Seed();

// Seconds >= 0, as a double.
CLI::Validator Seconds();

// What one command says of the schedule flags it takes.
struct ScheduleFlagHelp {
  std::string strategy;
  std::string seed;
  std::string pct_steps;
  std::string timeout;
  bool timeout_may_be_zero = true;  // false: a limit > 0 (stress: every schedule has one)
  // Said after "they need --strategy pct" when the command's default strategy is not pct.
  std::string default_strategy_note;
  // --no-cpu-split: not for stress, which binds each worker to one CPU and never splits.
  bool cpu_split_flag = true;
};

// The flags that choose how a program is scheduled, bound to one ScheduleSettings
// (engine/schedule_settings.h): --strategy, --seed, --pct-depth, --pct-steps, --timeout,
// and the points (--preempt, --preempt-modules, --virtual-cpu, --no-fast-path), and
// --no-cpu-split. `ravel run` takes them all, `ravel stress` all but --no-cpu-split;
// replay, minimize and explain run a recorded schedule, which says the rest, and take
// --timeout alone (AddTimeoutFlag).
// The settings' values before parsing are the defaults.
class ScheduleFlags {
 public:
  ScheduleFlags(CLI::App* sub, ScheduleSettings* settings, ScheduleFlagHelp help);
  ScheduleFlags(const ScheduleFlags&) = delete;
  ScheduleFlags& operator=(const ScheduleFlags&) = delete;

  // Once the command line is parsed: --no-fast-path into the settings, and the flags
  // checked together (--pct-depth and --pct-steps mean nothing to another strategy: an
  // error, not ignored).
  absl::Status Finish();

 private:
  ScheduleSettings* settings_;
  std::string default_strategy_note_;
  bool no_fast_path_ = false;
  bool no_cpu_split_ = false;
  CLI::Option* pct_depth_ = nullptr;
  CLI::Option* pct_steps_ = nullptr;
};

// --timeout SECONDS (ScheduleFlags', and alone for replay, minimize and explain, where
// PreparedReplay::DefaultTimeout applies it): `help` says what it limits and its default.
// `may_be_zero`: 0 (no limit) is accepted.
void AddTimeoutFlag(CLI::App* sub, double* seconds, const std::string& help, bool may_be_zero = true);

// Help texts of flags several subcommands take.
extern const char kTraceHelp[];
extern const char kGdbserverHelp[];

}  // namespace ravel

#endif  // RAVEL_CLI_FLAGS_H_
