#include "stress/worker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "engine/scheduled_run.h"
#include "engine/verify_seed.h"
#include "intercept/tracer.h"
#include "replay/schedule.h"
#include "stress/failure_site.h"
#include "stress/interrupt.h"
#include "stress/run_message.h"

namespace ravel {
namespace {

// The worker's CPU: the index-th of ravel's (round robin).
void BindToOneCpu(const cpu_set_t& allowed, int index) {
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  }
  if (cpus.empty()) return;
  cpu_set_t mine;
  CPU_ZERO(&mine);
  CPU_SET(cpus[static_cast<size_t>(index) % cpus.size()], &mine);
  sched_setaffinity(0, sizeof(mine), &mine);
}

// One worker's state across its runs.
class Worker {
 public:
  Worker(const Job& job, const std::string& base);
  ~Worker() { prototype_.reset(); }

  // Runs `seed` (and, with --verify, runs a failing one again).
  RunMessage Run(uint64_t seed);
  // The run just reported was cut short: the worker stops.
  bool cancelled() const { return cancelled_; }

 private:
  // The prototype, made again when it is gone; none when it cannot be made.
  void EnsurePrototype();
  // Empties the output files for the next run (a prototype's copies share them).
  void EmptyOutput();
  // The same seed again, with the same stdio, compared with `first`.
  void Verify(const RecordedRun& first, ScheduleConfig& config, RunMessage& msg);

  const Job& job_;
  const std::string base_;
  const std::string out_path_, err_path_, sched_path_;
  int stdio_[3];
  // The command exec'd once, forked for each schedule (see GuestPrototype); when it
  // cannot be made, every schedule spawns the command, which reports what is wrong.
  std::unique_ptr<GuestPrototype> prototype_;
  bool use_prototype_;
  bool cancelled_ = false;
};

Worker::Worker(const Job& job, const std::string& base)
    : job_(job),
      base_(base),
      out_path_(base + ".stdout"),
      err_path_(base + ".stderr"),
      sched_path_(base + ".sched"),
      use_prototype_(!job.no_prototype) {
  stdio_[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
  // One output file each for all of this worker's runs, emptied before each run: a
  // prototype's copies share its open files.
  stdio_[1] = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  stdio_[2] = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

void Worker::EnsurePrototype() {
  if (!use_prototype_ || (prototype_ != nullptr && prototype_->alive())) return;
  prototype_.reset();
  ScheduleConfig like;
  like.settings = job_.settings;
  absl::StatusOr<std::unique_ptr<GuestPrototype>> made = MakeSchedulePrototype(job_.command, stdio_, like);
  if (made.ok()) {
    prototype_ = std::move(*made);
  } else {
    use_prototype_ = false;
  }
}

void Worker::EmptyOutput() {
  for (int fd : {stdio_[1], stdio_[2]}) {
    // Not a file any more: the next runs' output would be lost or mixed.
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) use_prototype_ = false;
  }
}

RunMessage Worker::Run(uint64_t seed) {
  EnsurePrototype();
  EmptyOutput();
  ScheduleConfig config = job_.ConfigFor(seed, stdio_);
  config.prototype = use_prototype_ ? prototype_.get() : nullptr;
  // With --verify every run keeps its per-step fingerprints (8 bytes a step) so that a
  // failing one can be compared with its second run.
  RecordedRun first;
  if (job_.verify) {
    first = RunRecorded(config);
  } else {
    first.result = RunSchedule(config);
  }
  const ScheduleResult& r = first.result;
  RunMessage msg;
  msg.seed = seed;
  msg.interrupted = absl::IsCancelled(r.error) && r.exit_code >= 128;
  msg.error = r.error.ok() ? "" : std::string(r.error.message());
  msg.outcome = r.outcome;
  msg.signature = r.signature;
  // Where the guest itself says it failed, when it says so in a known form, names the
  // bug better than the last syscalls do.
  if (r.failed()) {
    if (std::string site = FailureSite(out_path_, err_path_); !site.empty()) {
      msg.signature = absl::StrCat(r.outcome, " at ", site);
    }
  }
  msg.deadlock_report = r.deadlock_report;
  msg.guest_stdout = out_path_;
  msg.guest_stderr = err_path_;
  if (job_.verify && r.failed() && StressInterrupt() == 0) Verify(first, config, msg);
  if (r.failed()) {
    if (absl::Status s = WriteScheduleFile(sched_path_, r.schedule); s.ok()) {
      msg.schedule = sched_path_;
    } else {
      msg.schedule_error = std::string(s.message());
    }
  }
  cancelled_ = !r.error.ok() && absl::IsCancelled(r.error);
  return msg;
}

void Worker::Verify(const RecordedRun& first, ScheduleConfig& config, RunMessage& msg) {
  // The first run's output is set aside.
  const std::string first_out = base_ + ".first.stdout", first_err = base_ + ".first.stderr";
  if (CopyFileAtomically(out_path_, first_out).ok() && CopyFileAtomically(err_path_, first_err).ok()) {
    msg.guest_stdout = first_out;
    msg.guest_stderr = first_err;
  }
  EmptyOutput();
  if (!use_prototype_ || prototype_ == nullptr || !prototype_->alive()) config.prototype = nullptr;
  RecordedRun second = RunRecorded(config);
  if (second.result.error.ok()) {
    msg.verified = true;
    msg.not_deterministic = NotReproducedPhrase(CompareRecorded(first, second));
  } else if (absl::IsCancelled(second.result.error)) {
    msg.interrupted = second.result.exit_code >= 128;
  }
}

}  // namespace

ScheduleConfig Job::ConfigFor(uint64_t seed, const int stdio[3]) const {
  ScheduleConfig config;
  config.command = command;
  config.settings = settings;
  config.settings.seed = seed;
  config.verbose = verbose;
  config.record = true;
  for (int fd = 0; fd < 3; ++fd) config.stdio[fd] = stdio[fd];
  config.cpus = cpus;
  config.event_profile = event_profile;
  return config;
}

void WorkerMain(int in_fd, int out_fd, const Job& job, const std::string& scratch, int index) {
  const std::string base = absl::StrCat(scratch, "/w", index);
  BindToOneCpu(job.cpus, index);
  if (!job.verbose) {
    // ravel's own diagnostics (one-time warnings of each run) go to a log, not the terminal.
    int log = open((base + ".log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log >= 0) {
      dup2(log, 2);
      close(log);
    }
  }
  {
    Worker worker(job, base);
    uint64_t seed;
    while (StressInterrupt() == 0 && ReadSeed(in_fd, &seed)) {
      if (!WriteAll(out_fd, worker.Run(seed).Encode())) break;
      if (worker.cancelled()) break;
    }
  }  // _exit runs no destructors: the prototype is killed here
  _exit(0);
}

}  // namespace ravel
