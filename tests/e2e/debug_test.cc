// From a failing schedule to its cause, end to end: `ravel minimize` shrinks it,
// `ravel explain` tells its story with source lines, `--trace` draws its timeline, and
// gdb debugs its replay through `--gdbserver`.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

std::string Corpus(const std::string& name) { return std::string(CORPUS_DIR) + "/" + name; }

// The line of the first source line of corpora/<file> that contains `text` (1-based).
int LineOf(const std::string& file, const std::string& text) {
  std::ifstream in(std::string(CORPUS_SOURCE_DIR) + "/" + file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (absl::StrContains(line, text)) return n;
  }
  ADD_FAILURE() << text << " not in " << file;
  return -1;
}

// The failing schedule of `program` with the lowest seed, found by `ravel stress` with
// `strategy` (one job: with more, the job that fails first may not have the lowest seed).
std::string FailingSchedule(const std::string& program, const std::string& strategy) {
  const std::string dir = TempPath("artifacts");
  // At syscall granularity (the corpus programs' own): finer points make longer schedules.
  RunOutput out = RunCommand({RavelBinary(), "stress", "--runs", "500", "--jobs", "1", "--strategy", strategy,
                              "--preempt", "syscall,time", "--artifacts", dir, "--", Corpus(program)});
  EXPECT_EQ(out.exit_code, 1) << out.err;
  std::smatch m;
  if (!std::regex_search(out.err, m, std::regex("replay:   ravel replay (\\S+)"))) {
    ADD_FAILURE() << out.err;
    return "";
  }
  return m[1];
}

struct Minimized {
  int before = -1, after = -1;
  std::string path;
};

Minimized Minimize(const std::string& schedule) {
  Minimized result;
  result.path = TempPath("min.sched");
  RunOutput out = RunCommand({RavelBinary(), "minimize", schedule, "-o", result.path});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  std::smatch m;
  if (std::regex_search(out.err, m, std::regex("minimized: (\\d+) departures? \\(\\d+ preemptions?\\) -> (\\d+) "))) {
    result.before = std::stoi(m[1]);
    result.after = std::stoi(m[2]);
  } else {
    ADD_FAILURE() << out.err;
  }
  EXPECT_TRUE(absl::StrContains(out.err, "reproduces fail(exit 1); replay: ravel replay")) << out.err;
  return result;
}

// A random schedule (many needless preemptions) of the lazy-init race shrinks to a few,
// and the result replays, and says what it was minimised from.
TEST(Minimize, ShrinksAFailureAndTheResultReplays) {
  const std::string schedule = FailingSchedule("lazy_init_race", "random");
  Minimized min = Minimize(schedule);
  EXPECT_GT(min.before, min.after);
  EXPECT_LE(min.after, 4);
  EXPECT_TRUE(absl::StrContains(ReadFile(min.path), absl::StrCat("\noption minimized ", min.before, "\n")));
  for (int i = 0; i < 3; ++i) {
    RunOutput again = RunCommand({RavelBinary(), "replay", min.path});
    EXPECT_EQ(again.exit_code, 1) << again.err;
    EXPECT_TRUE(absl::StrContains(again.err, "ravel: reproduced fail(exit 1)")) << again.err;
  }
}

TEST(Minimize, RefusesAPassingScheduleInOneLine) {
  const std::string sched = TempPath("pass.sched");
  ASSERT_EQ(RunCommand({RavelBinary(), "run", "--record", sched, "--", Corpus("lost_wakeup_fixed")}).exit_code, 0);
  RunOutput out = RunCommand({RavelBinary(), "minimize", sched, "-o", TempPath("out.sched")});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.err, absl::StrCat("ravel: ", sched, ": the schedule passes: there is no failure to keep\n"));
  out = RunCommand({RavelBinary(), "minimize", TempPath("missing.sched"), "-o", TempPath("out.sched")});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(std::count(out.err.begin(), out.err.end(), '\n'), 1) << out.err;
}

// One run is only the replay that finds the departures: too few to remake the failure, a
// usage error (it dereferenced a schedule it never made).
TEST(Minimize, AskingForFewerThanTwoRunsIsAUsageError) {
  const std::string schedule = FailingSchedule("lazy_init_race", "random");
  for (const char* runs : {"1", "0"}) {
    RunOutput out = RunCommand({RavelBinary(), "minimize", schedule, "-o", TempPath("out.sched"), "--max-runs", runs});
    EXPECT_EQ(out.exit_code, 2) << runs << ": " << out.err;
    EXPECT_TRUE(absl::StrContains(out.err, "--max-runs")) << out.err;
    EXPECT_TRUE(absl::StrContains(out.err, ">= 2")) << out.err;
  }
  RunOutput two = RunCommand({RavelBinary(), "minimize", schedule, "-o", TempPath("two.sched"), "--max-runs", "2"});
  EXPECT_EQ(two.exit_code, 0) << two.err;
}

// The story of the minimised race names its lines: the worker preempted at the open()
// after `initialised = 1` and before `registry = &storage`, and the other worker failing
// its check.
TEST(Explain, NamesTheSourceLinesOfTheRace) {
  Minimized min = Minimize(FailingSchedule("lazy_init_race", "pct"));
  RunOutput out = RunCommand({RavelBinary(), "explain", min.path});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const int window = LineOf("lazy_init_race.c", "storage.fd = open(");
  EXPECT_TRUE(std::regex_search(out.out, std::regex(absl::StrCat(
                  "was preempted at openat\\(AT_FDCWD, \"/dev/null\", O_WRONLY\\|O_CLOEXEC\\) in \\w+\\(\\) "
                  "lazy_init_race\\.c:", window, ", before the call ran"))))
      << out.out;
  const std::string failure = out.out.substr(out.out.find("The failure: fail(exit 1)"));
  const int null_check = LineOf("lazy_init_race.c", "if (r == NULL) bug(");
  const int half_check = LineOf("lazy_init_race.c", "if (r->capacity != 64) bug(");
  EXPECT_TRUE(absl::StrContains(failure, absl::StrCat("worker() lazy_init_race.c:", null_check)) ||
              absl::StrContains(failure, absl::StrCat("worker() lazy_init_race.c:", half_check)))
      << failure;
  EXPECT_TRUE(absl::StrContains(failure, "exit_group(1) in bug() lazy_init_race.c:")) << failure;
}

// A deadlock's story ends with what each thread waits at, and where.
TEST(Explain, TellsWhereEachThreadOfADeadlockWaits) {
  RunOutput out = RunCommand({RavelBinary(), "explain", FailingSchedule("lost_wakeup", "pct")});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(absl::StrContains(out.out, "The failure: deadlock: every thread waits")) << out.out;
  EXPECT_TRUE(std::regex_search(out.out, std::regex("T0 waits at futex\\(.*\\) in \\w+\\(\\) lost_wakeup\\.c:\\d+")))
      << out.out;
  EXPECT_TRUE(std::regex_search(out.out, std::regex("T1 waits at futex\\(.*\\) in \\w+\\(\\) lost_wakeup\\.c:\\d+")))
      << out.out;
}

nlohmann::json ReadJson(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

// Replay enters the recorded directory; files named relative to where ravel was started
// are still written there, and an unwritable trace path is an error before the run.
TEST(Trace, RelativePathsAreTheCallersAndABadOneIsAnErrorUpFront) {
  const std::string sched = TempPath("rel.sched");
  ASSERT_EQ(RunCommand({RavelBinary(), "run", "--record", sched, "--", Corpus("lost_wakeup_fixed")}).exit_code, 0);
  const std::string elsewhere = TempPath("elsewhere");
  ASSERT_EQ(mkdir(elsewhere.c_str(), 0755), 0);
  RunOutput out = RunCommand({"/bin/sh", "-c", absl::StrCat("cd '", elsewhere, "' && '", RavelBinary(), "' replay '",
                                                            sched, "' --trace t.json --json j.json")});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(ReadJson(elsewhere + "/t.json").contains("traceEvents"));
  EXPECT_TRUE(ReadJson(elsewhere + "/j.json").contains("outcome"));
  out = RunCommand({RavelBinary(), "replay", sched, "--trace", "/nonexistent-dir/t.json"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.err, "ravel: cannot write the trace to /nonexistent-dir/t.json: No such file or directory\n");
}

// The timeline's structure: named tracks, one thread's slice at a time, an instant per
// step, and wake arrows from a waker's slice to the woken thread's next slice.
TEST(Trace, TimelineHasTracksSlicesStepsAndWakeArrows) {
  const std::string trace = TempPath("run.json");
  const std::string sched = TempPath("run.sched");
  RunOutput out = RunCommand({RavelBinary(), "run", "--trace", trace, "--record", sched, "--",
                              Corpus("lost_wakeup_fixed")});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out.err, m, std::regex("steps=(\\d+) threads=(\\d+)"))) << out.err;
  const int steps = std::stoi(m[1]), threads = std::stoi(m[2]);
  nlohmann::json doc = ReadJson(trace);
  ASSERT_TRUE(doc["traceEvents"].is_array());
  std::set<int> named;
  std::vector<std::pair<uint64_t, uint64_t>> slices;  // [ts, ts+dur)
  std::set<uint64_t> instants;
  std::map<uint64_t, std::pair<int, uint64_t>> starts;  // flow id -> (tid, ts)
  int flows = 0;
  for (const nlohmann::json& e : doc["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("tid") && e.contains("ts")) << e.dump();
    const std::string ph = e["ph"];
    if (ph == "M" && e["name"] == "thread_name") named.insert(e["tid"].get<int>());
    if (ph == "X") slices.emplace_back(e["ts"].get<uint64_t>(), e["ts"].get<uint64_t>() + e["dur"].get<uint64_t>());
    if (ph == "i") instants.insert(e["args"]["step"].get<uint64_t>());
    if (ph == "s") starts[e["id"].get<uint64_t>()] = {e["tid"].get<int>(), e["ts"].get<uint64_t>()};
    if (ph == "f") {
      ASSERT_EQ(starts.count(e["id"].get<uint64_t>()), 1u) << "an arrow ends before it starts: " << e.dump();
      const auto& [from_tid, from_ts] = starts[e["id"].get<uint64_t>()];
      EXPECT_NE(from_tid, e["tid"].get<int>());
      EXPECT_LE(from_ts, e["ts"].get<uint64_t>());
      ++flows;
    }
  }
  EXPECT_EQ(static_cast<int>(named.size()), threads);
  EXPECT_EQ(static_cast<int>(instants.size()), steps);  // one per step, steps 0..N-1
  EXPECT_EQ(*instants.rbegin(), static_cast<uint64_t>(steps - 1));
  EXPECT_GE(flows, 1);
  std::sort(slices.begin(), slices.end());
  for (size_t i = 1; i < slices.size(); ++i) {
    EXPECT_LE(slices[i - 1].second, slices[i].first) << "two threads ran at once";
  }
  EXPECT_EQ(doc["otherData"]["outcome"], "pass");

  // The replay draws the same picture. Thread names carry tids, and so may decoded calls
  // (pthread_join waits on a futex holding the tid): left out.
  const std::string again = TempPath("replay.json");
  ASSERT_EQ(RunCommand({RavelBinary(), "replay", sched, "--trace", again}).exit_code, 0);
  auto without_names = [](nlohmann::json d) {
    nlohmann::json kept = nlohmann::json::array();
    for (nlohmann::json e : d["traceEvents"]) {
      if (e["ph"] == "M") continue;
      if (e.contains("args")) e["args"].erase("call");
      kept.push_back(e);
    }
    return kept;
  };
  EXPECT_EQ(without_names(ReadJson(again)), without_names(doc));
}

}  // namespace
}  // namespace ravel::testing

namespace ravel::testing {
namespace {

// `ravel replay --gdbserver 127.0.0.1:0` in the background: its port, from its stderr.
struct Debuggee {
  pid_t pid = -1;
  std::string err_path;
  int port = 0;
};

// `args` in the background, stderr (and stdout when `out_too`) to a file, stdin from
// /dev/null.
Debuggee StartProcess(const std::vector<std::string>& args, bool out_too) {
  Debuggee d;
  static int started = 0;
  d.err_path = TempPath(absl::StrCat("background-", ++started, ".err"));
  d.pid = fork();
  if (d.pid == 0) {
    int fd = open(d.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    int null = open("/dev/null", O_RDWR);
    dup2(out_too ? fd : null, 1);
    dup2(null, 0);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return d;
}

Debuggee StartDebuggee(const std::vector<std::string>& args) {
  Debuggee d = StartProcess(args, /*out_too=*/false);
  for (int i = 0; i < 200 && d.port == 0; ++i) {
    std::smatch m;
    const std::string err = ReadFile(d.err_path);
    if (std::regex_search(err, m, std::regex("gdbserver listening on 127\\.0\\.0\\.1:(\\d+)"))) d.port = std::stoi(m[1]);
    if (d.port == 0) usleep(50 * 1000);
  }
  return d;
}

// Waits (bounded) for the background ravel; its exit code, or -1 after killing it.
int Finish(Debuggee& d) {
  for (int i = 0; i < 600; ++i) {
    int status = 0;
    if (waitpid(d.pid, &status, WNOHANG) == d.pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    usleep(50 * 1000);
  }
  kill(d.pid, SIGKILL);
  waitpid(d.pid, nullptr, 0);
  return -1;
}

// gdb, in batch mode, on a replayed failure: a breakpoint in a function of the program, a
// variable printed, the threads listed, a step, on to the failure; the replay is still
// the recorded one (same fingerprint), and nothing is left behind.
TEST(Gdbserver, GdbStepsThroughAReplayedFailure) {
  Minimized min = Minimize(FailingSchedule("lazy_init_race", "pct"));
  RunOutput plain = RunCommand({RavelBinary(), "replay", min.path});
  std::smatch fp;
  ASSERT_TRUE(std::regex_search(plain.err, fp, std::regex("fingerprint=([0-9a-f]{16})"))) << plain.err;

  Debuggee d = StartDebuggee({RavelBinary(), "replay", min.path, "--gdbserver", "127.0.0.1:0"});
  ASSERT_NE(d.port, 0) << ReadFile(d.err_path);
  // gdb as a second background process (RunCommand would take the running ravel for a
  // leftover of gdb's).
  Debuggee gdb_process = StartProcess({"/usr/bin/gdb", "-batch", "-nx", "-ex",
                                       absl::StrCat("target remote 127.0.0.1:", d.port), "-ex", "break worker", "-ex",
                                       "continue", "-ex", "print arg", "-ex", "info threads", "-ex", "next", "-ex",
                                       "print initialised", "-ex", "delete", "-ex", "continue",
                                       Corpus("lazy_init_race")},
                                      /*out_too=*/true);
  const int gdb_exit = Finish(gdb_process);
  const int ravel_exit = Finish(d);
  RunOutput gdb;
  gdb.out = ReadFile(gdb_process.err_path);
  EXPECT_EQ(gdb_exit, 0) << gdb.out;
  EXPECT_TRUE(Children().empty()) << "a process was left behind";
  const std::string err = ReadFile(d.err_path);
  EXPECT_TRUE(std::regex_search(gdb.out, std::regex("Thread \\d+ hit Breakpoint 1, worker \\(arg=0x0\\) at .*lazy_init_race\\.c:")))
      << gdb.out << gdb.err;
  EXPECT_TRUE(absl::StrContains(gdb.out, "$1 = (void *) 0x0")) << gdb.out;
  EXPECT_TRUE(std::regex_search(gdb.out, std::regex("\\* \\d+ +Thread \\d+\\.\\d+ +worker \\(arg=0x0\\)"))) << gdb.out;
  EXPECT_TRUE(std::regex_search(gdb.out, std::regex("\\n52\\s+struct registry \\*r = get_registry\\(\\);"))) << gdb.out;
  EXPECT_TRUE(std::regex_search(gdb.out, std::regex("\\$2 = [01]\\n"))) << gdb.out;
  EXPECT_TRUE(absl::StrContains(gdb.out, "exited with code 01")) << gdb.out;
  EXPECT_EQ(ravel_exit, 1) << err;
  EXPECT_TRUE(absl::StrContains(err, absl::StrCat("ravel: reproduced fail(exit 1) ")) &&
              absl::StrContains(err, absl::StrCat("fingerprint=", fp[1].str())))
      << err;
}

// A TCP connection to 127.0.0.1:`port`; -1 (errno set) when refused.
int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// "$payload#cs" with the right checksum.
std::string Packet(const std::string& payload) {
  unsigned sum = 0;
  for (unsigned char c : payload) sum += c;
  return absl::StrFormat("$%s#%02x", payload, sum & 0xff);
}

// A live run (`ravel run --gdbserver`) under gdb: a breakpoint in the consumer thread of
// the fixed lost-wakeup program, its stack, then on to a clean exit.
TEST(Gdbserver, DebugsALiveRun) {
  Debuggee d = StartDebuggee({RavelBinary(), "run", "--gdbserver", "127.0.0.1:0", "--", Corpus("lost_wakeup_fixed")});
  ASSERT_NE(d.port, 0) << ReadFile(d.err_path);
  Debuggee gdb_process = StartProcess({"/usr/bin/gdb", "-batch", "-nx", "-ex",
                                       absl::StrCat("target remote 127.0.0.1:", d.port), "-ex", "break consumer",
                                       "-ex", "continue", "-ex", "bt", "-ex", "delete", "-ex", "continue",
                                       Corpus("lost_wakeup_fixed")},
                                      /*out_too=*/true);
  EXPECT_EQ(Finish(gdb_process), 0);
  EXPECT_EQ(Finish(d), 0) << ReadFile(d.err_path);
  const std::string out = ReadFile(gdb_process.err_path);
  EXPECT_TRUE(std::regex_search(out, std::regex("hit Breakpoint 1, consumer \\(.*\\) at .*lost_wakeup_fixed\\.c:\\d+")))
      << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("#0 +consumer \\("))) << out;
  EXPECT_TRUE(absl::StrContains(out, "exited normally")) << out;
  EXPECT_TRUE(Children().empty()) << "a process was left behind";
}

std::string Exchange(int fd, const std::string& bytes) {
  if (!bytes.empty() && write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) return "";
  std::string got;
  for (int i = 0; i < 40; ++i) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) {
      if (!got.empty()) break;
      continue;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// The server listens on loopback only, and malformed packets get error replies (or a
// NAK), never a crash: afterwards it still answers, and `k` ends the run.
TEST(Gdbserver, LoopbackOnlyAndMalformedPacketsAreAnswered) {
  const std::string sched = TempPath("pass.sched");
  ASSERT_EQ(RunCommand({RavelBinary(), "run", "--record", sched, "--", Corpus("lost_wakeup_fixed")}).exit_code, 0);
  Debuggee d = StartDebuggee({RavelBinary(), "replay", sched, "--gdbserver", "0"});
  ASSERT_NE(d.port, 0) << ReadFile(d.err_path);
  // /proc/net/tcp: the listening socket (state 0A) is bound to 127.0.0.1 (0100007F).
  const std::string tcp = ReadFile("/proc/net/tcp");
  EXPECT_TRUE(absl::StrContains(tcp, absl::StrFormat("0100007F:%04X 00000000:0000 0A", d.port))) << tcp;
  EXPECT_FALSE(absl::StrContains(tcp, absl::StrFormat("00000000:%04X 00000000:0000 0A", d.port))) << tcp;

  const int fd = ConnectLoopback(d.port);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(Exchange(fd, "$g#00"), "-");  // bad checksum
  EXPECT_TRUE(absl::StrContains(Exchange(fd, Packet("mzz,1")), "$E")) << "bad hex";
  EXPECT_TRUE(absl::StrContains(Exchange(fd, Packet("X10,ffffffffffff:")), "$E")) << "bogus length";
  EXPECT_TRUE(absl::StrContains(Exchange(fd, Packet("Hgp1.zz")), "$E")) << "bad thread id";
  EXPECT_TRUE(absl::StrContains(Exchange(fd, Packet("m0,10")), "$E")) << "unmapped memory";
  (void)Exchange(fd, std::string("\x01\xff$$##}}\x7f", 9));  // junk: whatever the reply, no crash
  const std::string alive = Exchange(fd, Packet("?"));
  EXPECT_TRUE(absl::StrContains(alive, "$T05")) << alive;
  (void)Exchange(fd, Packet("k"));
  close(fd);
  EXPECT_EQ(Finish(d), 137) << ReadFile(d.err_path);  // killed at gdb's request
  EXPECT_TRUE(absl::StrContains(ReadFile(d.err_path), "ravel: the guest was killed at gdb's request"));
}

// gdb's Ctrl-C (a 0x03 byte while the program runs) stops a thread that spins without a
// syscall: a SIGINT stop (T02), without a signal for the guest.
TEST(Gdbserver, CtrlCStopsASpinningProgram) {
  Debuggee d = StartDebuggee({RavelBinary(), "run", "--timeout", "60", "--gdbserver", "0", "--", GuestPath("spin")});
  ASSERT_NE(d.port, 0) << ReadFile(d.err_path);
  const int fd = ConnectLoopback(d.port);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_TRUE(absl::StrContains(Exchange(fd, Packet("?")), "$T05"));
  (void)Exchange(fd, "+" + Packet("vCont;c"));
  usleep(300 * 1000);  // spinning by now, or soon: the interrupt waits for it either way
  const std::string stopped = Exchange(fd, "\x03");
  EXPECT_TRUE(absl::StrContains(stopped, "$T02")) << stopped;
  (void)Exchange(fd, "+" + Packet("k"));
  close(fd);
  EXPECT_EQ(Finish(d), 137) << ReadFile(d.err_path);
}

}  // namespace
}  // namespace ravel::testing
