#include "cli/flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ravel {
namespace {

constexpr char kPreemptHelp[] =
    "Scheduling points besides syscalls, comma-separated (recorded in the schedule):\n"
    "  syscall  every syscall (always on)\n"
    "  sync     every pthread lock, unlock, condition-variable, semaphore, barrier, once,\n"
    "           create and join call (C++ std::mutex, std::condition_variable and\n"
    "           std::thread use these), through a preloaded shim: finds races between\n"
    "           critical sections that make no syscall; deadlock reports name who holds\n"
    "           which lock. Not for statically linked programs.\n"
    "  time     time chaos: where a thread sleeps or waits with a timeout, the clock may\n"
    "           jump to its deadline although other threads could still run (as if the\n"
    "           machine were loaded): finds tests that rely on a sleep for ordering.\n"
    "           Plausible delays only: a thread that could run is delayed once, by at\n"
    "           most 100 ms, until it blocks; hang guards (a 2 s barrier timeout, a 30 s\n"
    "           join timeout) never fire.\n"
    "  atomic   every atomic instruction of the executable (LOCK-prefixed, XCHG with\n"
    "           memory): a breakpoint on each, a point before it and one just after it;\n"
    "           finds races between two atomic operations that are not atomic together,\n"
    "           and a flag published before the data it guards. About 90 us per atomic\n"
    "           executed; each instruction is a point for its first 1000 executions in a\n"
    "           process, then runs natively (a hot atomic loop would cost that for ever).\n"
    "  spin     every spin loop of the executable (a loop that only loads and compares,\n"
    "           such as while (!flag);): a breakpoint on its head, and each pass is a\n"
    "           point and a yield, so a thread waiting for a flag lets the others run at\n"
    "           a step the seed decides instead of after 0.2 s of CPU time (a real-time\n"
    "           liveness preemption that can make runs of one seed differ).\n"
    "Default: syscall,sync,time,atomic (with it stress found every bug of the corpus and\n"
    "the classic set; syscall points alone missed every lock- and atomic-level one). A list\n"
    "replaces the default: --preempt syscall,time is cheaper for a test that only needs\n"
    "syscall points, --preempt syscall turns time chaos off too. Example: --preempt sync,time";

constexpr char kVirtualCpuHelp[] =
    "Answer CPUID from a fixed model where the kernel offers CPUID faulting: the host's\n"
    "answers without RDRAND, RDSEED, HLE, RTM and the APIC ids, so runs do not depend on\n"
    "hardware randomness, transactional aborts or the CPU a thread lands on. The model is\n"
    "recorded; a replay answers from it, and refuses a CPU that lacks a recorded feature.\n"
    "Costs about 40 CPUID traps per exec (the dynamic loader's), ~2.5 ms on this\n"
    "project's CI VM. Without faulting, says so and goes on with the host's CPUID.";

constexpr char kPreemptModulesHelp[] =
    "With --preempt atomic: also the atomic instructions of these shared libraries\n"
    "(comma-separated paths or file names; libfoo.so also matches libfoo.so.1), when\n"
    "they are mapped: at start-up or by dlopen. Example: --preempt-modules libfoo.so";

// The guest command: what followed "--", or else the words from the first one that is
// not an option of ravel's.
absl::StatusOr<std::vector<std::string>> CommandOf(CLI::App* sub, bool had_dashes,
                                                   const std::vector<std::string>& after_dashes) {
  std::vector<std::string> rest = sub->remaining();
  if (had_dashes) {
    if (!rest.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected '", rest.front(), "' before --"));
    }
    return after_dashes;
  }
  if (!rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("unknown option ", rest.front(), " for ravel ",
                                                   sub->get_name(), " (see ravel ", sub->get_name(), " --help)"));
  }
  return rest;
}

}  // namespace

const char kTraceHelp[] =
    "Write the run's timeline to FILE.json (Chrome trace format: open it in\n"
    "ui.perfetto.dev or chrome://tracing): a track per thread, a slice per stretch it\n"
    "ran, an instant per syscall or sync operation, an arrow from each futex wake to\n"
    "the thread it woke. One microsecond per step: the same schedule draws the same\n"
    "picture.";

const char kGdbserverHelp[] =
    "Debug the run with gdb: listen on [HOST:]PORT (host 127.0.0.1 unless named; port 0\n"
    "picks one), wait at the program's first instruction for gdb to connect (target\n"
    "remote HOST:PORT), then stop at its breakpoints, steps and Ctrl-C. Stopping does not\n"
    "change the schedule: a replay stays the recorded run.";

CLI::Validator WholeNumber(int64_t min) {
  return CLI::Validator(
      [min](std::string& value) -> std::string {
        int64_t n = 0;
        if (!absl::SimpleAtoi(value, &n) || n < min) {
          return absl::StrCat("expected a whole number >= ", min, ", got '", value, "'");
        }
        return "";
      },
      min == 1 ? std::string("N>0") : absl::StrCat("N>=", min));
}

CLI::Validator Seed() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        uint64_t n = 0;
        if (value.empty() || value[0] == '-' || value[0] == '+' || !absl::SimpleAtoi(value, &n)) {
          return absl::StrCat("expected a seed from 0 to 18446744073709551615, got '", value, "'");
        }
        return "";
      },
      "SEED");
}

CLI::Validator Seconds() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        double d = 0;
        if (!absl::SimpleAtod(value, &d) || !(d >= 0)) {
          return absl::StrCat("expected seconds >= 0, got '", value, "'");
        }
        return "";
      },
      "SECONDS");
}

void AddCommand(CLI::App* sub, CommonArgs* args, bool aslr_flag) {
  sub->prefix_command();
  sub->allow_extras();
  if (aslr_flag) {
    sub->add_flag("--no-aslr", args->no_aslr, "Run the guest with address-space randomisation off");
  }
  sub->footer("CMD... is the program to run and its arguments; put it after -- when it\n"
              "starts with a dash.");
}

// The guest command of a subcommand that runs one: CommandOf, and none is an error.
absl::StatusOr<std::vector<std::string>> GuestCommand(CLI::App* sub, const Invocation& in) {
  absl::StatusOr<std::vector<std::string>> command = CommandOf(sub, in.had_dashes, in.after_dashes);
  if (!command.ok()) return command.status();
  if (command->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no command given (e.g. ravel ", sub->get_name(), " -- ls -l)"));
  }
  return command;
}

ScheduleFlags::ScheduleFlags(CLI::App* sub, ScheduleSettings* settings, ScheduleFlagHelp help)
    : settings_(settings), default_strategy_note_(std::move(help.default_strategy_note)) {
  sub->add_option("--strategy", settings->strategy, help.strategy);
  sub->add_option("--seed", settings->seed, help.seed)->check(Seed());
  pct_depth_ = sub->add_option("--pct-depth", settings->pct_depth,
                               "PCT bug depth d: d-1 priority change points (default 3; with --strategy pct)")
                   ->check(WholeNumber(1));
  pct_steps_ = sub->add_option("--pct-steps", settings->pct_steps, help.pct_steps)->check(WholeNumber(1));
  AddTimeoutFlag(sub, &settings->timeout_seconds, help.timeout, help.timeout_may_be_zero);
  sub->add_option("--preempt", settings->preempt, kPreemptHelp);
  sub->add_option("--preempt-modules", settings->preempt_modules, kPreemptModulesHelp);
  sub->add_flag("--virtual-cpu", settings->virtual_cpu, kVirtualCpuHelp);
  sub->add_flag("--no-fast-path", no_fast_path_,
                "Stop at every sync point and yield. By default (with --preempt sync), where PCT\n"
                "is sure to let the thread at a sync point go on at its next ones too, the shim\n"
                "makes them without a stop; a thread that yields and is not picked waits for its\n"
                "turn in the guest, and where the strategy's next picks at yields are known in\n"
                "advance (pct, random, rr) the yielding thread hands the CPU to the next one\n"
                "itself; futex waits and wakes made through syscall() (GLib's locks) or by the\n"
                "shim's own code for glibc's plain mutexes (normal, recursive, error-checking)\n"
                "and default read-write locks (glibc's lock protocols, so their contended waits\n"
                "and wakes are no stops), yields and pthread lock markers reach ravel through\n"
                "memory shared with it instead of a stop.\n"
                "ravel accounts for all of them as at a stop: the same decisions, steps,\n"
                "fingerprint and recording either way");
  if (!help.cpu_split_flag) return;
  sub->add_flag("--no-cpu-split", no_cpu_split_,
                "Let the guest run on every CPU ravel may use. By default, with two or more, ravel\n"
                "binds the guest to one CPU and itself to the others: one guest thread runs at a\n"
                "time, and a hand-off between two threads on one CPU is cheaper. Runs of ravel at\n"
                "once claim different CPUs for their guests; with none left, a run does not\n"
                "split. The guest still sees ravel's CPUs as its affinity: the same run either\n"
                "way");
}

absl::Status ScheduleFlags::Finish() {
  if (no_fast_path_) settings_->fast_path = false;
  if (no_cpu_split_) settings_->cpu_split = false;
  if (settings_->strategy == "pct" || (pct_depth_->count() == 0 && pct_steps_->count() == 0)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("--pct-depth and --pct-steps are PCT's: they need --strategy pct",
                                                 default_strategy_note_, ", not ", settings_->strategy));
}

void AddTimeoutFlag(CLI::App* sub, double* seconds, const std::string& help, bool may_be_zero) {
  sub->add_option("--timeout", *seconds, help)->check(may_be_zero ? Seconds() : CLI::Validator(CLI::PositiveNumber));
}

}  // namespace ravel
