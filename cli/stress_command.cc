#include "cli/stress_command.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/proc.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/atomic_file.h"
#include "cli/preempt.h"
#include "cli/run_tool.h"
#include "cli/schedule_run.h"
#include "cli/stress_report.h"
#include "cli/verify.h"
#include "intercept/owned_kill.h"
#include "intercept/spawn.h"
#include "replay/schedule.h"
#include "strategies/strategy.h"

namespace ravel {
namespace {

volatile sig_atomic_t g_stress_interrupt = 0;
void OnStressInterrupt(int sig) { g_stress_interrupt = sig; }

// What every schedule of one stressed command shares.
struct Job {
  std::vector<std::string> command;
  std::string name;
  std::string test;
  std::string strategy;
  int pct_depth = 3;
  uint64_t pct_steps = 0;
  double timeout_seconds = 0;
  bool verbose = false;
  bool no_prototype = false;
  std::string preempt;  // recorded in failure schedules
  std::string preempt_modules;
  bool virtual_cpu = false;
  bool fast_path = true;
  cpu_set_t cpus;     // ravel's affinity: what every guest sees as its own
  bool verify = false;  // --verify: a failing seed runs again before it is reported
  std::shared_ptr<const EventProfile> event_profile;  // surw's calibration (ProfileEvents)
};

// The seeds of this shard, in order.
class SeedSource {
 public:
  SeedSource(uint64_t base, uint64_t runs, double deadline, Shard shard)
      : base_(base), runs_(runs), deadline_(deadline), shard_(shard), next_offset_(static_cast<uint64_t>(shard.index)) {}
  std::optional<uint64_t> Next() {
    if (exhausted_) return std::nullopt;
    if (runs_ > 0 && next_offset_ >= runs_) return std::nullopt;
    if (runs_ == 0 && MonotonicSeconds() >= deadline_) return std::nullopt;
    // The last seed is 2^64-1: the sequence ends there rather than wrapping to 0 (with
    // --runs, Stress() rejects a range that would pass it).
    if (next_offset_ > std::numeric_limits<uint64_t>::max() - base_) return std::nullopt;
    uint64_t seed = base_ + next_offset_;
    const uint64_t step = static_cast<uint64_t>(shard_.count);
    exhausted_ = next_offset_ > std::numeric_limits<uint64_t>::max() - step;
    next_offset_ += step;
    return seed;
  }
  // Seeds this shard runs in total (0 when bounded by time).
  uint64_t Planned() const {
    if (runs_ == 0) return 0;
    const uint64_t index = static_cast<uint64_t>(shard_.index), count = static_cast<uint64_t>(shard_.count);
    return runs_ > index ? (runs_ - index + count - 1) / count : 0;
  }

 private:
  uint64_t base_, runs_;
  double deadline_;
  Shard shard_;
  uint64_t next_offset_;
  bool exhausted_ = false;
};

bool ReadFull(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteFull(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// The last few KiB of a file.
std::string Tail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > static_cast<std::streamoff>(bytes) ? size - static_cast<std::streamoff>(bytes) : 0;
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

// The source location a failing guest reported, in the forms test frameworks and assert()
// print: GoogleTest's "file.cc:74: Failure", assert's "prog: file.c:12: fn: Assertion
// `x' failed.". Empty when there is none.
std::string FailureSite(const std::string& out_path, const std::string& err_path) {
  static const std::regex kGtest(R"(([\w./+-]+:\d+): Failure)");
  static const std::regex kAssert(R"(: ([\w./+-]+:\d+): [^\n]*Assertion)");
  for (const std::string& path : {err_path, out_path}) {
    const std::string text = Tail(path, 16384);
    std::smatch m;
    if (std::regex_search(text, m, kGtest) || std::regex_search(text, m, kAssert)) {
      std::string site = m[1];
      if (size_t slash = site.rfind('/'); slash != std::string::npos) site = site.substr(slash + 1);
      return site;
    }
  }
  return "";
}

// A worker process: runs the seeds it is sent, one at a time, and answers each with a
// JSON line. Its guests read /dev/null; their output goes to files in `scratch`.
[[noreturn]] void WorkerMain(int in_fd, int out_fd, const Job& job, const std::string& scratch, int index) {
  const std::string base = absl::StrCat(scratch, "/w", index);
  // The worker and its guests share one CPU, each worker its own: a ptrace stop is a
  // switch between two processes on one CPU instead of a wake-up across CPUs, which on a
  // VM costs several times more. Guests still see ravel's CPUs (SchedulerOptions::cpus).
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &job.cpus)) cpus.push_back(cpu);
  }
  if (!cpus.empty()) {
    cpu_set_t mine;
    CPU_ZERO(&mine);
    CPU_SET(cpus[static_cast<size_t>(index) % cpus.size()], &mine);
    sched_setaffinity(0, sizeof(mine), &mine);
  }
  if (!job.verbose) {
    // ravel's own diagnostics (one-time warnings of each run) go to a log, not the terminal.
    int log = open((base + ".log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log >= 0) {
      dup2(log, 2);
      close(log);
    }
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const std::string out_path = base + ".stdout", err_path = base + ".stderr", sched_path = base + ".sched";
  // One output file each for all of this worker's runs, emptied before each run: a
  // prototype's copies share its open files.
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int stdio[3] = {devnull, out, err};
  // The command exec'd once, forked for each schedule (see GuestPrototype); when it
  // cannot be made, every schedule spawns the command, which reports what is wrong.
  std::unique_ptr<GuestPrototype> prototype;
  bool use_prototype = !job.no_prototype;
  uint64_t seed;
  while (g_stress_interrupt == 0 && ReadFull(in_fd, &seed, sizeof(seed))) {
    if (use_prototype && (prototype == nullptr || !prototype->alive())) {
      prototype.reset();
      ScheduleSpec like;
      like.preempt = job.preempt;
      like.preempt_modules = job.preempt_modules;
      like.virtual_cpu = job.virtual_cpu;
      absl::StatusOr<std::unique_ptr<GuestPrototype>> made = MakeSchedulePrototype(job.command, stdio, like);
      if (made.ok()) {
        prototype = std::move(*made);
      } else {
        use_prototype = false;
      }
    }
    for (int fd : {out, err}) {
      if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
        // Not a file any more: the next runs' output would be lost or mixed.
        use_prototype = false;
      }
    }
    ScheduleSpec spec;
    spec.command = job.command;
    spec.strategy = job.strategy;
    spec.seed = seed;
    spec.pct_depth = job.pct_depth;
    spec.pct_steps = job.pct_steps;
    spec.timeout_seconds = job.timeout_seconds;
    spec.verbose = job.verbose;
    spec.record = true;
    spec.stdio[0] = devnull;
    spec.stdio[1] = out;
    spec.stdio[2] = err;
    spec.prototype = use_prototype ? prototype.get() : nullptr;
    spec.cpus = job.cpus;
    spec.preempt = job.preempt;
    spec.preempt_modules = job.preempt_modules;
    spec.virtual_cpu = job.virtual_cpu;
    spec.fast_path = job.fast_path;
    spec.event_profile = job.event_profile;
    // With --verify every run keeps its per-step fingerprints (8 bytes a step) so that a
    // failing one can be compared with its second run.
    RecordedRun first;
    if (job.verify) {
      first = RunRecorded(spec);
    } else {
      first.result = RunSchedule(spec);
    }
    const ScheduleResult& r = first.result;
    nlohmann::json msg;
    msg["seed"] = seed;
    msg["interrupted"] = absl::IsCancelled(r.error) && r.exit_code >= 128;
    msg["error"] = r.error.ok() ? "" : std::string(r.error.message());
    msg["exit_code"] = r.exit_code;
    msg["outcome"] = r.outcome;
    msg["signature"] = r.signature;
    if (r.failed()) {
      // Where the guest itself says it failed, when it says so in a known form, names the
      // bug better than the last syscalls do.
      if (std::string site = FailureSite(out_path, err_path); !site.empty()) {
        msg["signature"] = absl::StrCat(r.outcome, " at ", site);
      }
    }
    msg["steps"] = r.steps;
    msg["deadlock_report"] = r.deadlock_report;
    msg["stdout"] = out_path;
    msg["stderr"] = err_path;
    msg["verified"] = false;
    msg["not_deterministic"] = "";
    if (job.verify && r.failed() && g_stress_interrupt == 0) {
      // The same seed again, with the same stdio; the first run's output is set aside.
      const std::string first_out = base + ".first.stdout", first_err = base + ".first.stderr";
      if (CopyFileAtomically(out_path, first_out).ok() && CopyFileAtomically(err_path, first_err).ok()) {
        msg["stdout"] = first_out;
        msg["stderr"] = first_err;
      }
      for (int fd : {out, err}) {
        if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) use_prototype = false;
      }
      if (!use_prototype || prototype == nullptr || !prototype->alive()) spec.prototype = nullptr;
      RecordedRun second = RunRecorded(spec);
      if (second.result.error.ok()) {
        const VerifyVerdict verdict = CompareRecorded(first, second);
        msg["verified"] = true;
        msg["not_deterministic"] = NotReproducedPhrase(verdict);
      } else if (absl::IsCancelled(second.result.error)) {
        msg["interrupted"] = second.result.exit_code >= 128;
      }
    }
    msg["schedule"] = "";
    msg["schedule_error"] = "";
    if (r.failed()) {
      if (absl::Status s = WriteScheduleFile(sched_path, r.schedule); s.ok()) {
        msg["schedule"] = sched_path;
      } else {
        msg["schedule_error"] = std::string(s.message());
      }
    }
    std::string line = msg.dump() + "\n";
    if (!WriteFull(out_fd, line.data(), line.size())) break;
    if (!r.error.ok() && absl::IsCancelled(r.error)) break;
  }
  prototype.reset();  // _exit runs no destructors
  _exit(0);
}

struct Worker {
  pid_t pid = -1;
  int to = -1;      // seeds
  int from = -1;    // results
  std::string buffer;
  bool busy = false;
  uint64_t seed = 0;
};

// A failing seed's schedule and guest output, copied out of a worker's scratch files
// before the worker's next run overwrites them.
struct Artifacts {
  std::string schedule, guest_stdout, guest_stderr, deadlock_report;
  std::string error;  // the first copy that failed, for the summary
  bool verified = false;           // --verify: what the second run showed
  std::string not_deterministic;
};

// Copies them to DIR/NAME-seedS.{sched,stdout,stderr}, each whole or absent
// (base/atomic_file.h). A copy that fails leaves its field empty and says why in `error`.
Artifacts KeepArtifacts(const nlohmann::json& msg, const std::string& dir, const std::string& name, uint64_t seed) {
  Artifacts a;
  std::error_code made;
  std::filesystem::create_directories(dir, made);
  const std::string stem = absl::StrCat(dir, "/", name, "-seed", seed);
  a.deadlock_report = msg.value("deadlock_report", "");
  a.verified = msg.value("verified", false);
  a.not_deterministic = msg.value("not_deterministic", "");
  const std::string schedule_error = msg.value("schedule_error", "");
  if (!schedule_error.empty()) a.error = absl::StrCat("schedule could not be written: ", schedule_error);
  auto keep = [&](const std::string& from, const std::string& to, const char* what) -> std::string {
    if (from.empty()) return "";
    absl::Status s = CopyFileAtomically(from, to);
    if (s.ok()) return to;
    if (a.error.empty()) a.error = absl::StrCat(what, " could not be written: ", s.message());
    return "";
  };
  a.schedule = keep(msg.value("schedule", ""), stem + ".sched", "schedule");
  a.guest_stdout = keep(msg.value("stdout", ""), stem + ".stdout", "guest output");
  a.guest_stderr = keep(msg.value("stderr", ""), stem + ".stderr", "guest output");
  return a;
}

void Attach(const Artifacts& a, FailureBucket& b) {
  b.schedule = a.schedule;
  b.guest_stdout = a.guest_stdout;
  b.guest_stderr = a.guest_stderr;
  b.deadlock_report = a.deadlock_report;
  b.artifact_error = a.error;
  b.verified = a.verified;
  b.not_deterministic = a.not_deterministic;
}

void RemoveArtifacts(const Artifacts& a) {
  for (const std::string* path : {&a.schedule, &a.guest_stdout, &a.guest_stderr}) {
    if (!path->empty()) unlink(path->c_str());
  }
}

// A failure seen while stopping at the first one: its bucket is decided at the end, when
// every lower seed in flight has reported.
struct SeenFailure {
  std::string signature, outcome;
  Artifacts artifacts;
};

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
  std::string line = absl::StrFormat("ravel: stress %s: %d%s schedules, %d failed, %.1f/s%s",
                                     r.test.empty() ? r.name : r.test, done,
                                     planned > 0 ? absl::StrCat("/", planned) : "", r.failed, rate, final ? "" : eta);
  if (tty) {
    fprintf(stderr, "\r%s\033[K%s", line.c_str(), final ? "\n" : "");
  } else {
    fprintf(stderr, "%s\n", line.c_str());
  }
  fflush(stderr);
}

// Stresses one command; fills `report`. Returns false when interrupted.
bool StressOne(const Job& job, const StressOptions& options, const Shard& shard, const std::string& scratch,
               StressReport& report) {
  report.name = job.name;
  report.test = job.test;
  report.command = job.command;
  report.strategy = job.strategy;
  report.pct_depth = job.pct_depth;
  report.pct_steps = job.pct_steps;
  report.preempt = job.preempt;
  report.preempt_modules = job.preempt_modules;
  report.virtual_cpu = job.virtual_cpu;
  report.seed_base = options.seed_base;
  report.shard_index = shard.index;
  report.shard_count = shard.count;
  const double started = MonotonicSeconds();
  const uint64_t runs = options.runs > 0 ? options.runs : (options.time_seconds > 0 ? 0 : kDefaultRuns);
  report.runs_planned = runs;
  SeedSource seeds(options.seed_base, runs, started + options.time_seconds, shard);
  const uint64_t planned = seeds.Planned();
  int jobs = options.jobs > 0 ? options.jobs : std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  if (planned > 0) jobs = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(jobs), planned));
  const bool tty = isatty(2) != 0;
  double last_progress = started;

  std::vector<Worker> workers(static_cast<size_t>(jobs));
  auto start_worker = [&](size_t i) -> bool {
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
      g_stress_interrupt = 0;
      signal(SIGPIPE, SIG_DFL);
      close(to[1]);
      close(from[0]);
      for (const Worker& w : workers) {
        if (w.to >= 0) close(w.to);
        if (w.from >= 0) close(w.from);
      }
      WorkerMain(to[0], from[1], job, scratch, static_cast<int>(i));
    }
    close(to[0]);
    close(from[1]);
    workers[i] = Worker{pid, to[1], from[0], "", false, 0};
    return true;
  };
  auto give = [&](Worker& w) {
    std::optional<uint64_t> seed = seeds.Next();
    if (!seed.has_value() || g_stress_interrupt != 0) {
      close(w.to);  // EOF: the worker exits
      w.to = -1;
      w.busy = false;
      return;
    }
    w.seed = *seed;
    w.busy = WriteFull(w.to, &w.seed, sizeof(w.seed));
  };
  auto stop_all = [&]() {
    for (Worker& w : workers) {
      if (w.pid > 0) SignalOwned(w.pid, SIGTERM);
      if (w.to >= 0) close(w.to);  // a worker between seeds sees EOF
      w.to = -1;
      w.busy = false;
    }
  };

  for (size_t i = 0; i < workers.size(); ++i) {
    if (!start_worker(i)) {
      fprintf(stderr, "ravel: cannot start a stress worker: %s\n", strerror(errno));
      stop_all();
      break;
    }
    give(workers[i]);
  }
  bool stopping = false;
  // Without --keep-going: the lowest failing seed so far, and the failures seen.
  std::optional<uint64_t> cutoff;
  std::map<uint64_t, SeenFailure> seen_failures;
  // After a failure (without --keep-going) a worker that reported gets no more seeds;
  // once no seed below the lowest failure is still running, the rest are stopped.
  auto finish_or_retire = [&](Worker& done) {
    if (!cutoff.has_value()) return;
    if (done.to >= 0) close(done.to);  // EOF: the worker exits
    done.to = -1;
    done.busy = false;
    bool lower_in_flight = false;
    for (const Worker& other : workers) lower_in_flight |= other.busy && other.pid > 0 && other.seed < *cutoff;
    if (!lower_in_flight && !stopping) {
      stopping = true;
      stop_all();
    }
  };
  while (true) {
    if (g_stress_interrupt != 0 && !stopping) {
      stopping = true;
      report.interrupted = true;
      stop_all();
    }
    std::vector<pollfd> fds;
    std::vector<size_t> index;
    for (size_t i = 0; i < workers.size(); ++i) {
      if (workers[i].from >= 0) {
        fds.push_back(pollfd{workers[i].from, POLLIN, 0});
        index.push_back(i);
      }
    }
    if (fds.empty()) break;
    int n = poll(fds.data(), fds.size(), 200);
    const double now = MonotonicSeconds();
    if (now - last_progress >= (tty ? 0.2 : 10.0)) {
      Progress(report, planned, started, started + options.time_seconds, tty, false);
      last_progress = now;
    }
    if (n <= 0) continue;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Worker& w = workers[index[k]];
      char buf[4096];
      ssize_t got = read(w.from, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        // The worker is gone. One that died in the middle of a seed loses it; say so.
        close(w.from);
        w.from = -1;
        if (w.to >= 0) close(w.to);
        w.to = -1;
        int status = 0;
        waitpid(w.pid, &status, 0);
        w.pid = -1;
        if (w.busy && !stopping) {
          fprintf(stderr, "ravel: a stress worker died running seed %llu (status %d); see %s/w%zu.log\n",
                  static_cast<unsigned long long>(w.seed), status, scratch.c_str(), index[k]);
        }
        continue;
      }
      w.buffer.append(buf, static_cast<size_t>(got));
      size_t eol;
      while ((eol = w.buffer.find('\n')) != std::string::npos) {
        std::string line = w.buffer.substr(0, eol);
        w.buffer.erase(0, eol + 1);
        nlohmann::json msg = nlohmann::json::parse(line, nullptr, false);
        if (msg.is_discarded()) continue;
        w.busy = false;
        if (stopping || msg.value("interrupted", false)) continue;  // a run cut short counts for nothing
        const uint64_t seed = msg.value("seed", uint64_t{0});
        const std::string outcome = msg.value("outcome", "");
        const std::string error = msg.value("error", "");
        if (!error.empty() && outcome.empty()) {
          // The command could not run at all: every seed would say the same.
          fprintf(stderr, "ravel: stress stopped: %s\n", error.c_str());
          stopping = true;
          stop_all();
          continue;
        }
        if (cutoff.has_value() && seed > *cutoff) {
          // Above a failure already found: not part of the report (see below).
          finish_or_retire(w);
          continue;
        }
        report.seeds_run.insert(std::lower_bound(report.seeds_run.begin(), report.seeds_run.end(), seed), seed);
        if (outcome == "pass") {
          ++report.passed;
        } else if (options.keep_going) {
          const std::string signature = msg.value("signature", outcome);
          if (report.AddFailure(seed, signature, outcome)) {
            // The bucket's first seed so far: keep its schedule and the guest's output.
            Attach(KeepArtifacts(msg, options.artifacts_dir, job.name, seed), report.buckets[signature]);
          }
        } else {
          // Stopping at the first failure: the lowest failing seed is the first, however
          // the jobs finished. Seeds are handed out in order, so every lower seed has
          // been started; those still running are waited for, higher ones are dropped.
          ++report.failed;
          seen_failures[seed] = SeenFailure{msg.value("signature", outcome), outcome,
                                            KeepArtifacts(msg, options.artifacts_dir, job.name, seed)};
          cutoff = seed;
          report.stopped_at_first_failure = true;
        }
        if (cutoff.has_value()) {
          finish_or_retire(w);
          continue;
        }
        if (!stopping && w.to >= 0) give(w);
      }
    }
  }
  for (Worker& w : workers) {
    if (w.pid > 0) waitpid(w.pid, nullptr, 0);
  }
  // Guest processes of a worker that died without cleaning up (killed by the kernel
  // with it) were reparented here: reap them.
  while (waitpid(-1, nullptr, __WALL) > 0 || errno == EINTR) {}
  if (cutoff.has_value()) {
    // The report covers the seeds up to the lowest failure: a function of the seeds, not
    // of which job finished first. Failures above it were found in the meantime.
    report.seeds_run.erase(std::upper_bound(report.seeds_run.begin(), report.seeds_run.end(), *cutoff),
                           report.seeds_run.end());
    report.failed = 0;
    report.buckets.clear();
    for (const auto& [seed, f] : seen_failures) {
      if (seed > *cutoff) {
        RemoveArtifacts(f.artifacts);
        continue;
      }
      if (report.AddFailure(seed, f.signature, f.outcome)) Attach(f.artifacts, report.buckets[f.signature]);
    }
    report.passed = report.seeds_run.size() - report.failed;
  }
  report.elapsed_seconds = MonotonicSeconds() - started;
  Progress(report, planned, started, started + options.time_seconds, tty, true);
  return !report.interrupted;
}

// The tests of a GoogleTest binary, as Suite.Test names (disabled ones left out).
absl::StatusOr<std::vector<std::string>> ListGtestTests(const std::vector<std::string>& command) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    std::vector<std::string> args = command;
    args.push_back("--gtest_list_tests");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(command[0], " --gtest_list_tests failed (status ", status,
                                                   "): --per-test needs a GoogleTest binary"));
  }
  std::vector<std::string> tests;
  std::string suite;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(line);
    if (trimmed.empty()) continue;
    if (trimmed[0] != ' ') {
      suite = std::string(trimmed);  // "Suite." with its dot
      continue;
    }
    std::string name = std::string(absl::StripLeadingAsciiWhitespace(trimmed));
    if (absl::StartsWith(suite, "DISABLED_") || absl::StartsWith(name, "DISABLED_")) continue;
    tests.push_back(suite + name);
  }
  if (tests.empty()) return absl::InvalidArgumentError(absl::StrCat(command[0], " lists no tests"));
  return tests;
}

}  // namespace

absl::StatusOr<double> ParseDuration(const std::string& text) {
  std::string number = text;
  double unit = 1;
  if (!number.empty()) {
    switch (number.back()) {
      case 's': unit = 1; number.pop_back(); break;
      case 'm': unit = 60; number.pop_back(); break;
      case 'h': unit = 3600; number.pop_back(); break;
      default: break;
    }
  }
  double value = 0;
  if (!absl::SimpleAtod(number, &value) || !(value > 0) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad duration '", text, "': expected a positive number of seconds, or e.g. 90s, 5m, 1h"));
  }
  return value * unit;
}

absl::StatusOr<Shard> ResolveShard(const std::string& flag, int shards) {
  auto parse = [](const std::string& index_text, const std::string& count_text,
                  const std::string& source) -> absl::StatusOr<Shard> {
    int index = 0, count = 0;
    if (!absl::SimpleAtoi(index_text, &index) || !absl::SimpleAtoi(count_text, &count) || count < 1 || index < 0 ||
        index >= count) {
      return absl::InvalidArgumentError(absl::StrCat("bad shard from ", source, ": index '", index_text,
                                                     "' of '", count_text, "' (want 0 <= index < count)"));
    }
    return Shard{index, count, source};
  };
  if (!flag.empty()) {
    std::vector<std::string> parts = absl::StrSplit(flag, '/');
    if (parts.size() != 2) return absl::InvalidArgumentError(absl::StrCat("bad --shard '", flag, "': expected I/N"));
    return parse(parts[0], parts[1], "--shard");
  }
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = getenv(name);
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  if (auto index = env("GTEST_SHARD_INDEX"), total = env("GTEST_TOTAL_SHARDS"); index && total) {
    return parse(*index, *total, "GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS");
  }
  if (auto index = env("TEST_SHARD_INDEX"), total = env("TEST_TOTAL_SHARDS"); index && total) {
    return parse(*index, *total, "TEST_SHARD_INDEX/TEST_TOTAL_SHARDS");
  }
  if (auto index = env("JOB_COMPLETION_INDEX"); index && shards > 0) {
    return parse(*index, absl::StrCat(shards), "JOB_COMPLETION_INDEX with --shards");
  }
  if (shards > 0) {
    return absl::InvalidArgumentError("--shards N needs JOB_COMPLETION_INDEX in the environment (or use --shard I/N)");
  }
  return Shard{0, 1, "none"};
}

int Stress(const StressOptions& options) {
  if (options.command.empty()) return UsageError("no command given (e.g. ravel stress --runs 100 -- ./my_test)");
  if (!IsStrategyName(options.strategy)) {
    return UsageError(absl::StrCat("unknown strategy '", options.strategy,
                                   "'; valid strategies: ", absl::StrJoin(StrategyNames(), ", ")));
  }
  if (options.runs > 0 && options.time_seconds > 0) return UsageError("--runs and --time exclude each other");
  absl::StatusOr<Shard> shard = ResolveShard(options.shard, options.shards);
  if (!shard.ok()) return UsageError(std::string(shard.status().message()));
  // Sharding variables were meant for ravel: a GoogleTest guest must not shard itself too.
  for (const char* name : {"GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"}) {
    unsetenv(name);
  }
  if (const char* status_file = getenv("TEST_SHARD_STATUS_FILE")) {
    // Bazel asks sharding-aware tests to say so by touching this file.
    int fd = open(status_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
  }
  absl::StatusOr<std::string> path = ResolveCommand(options.command[0]);
  if (!path.ok()) {
    fprintf(stderr, "ravel: %s\n", std::string(path.status().message()).c_str());
    return ExitCodeForSpawnError(path.status());
  }
  absl::StatusOr<Preempt> preempt = ParsePreempt(options.preempt);
  if (!preempt.ok()) return UsageError(std::string(preempt.status().message()));
  if (!options.preempt_modules.empty() && !preempt->atomic) {
    return UsageError("--preempt-modules names libraries for atomic points: add --preempt atomic");
  }
  // Before any worker or calibration run starts: they all inherit it.
  if (absl::Status s = PrepareGuests(*preempt, options.command); !s.ok()) return UsageError(std::string(s.message()));
  // Reports that cannot be written at all are found before anything runs (exit 2); a
  // disk that fills up meanwhile is exit 6 at the end.
  for (const std::string* report_path : {&options.json_path, &options.junit_path}) {
    if (report_path->empty()) continue;
    if (absl::Status s = CheckOutputPath(*report_path); !s.ok()) return UsageError(std::string(s.message()));
  }
  // Seeds are the whole uint64 range; --runs N from --seed BASE must not pass its end.
  // (With --time, the sequence just stops at 2^64-1.)
  if (options.runs > 0 && options.runs - 1 > std::numeric_limits<uint64_t>::max() - options.seed_base) {
    return UsageError(absl::StrCat("--seed ", options.seed_base, " --runs ", options.runs, ": the last seed would be past ",
                                   std::numeric_limits<uint64_t>::max(), ", the largest; lower --seed or --runs"));
  }
  // The artifacts directory (and its parents) is made now, so that a bad path is an error
  // before anything runs rather than a failure without its schedule.
  {
    std::error_code error;
    std::filesystem::create_directories(options.artifacts_dir, error);
    if (error || !std::filesystem::is_directory(options.artifacts_dir)) {
      return UsageError(absl::StrCat("--artifacts ", options.artifacts_dir, ": cannot make a directory there",
                                     error ? absl::StrCat(" (", error.message(), ")") : ""));
    }
  }

  std::vector<Job> jobs;
  if (options.per_test) {
    absl::StatusOr<std::vector<std::string>> tests = ListGtestTests(options.command);
    if (!tests.ok()) return UsageError(std::string(tests.status().message()));
    for (const std::string& test : *tests) {
      Job job;
      job.command = options.command;
      job.command.push_back(absl::StrCat("--gtest_filter=", test));
      job.test = test;
      jobs.push_back(job);
    }
  } else {
    Job job;
    job.command = options.command;
    jobs.push_back(job);
  }

  char scratch_template[] = "/tmp/ravel-stress-XXXXXX";
  if (const char* tmp = getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
    // Honour TMPDIR when it is usable.
    std::string t = absl::StrCat(tmp, "/ravel-stress-XXXXXX");
    if (t.size() < sizeof(scratch_template)) strcpy(scratch_template, t.c_str());
  }
  if (mkdtemp(scratch_template) == nullptr) return UsageError(absl::StrCat("cannot create a scratch directory: ", strerror(errno)));
  const std::string scratch = scratch_template;

  // Guests whose worker dies without cleaning up come back here to be reaped.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct sigaction sa {}, old_int {}, old_term {}, old_hup {}, old_pipe {};
  sa.sa_handler = OnStressInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, &old_pipe);
  g_stress_interrupt = 0;

  std::vector<StressReport> reports;
  for (Job& job : jobs) {
    job.name = ProgramName(job.command);
    job.strategy = options.strategy;
    job.pct_depth = options.pct_depth;
    job.timeout_seconds = options.timeout_seconds;
    job.verbose = options.verbose;
    job.no_prototype = options.spawn_each;
    job.verify = options.verify;
    job.preempt = preempt->ToString();
    job.preempt_modules = options.preempt_modules;
    job.virtual_cpu = options.virtual_cpu;
    job.fast_path = options.fast_path;
    WarnIfNoVirtualCpu(options.virtual_cpu);
    if (sched_getaffinity(0, sizeof(job.cpus), &job.cpus) != 0) {
      CPU_ZERO(&job.cpus);
      CPU_SET(0, &job.cpus);
    }
    job.pct_steps = options.pct_steps;
    if (job.strategy == "pct" && job.pct_steps == 0) {
      // PCT's k, measured the same way on every shard so that each seed's run is a
      // function of the seed alone: twice the most choice points of three calibration runs
      // (round-robin with the base seed, random with the base seed and the next). A PCT
      // run may offer more choices than these; k too small would never place a change
      // point late in the run, k too large only makes each one a little less likely.
      uint64_t most = 0;
      bool calibrated = true;
      const std::pair<const char*, uint64_t> calibrations[] = {
          {"rr", options.seed_base}, {"random", options.seed_base}, {"random", options.seed_base + 1}};
      for (const auto& [strategy, seed] : calibrations) {
        ScheduleSpec calibrate;
        calibrate.command = job.command;
        calibrate.strategy = strategy;
        calibrate.seed = seed;
        calibrate.timeout_seconds = options.timeout_seconds;
        calibrate.preempt = job.preempt;
        calibrate.preempt_modules = job.preempt_modules;
        calibrate.virtual_cpu = job.virtual_cpu;
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int& fd : calibrate.stdio) fd = devnull;
        ScheduleResult r = RunSchedule(calibrate);
        close(devnull);
        if (!r.error.ok()) {
          if (r.exit_code > 128) g_stress_interrupt = r.exit_code - 128;  // Ctrl-C during the measurement
          if (g_stress_interrupt == 0) {
            fprintf(stderr, "ravel: stress: the command cannot run: %s\n", std::string(r.error.message()).c_str());
          }
          calibrated = false;
          break;
        }
        most = std::max(most, r.choices);
      }
      if (!calibrated) {
        reports.clear();
        break;
      }
      job.pct_steps = std::max<uint64_t>(2 * most, 1);
      if (options.verbose) {
        fprintf(stderr, "ravel: pct: k = %llu (twice the most choice points of 3 calibration runs)\n",
                static_cast<unsigned long long>(job.pct_steps));
      }
    }
    if (job.strategy == "surw") {
      // surw's calibration: the same one `ravel run --strategy surw` makes, so that a
      // failing seed's by-seed line reproduces it.
      ScheduleSpec like;
      like.command = job.command;
      like.timeout_seconds = options.timeout_seconds;
      like.preempt = job.preempt;
      like.preempt_modules = job.preempt_modules;
      like.virtual_cpu = job.virtual_cpu;
      like.verbose = options.verbose;
      absl::StatusOr<std::shared_ptr<const EventProfile>> profile = ProfileEvents(like);
      if (!profile.ok()) {
        if (g_stress_interrupt == 0) {
          fprintf(stderr, "ravel: stress: the command cannot run: %s\n", std::string(profile.status().message()).c_str());
        }
        reports.clear();
        break;
      }
      job.event_profile = *profile;
    }
    StressReport report;
    bool finished = StressOne(job, options, *shard, scratch, report);
    reports.push_back(std::move(report));
    if (!finished) break;
  }

  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  // The scratch directory held the workers' files; what matters was copied out.
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);

  bool failed = false;
  for (const StressReport& r : reports) {
    fputs(ReportSummary(r).c_str(), stderr);
    failed |= r.failed > 0;
  }
  int code = g_stress_interrupt != 0 ? 128 + g_stress_interrupt : reports.empty() ? kExitUsage : failed ? 1 : 0;
  // A report that cannot be written: exit 6 unless a failure (or an interruption) says more.
  if (!options.json_path.empty()) {
    if (absl::Status s = WriteFileAtomically(options.json_path, ReportsToJson(reports)); !s.ok()) {
      code = OutputError(code, s);
    }
  }
  if (!options.junit_path.empty()) {
    if (absl::Status s = WriteFileAtomically(options.junit_path, ReportsToJUnit(reports)); !s.ok()) {
      code = OutputError(code, s);
    }
  }
  return code;
}

}  // namespace ravel
