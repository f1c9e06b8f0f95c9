// Real multi-threaded and multi-process programs under `ravel run` produce what they
// produce natively.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/harness.h"

namespace ravel::testing {
namespace {

// ~2 MB of text with enough structure for the compressors and enough lines for sort.
std::string MakeInput() {
  std::string path = TempPath("input.txt");
  std::ofstream out(path);
  uint64_t x = 88172645463325252ull;
  for (int line = 0; line < 40000; ++line) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out << "line " << (x % 100000) << " " << std::string(x % 40, static_cast<char>('a' + x % 26)) << "\n";
  }
  return path;
}

// Runs `command` natively and under ravel; both must succeed with the same stdout.
void ExpectSameAsNative(const std::vector<std::string>& command) {
  RunOutput native = RunCommand(command);
  ASSERT_EQ(native.exit_code, 0) << native.err;
  std::vector<std::string> argv = {RavelBinary(), "run", "--seed", "5", "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  RunOutput traced = RunCommand(argv);
  EXPECT_EQ(traced.exit_code, 0) << traced.err;
  EXPECT_TRUE(absl::StrContains(traced.err, "ravel: pass ")) << traced.err;
  EXPECT_EQ(traced.out.size(), native.out.size());
  EXPECT_TRUE(traced.out == native.out) << "outputs differ";
}

TEST(Transparency, XzWithTwoThreads) {
  std::string input = MakeInput();
  ExpectSameAsNative({"/usr/bin/xz", "-T2", "-1", "--block-size=262144", "-c", input});
}

TEST(Transparency, ZstdWithTwoThreads) {
  std::string input = MakeInput();
  ExpectSameAsNative({"/usr/bin/zstd", "-T2", "-q", "-c", "--no-progress", input});
}

TEST(Transparency, ParallelSort) {
  std::string input = MakeInput();
  ExpectSameAsNative({"/usr/bin/sort", "--parallel=2", "-S", "256K", input});
}

TEST(Transparency, MakeWithTwoJobs) {
  std::string dir = TempPath("make");
  std::string makefile = dir + ".mk";
  std::ofstream(makefile) << "all: " << dir << "/c\n"
                          << dir << "/a:\n\tmkdir -p " << dir << " && echo a > $@\n"
                          << dir << "/b:\n\tmkdir -p " << dir << " && echo b > $@\n"
                          << dir << "/c: " << dir << "/a " << dir << "/b\n\tcat $^ > $@ && cat $@\n";
  std::vector<std::string> argv = {RavelBinary(), "run", "--", "/usr/bin/make", "-s", "-j2", "-f", makefile};
  RunOutput traced = RunCommand(argv);
  EXPECT_EQ(traced.exit_code, 0) << traced.err;
  EXPECT_EQ(traced.out, "a\nb\n");
  EXPECT_FALSE(absl::StrContains(traced.err, "skew")) << traced.err;
}

TEST(Transparency, PythonThreadingQueueAndSleep) {
  std::string script = TempPath("threads.py");
  std::ofstream(script) << "import threading, queue, time\n"
                           "q = queue.Queue()\n"
                           "out = []\n"
                           "def producer():\n"
                           "    for i in range(50):\n"
                           "        q.put(i)\n"
                           "        time.sleep(0.01)\n"
                           "    q.put(None)\n"
                           "def consumer():\n"
                           "    while (x := q.get()) is not None:\n"
                           "        out.append(x * 2)\n"
                           "ts = [threading.Thread(target=producer), threading.Thread(target=consumer)]\n"
                           "for t in ts: t.start()\n"
                           "for t in ts: t.join()\n"
                           "print(sum(out), len(out))\n";
  ExpectSameAsNative({"/usr/bin/python3", script});
}

}  // namespace
}  // namespace ravel::testing
