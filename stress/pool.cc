#include "stress/pool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/proc.h"
#include "intercept/owned_kill.h"
#include "stress/artifacts.h"
#include "stress/interrupt.h"
#include "stress/run_message.h"

namespace ravel {
namespace {

void Progress(const StressReport& r, uint64_t planned, double started, double deadline, bool tty, bool final) {
  const double elapsed = MonotonicSeconds() - started;
  const uint64_t done = r.seeds_run.size();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::string eta;
  if (planned > 0 && rate > 0 && done < planned) {
    eta = absl::StrFormat(", ETA %.0f s", static_cast<double>(planned - done) / rate);
  } else if (planned == 0) {
    eta = absl::StrFormat(", %.0f s left", std::max(0.0, deadline - MonotonicSeconds()));
  }
  std::string line = absl::StrFormat("ravel: stress %s: %d%s schedules, %d failed, %s%s",
                                     r.test.empty() ? r.name : r.test, done,
                                     planned > 0 ? absl::StrCat("/", planned) : "", r.failed,
                                     RateText(done, elapsed), final ? "" : eta);
  if (tty) {
    fprintf(stderr, "\r%s\033[K%s", line.c_str(), final ? "\n" : "");
  } else {
    fprintf(stderr, "%s\n", line.c_str());
  }
  fflush(stderr);
}

struct WorkerProcess {
  pid_t pid = -1;
  int to = -1;      // seeds
  int from = -1;    // results
  std::string buffer;
  bool busy = false;
  uint64_t seed = 0;
};

// A failure seen while stopping at the first one: its bucket is decided at the end, when
// every lower seed in flight has reported.
struct SeenFailure {
  std::string signature, outcome;
  Artifacts artifacts;
};

class Pool {
 public:
  Pool(const Job& job, const StressOptions& options, const Shard& shard, const std::string& scratch,
       StressReport& report);

  // Runs every seed; false when interrupted.
  bool Run();

 private:
  bool Start(size_t i);
  // The worker's next seed, or EOF (no more seeds, or stopping): the worker exits.
  void Give(WorkerProcess& w);
  void StopAll();
  // After a failure (without --keep-going) a worker that reported gets no more seeds;
  // once no seed below the lowest failure is still running, the rest are stopped.
  void FinishOrRetire(WorkerProcess& done);
  // Reads what worker `i` wrote; handles each whole line.
  void Read(size_t i);
  void Handle(const RunMessage& msg, WorkerProcess& w);
  // The report up to the lowest failure, without --keep-going.
  void CutAtFirstFailure();

  const Job& job_;
  const StressOptions& options_;
  const std::string& scratch_;
  StressReport& report_;
  const double started_ = MonotonicSeconds();
  SeedSource seeds_;
  const uint64_t planned_;
  const bool tty_ = isatty(2) != 0;
  std::vector<WorkerProcess> workers_;
  bool stopping_ = false;
  // Without --keep-going: the lowest failing seed so far, and the failures seen.
  std::optional<uint64_t> cutoff_;
  std::map<uint64_t, SeenFailure> seen_failures_;
};

uint64_t RunsOf(const StressOptions& options) {
  return options.runs > 0 ? options.runs : (options.time_seconds > 0 ? 0 : kDefaultRuns);
}

Pool::Pool(const Job& job, const StressOptions& options, const Shard& shard, const std::string& scratch,
           StressReport& report)
    : job_(job),
      options_(options),
      scratch_(scratch),
      report_(report),
      seeds_(options.settings.seed, RunsOf(options), started_ + options.time_seconds, shard),
      planned_(seeds_.Planned()) {
  report.runs_planned = RunsOf(options);
  int jobs = options.jobs > 0 ? options.jobs : std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  if (planned_ > 0) jobs = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(jobs), planned_));
  workers_.resize(static_cast<size_t>(jobs));
}

bool Pool::Start(size_t i) {
  int to[2], from[2];
  if (pipe2(to, O_CLOEXEC) != 0) return false;
  if (pipe2(from, O_CLOEXEC) != 0) {
    close(to[0]);
    close(to[1]);
    return false;
  }
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    // SIGINT/SIGTERM keep the parent's handler: the worker finishes (a run in progress
    // is interrupted) and kills its prototype before it exits.
    SetStressInterrupt(0);
    signal(SIGPIPE, SIG_DFL);
    close(to[1]);
    close(from[0]);
    for (const WorkerProcess& w : workers_) {
      if (w.to >= 0) close(w.to);
      if (w.from >= 0) close(w.from);
    }
    WorkerMain(to[0], from[1], job_, scratch_, static_cast<int>(i));
  }
  close(to[0]);
  close(from[1]);
  workers_[i] = WorkerProcess{pid, to[1], from[0], "", false, 0};
  return true;
}

void Pool::Give(WorkerProcess& w) {
  std::optional<uint64_t> seed = seeds_.Next();
  if (!seed.has_value() || StressInterrupt() != 0) {
    close(w.to);  // EOF: the worker exits
    w.to = -1;
    w.busy = false;
    return;
  }
  w.seed = *seed;
  w.busy = WriteSeed(w.to, w.seed);
}

void Pool::StopAll() {
  for (WorkerProcess& w : workers_) {
    if (w.pid > 0) SignalOwned(w.pid, SIGTERM);
    if (w.to >= 0) close(w.to);  // a worker between seeds sees EOF
    w.to = -1;
    w.busy = false;
  }
}

void Pool::FinishOrRetire(WorkerProcess& done) {
  if (!cutoff_.has_value()) return;
  if (done.to >= 0) close(done.to);  // EOF: the worker exits
  done.to = -1;
  done.busy = false;
  bool lower_in_flight = false;
  for (const WorkerProcess& other : workers_) lower_in_flight |= other.busy && other.pid > 0 && other.seed < *cutoff_;
  if (!lower_in_flight && !stopping_) {
    stopping_ = true;
    StopAll();
  }
}

void Pool::Read(size_t i) {
  WorkerProcess& w = workers_[i];
  char buf[4096];
  ssize_t got = read(w.from, buf, sizeof(buf));
  if (got < 0 && errno == EINTR) return;
  if (got <= 0) {
    // The worker is gone. One that died in the middle of a seed loses it; say so.
    close(w.from);
    w.from = -1;
    if (w.to >= 0) close(w.to);
    w.to = -1;
    int status = 0;
    waitpid(w.pid, &status, 0);
    w.pid = -1;
    if (w.busy && !stopping_) {
      fprintf(stderr, "ravel: a stress worker died running seed %llu (status %d); see %s/w%zu.log\n",
              static_cast<unsigned long long>(w.seed), status, scratch_.c_str(), i);
    }
    return;
  }
  w.buffer.append(buf, static_cast<size_t>(got));
  size_t eol;
  while ((eol = w.buffer.find('\n')) != std::string::npos) {
    std::optional<RunMessage> msg = RunMessage::Decode(w.buffer.substr(0, eol));
    w.buffer.erase(0, eol + 1);
    if (!msg.has_value()) continue;
    w.busy = false;
    if (stopping_ || msg->interrupted) continue;  // a run cut short counts for nothing
    Handle(*msg, w);
  }
}

void Pool::Handle(const RunMessage& msg, WorkerProcess& w) {
  if (!msg.error.empty() && msg.outcome.empty()) {
    // The command could not run at all: every seed would say the same.
    fprintf(stderr, "ravel: stress stopped: %s\n", msg.error.c_str());
    stopping_ = true;
    StopAll();
    return;
  }
  if (cutoff_.has_value() && msg.seed > *cutoff_) {
    // Above a failure already found: not part of the report (see CutAtFirstFailure).
    FinishOrRetire(w);
    return;
  }
  std::vector<uint64_t>& run = report_.seeds_run;
  run.insert(std::lower_bound(run.begin(), run.end(), msg.seed), msg.seed);
  if (msg.outcome == "pass") {
    ++report_.passed;
  } else if (options_.keep_going) {
    if (report_.AddFailure(msg.seed, msg.signature, msg.outcome)) {
      // The bucket's first seed so far: keep its schedule and the guest's output.
      Attach(KeepArtifacts(msg, options_.artifacts_dir, job_.name, msg.seed), report_.buckets[msg.signature]);
    }
  } else {
    // Stopping at the first failure: the lowest failing seed is the first, however the
    // jobs finished (see the top of pool.h).
    ++report_.failed;
    seen_failures_[msg.seed] =
        SeenFailure{msg.signature, msg.outcome, KeepArtifacts(msg, options_.artifacts_dir, job_.name, msg.seed)};
    cutoff_ = msg.seed;
    report_.stopped_at_first_failure = true;
  }
  if (cutoff_.has_value()) {
    FinishOrRetire(w);
    return;
  }
  if (!stopping_ && w.to >= 0) Give(w);
}

void Pool::CutAtFirstFailure() {
  // Failures above the cutoff were found in the meantime.
  std::vector<uint64_t>& run = report_.seeds_run;
  run.erase(std::upper_bound(run.begin(), run.end(), *cutoff_), run.end());
  report_.failed = 0;
  report_.buckets.clear();
  for (const auto& [seed, f] : seen_failures_) {
    if (seed > *cutoff_) {
      RemoveArtifacts(f.artifacts);
      continue;
    }
    if (report_.AddFailure(seed, f.signature, f.outcome)) Attach(f.artifacts, report_.buckets[f.signature]);
  }
  report_.passed = run.size() - report_.failed;
}

bool Pool::Run() {
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (!Start(i)) {
      fprintf(stderr, "ravel: cannot start a stress worker: %s\n", strerror(errno));
      StopAll();
      break;
    }
    Give(workers_[i]);
  }
  double last_progress = started_;
  while (true) {
    if (StressInterrupt() != 0 && !stopping_) {
      stopping_ = true;
      report_.interrupted = true;
      StopAll();
    }
    std::vector<pollfd> fds;
    std::vector<size_t> index;
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (workers_[i].from >= 0) {
        fds.push_back(pollfd{workers_[i].from, POLLIN, 0});
        index.push_back(i);
      }
    }
    if (fds.empty()) break;
    int n = poll(fds.data(), fds.size(), 200);
    const double now = MonotonicSeconds();
    if (now - last_progress >= (tty_ ? 0.2 : 10.0)) {
      Progress(report_, planned_, started_, started_ + options_.time_seconds, tty_, false);
      last_progress = now;
    }
    if (n <= 0) continue;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents != 0) Read(index[k]);
    }
  }
  for (WorkerProcess& w : workers_) {
    if (w.pid > 0) waitpid(w.pid, nullptr, 0);
  }
  // Guest processes of a worker that died without cleaning up (killed by the kernel
  // with it) were reparented here: reap them.
  while (waitpid(-1, nullptr, __WALL) > 0 || errno == EINTR) {}
  if (cutoff_.has_value()) CutAtFirstFailure();
  report_.elapsed_seconds = MonotonicSeconds() - started_;
  Progress(report_, planned_, started_, started_ + options_.time_seconds, tty_, true);
  return !report_.interrupted;
}

}  // namespace

bool StressJob(const Job& job, const StressOptions& options, const Shard& shard, const std::string& scratch,
               StressReport& report) {
  report.name = job.name;
  report.test = job.test;
  report.command = job.command;
  report.settings = job.settings;  // (its seed is the first)
  report.shard_index = shard.index;
  report.shard_count = shard.count;
  return Pool(job, options, shard, scratch, report).Run();
}

}  // namespace ravel
