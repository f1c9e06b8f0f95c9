#include "intercept/syscall_table.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

using ::testing::HasSubstr;

TEST(SyscallTableTest, FindsByNumber) {
  const SyscallInfo* read = FindSyscall(0);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->name, "read");
  EXPECT_EQ(read->nargs, 3);
  EXPECT_EQ(read->args[0], ArgKind::kFd);
  EXPECT_EQ(read->args[1], ArgKind::kOutBuf);

  const SyscallInfo* openat = FindSyscall(257);
  ASSERT_NE(openat, nullptr);
  EXPECT_EQ(openat->name, "openat");
  EXPECT_EQ(openat->nargs, 4);
  EXPECT_EQ(openat->ret, RetKind::kFd);
  EXPECT_TRUE(openat->classes & kClassFile);
  EXPECT_TRUE(openat->classes & kClassDesc);

  EXPECT_EQ(FindSyscall(231)->ret, RetKind::kNone);  // exit_group
  EXPECT_EQ(FindSyscall(9)->ret, RetKind::kHex);     // mmap
  EXPECT_EQ(FindSyscall(467)->name, "open_tree_attr");
}

TEST(SyscallTableTest, UnknownNumbersAreNull) {
  EXPECT_EQ(FindSyscall(-1), nullptr);
  EXPECT_EQ(FindSyscall(336), nullptr);  // the x86-64 gap 336..423
  EXPECT_EQ(FindSyscall(423), nullptr);
  EXPECT_EQ(FindSyscall(kSyscallLimit), nullptr);
  EXPECT_EQ(FindSyscall(int64_t{1} << 40), nullptr);
}

TEST(SyscallTableTest, FindsByName) {
  EXPECT_EQ(SyscallNumber("read"), 0);
  EXPECT_EQ(SyscallNumber("openat"), 257);
  EXPECT_EQ(SyscallNumber("clone3"), SYS_clone3);
  EXPECT_EQ(SyscallNumber("exit_group"), SYS_exit_group);
  // Newer than the glibc headers this was written against.
  EXPECT_EQ(SyscallNumber("cachestat"), 451);
  EXPECT_EQ(SyscallNumber("fchmodat2"), 452);
  EXPECT_EQ(SyscallNumber("futex_wait"), 455);
  EXPECT_EQ(SyscallNumber("mseal"), 462);
  EXPECT_EQ(SyscallNumber("removexattrat"), 466);
  EXPECT_EQ(SyscallNumber("nosuchcall"), std::nullopt);
  EXPECT_EQ(SyscallNumber(""), std::nullopt);
  EXPECT_EQ(SyscallNumber("READ"), std::nullopt);
}

TEST(SyscallTableTest, TableIsSortedUniqueAndRoundTrips) {
  std::set<std::string_view> names;
  int previous = -1;
  for (const SyscallInfo& s : AllSyscalls()) {
    EXPECT_GT(s.nr, previous) << s.name;
    previous = s.nr;
    EXPECT_LT(s.nr, kSyscallLimit);
    EXPECT_LE(s.nargs, 6) << s.name;
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate " << s.name;
    EXPECT_EQ(FindSyscall(s.nr), &s);
    EXPECT_EQ(SyscallNumber(s.name), s.nr);
  }
  EXPECT_GE(AllSyscalls().size(), 380u);
  EXPECT_EQ(AllSyscalls().front().nr, 0);
}

// Every syscall the installed kernel headers know must be in the table with
// the same number (the static_assert only covers glibc's SYS_ macros).
TEST(SyscallTableTest, MatchesKernelHeader) {
  std::ifstream header("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
  if (!header) GTEST_SKIP() << "no kernel header installed";
  const std::regex define(R"(^#define __NR_(\w+) (\d+)$)");
  int seen = 0;
  for (std::string line; std::getline(header, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, define)) continue;
    ++seen;
    EXPECT_EQ(SyscallNumber(m[1].str()), std::stoi(m[2].str())) << m[1].str();
  }
  EXPECT_GT(seen, 300);
}

int Count(const SyscallSet& set) { return static_cast<int>(set.count()); }

bool Has(const SyscallSet& set, std::string_view name) {
  std::optional<int> nr = SyscallNumber(name);
  return nr.has_value() && set.test(*nr);
}

TEST(ParseSyscallSetTest, Names) {
  absl::StatusOr<SyscallSet> set = ParseSyscallSet("open,close");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(Count(*set), 2);
  EXPECT_TRUE(Has(*set, "open"));
  EXPECT_TRUE(Has(*set, "close"));
  EXPECT_FALSE(Has(*set, "openat"));

  set = ParseSyscallSet(" read , write ");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(Count(*set), 2);
  EXPECT_TRUE(Has(*set, "write"));
}

TEST(ParseSyscallSetTest, Classes) {
  absl::StatusOr<SyscallSet> file = ParseSyscallSet("%file");
  ASSERT_TRUE(file.ok()) << file.status();
  for (std::string_view name : {"open", "openat", "execve", "stat", "unlinkat", "statx"}) {
    EXPECT_TRUE(Has(*file, name)) << name;
  }
  for (std::string_view name : {"read", "close", "mmap", "fstat"}) {
    EXPECT_FALSE(Has(*file, name)) << name;
  }
  // The old spelling without % means the same.
  absl::StatusOr<SyscallSet> bare = ParseSyscallSet("file");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, *file);

  absl::StatusOr<SyscallSet> process = ParseSyscallSet("%process");
  ASSERT_TRUE(process.ok());
  for (std::string_view name : {"clone", "clone3", "fork", "execve", "exit_group", "wait4",
                                "kill"}) {
    EXPECT_TRUE(Has(*process, name)) << name;
  }
  EXPECT_FALSE(Has(*process, "read"));

  absl::StatusOr<SyscallSet> net = ParseSyscallSet("%net");
  absl::StatusOr<SyscallSet> network = ParseSyscallSet("%network");
  ASSERT_TRUE(net.ok() && network.ok());
  EXPECT_EQ(*net, *network);
  EXPECT_TRUE(Has(*net, "connect"));
  EXPECT_TRUE(Has(*net, "accept4"));

  absl::StatusOr<SyscallSet> signal = ParseSyscallSet("%signal");
  ASSERT_TRUE(signal.ok());
  EXPECT_TRUE(Has(*signal, "rt_sigaction"));
  EXPECT_TRUE(Has(*signal, "kill"));
  EXPECT_FALSE(Has(*signal, "write"));

  absl::StatusOr<SyscallSet> memory = ParseSyscallSet("%memory");
  ASSERT_TRUE(memory.ok());
  EXPECT_TRUE(Has(*memory, "mmap"));
  EXPECT_TRUE(Has(*memory, "brk"));

  absl::StatusOr<SyscallSet> stat = ParseSyscallSet("%stat");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(Count(*stat), 1);
  absl::StatusOr<SyscallSet> stat_like = ParseSyscallSet("%%stat");
  ASSERT_TRUE(stat_like.ok());
  for (std::string_view name : {"stat", "fstat", "lstat", "newfstatat", "statx"}) {
    EXPECT_TRUE(Has(*stat_like, name)) << name;
  }
  EXPECT_FALSE(Has(*stat_like, "statfs"));
}

TEST(ParseSyscallSetTest, AllNoneAndNegation) {
  absl::StatusOr<SyscallSet> all = ParseSyscallSet("all");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Count(*all), kSyscallLimit);
  absl::StatusOr<SyscallSet> none = ParseSyscallSet("none");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(Count(*none), 0);
  absl::StatusOr<SyscallSet> not_all = ParseSyscallSet("!all");
  ASSERT_TRUE(not_all.ok());
  EXPECT_EQ(Count(*not_all), 0);

  absl::StatusOr<SyscallSet> not_open = ParseSyscallSet("!open,close");
  ASSERT_TRUE(not_open.ok());
  EXPECT_EQ(Count(*not_open), kSyscallLimit - 2);
  EXPECT_FALSE(Has(*not_open, "open"));
  EXPECT_FALSE(Has(*not_open, "close"));
  EXPECT_TRUE(Has(*not_open, "read"));

  absl::StatusOr<SyscallSet> not_file = ParseSyscallSet("!%file");
  ASSERT_TRUE(not_file.ok());
  EXPECT_FALSE(Has(*not_file, "openat"));
  EXPECT_TRUE(Has(*not_file, "read"));
}

TEST(ParseSyscallSetTest, OptionalNamesAndNumbers) {
  absl::StatusOr<SyscallSet> set = ParseSyscallSet("?nosuchcall,read,?%nosuchclass");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(Count(*set), 1);
  EXPECT_TRUE(Has(*set, "read"));

  set = ParseSyscallSet("500");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->test(500));
  EXPECT_EQ(Count(*set), 1);
}

TEST(ParseSyscallSetTest, Errors) {
  absl::StatusOr<SyscallSet> set = ParseSyscallSet("read,foo");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.status().message(), "unknown syscall 'foo' in set 'read,foo'");

  set = ParseSyscallSet("%nosuchclass");
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(std::string(set.status().message()), HasSubstr("'%nosuchclass'"));

  EXPECT_FALSE(ParseSyscallSet("").ok());
  EXPECT_FALSE(ParseSyscallSet("!").ok());
  EXPECT_FALSE(ParseSyscallSet("read,,write").ok());
  EXPECT_FALSE(ParseSyscallSet("512").ok());
  EXPECT_FALSE(ParseSyscallSet("-1").ok());
}

TEST(NamesTest, Errno) {
  EXPECT_EQ(ErrnoName(ENOENT), "ENOENT");
  EXPECT_EQ(ErrnoName(EAGAIN), "EAGAIN");
  EXPECT_EQ(ErrnoName(EHWPOISON), "EHWPOISON");
  EXPECT_EQ(ErrnoName(512), "ERESTARTSYS");
  EXPECT_EQ(ErrnoName(516), "ERESTART_RESTARTBLOCK");
  EXPECT_EQ(ErrnoName(0), "");
  EXPECT_EQ(ErrnoName(-2), "");
  EXPECT_EQ(ErrnoName(520), "");
  EXPECT_EQ(ErrnoName(4000), "");

  EXPECT_EQ(ErrnoByName("ENOENT"), ENOENT);
  EXPECT_EQ(ErrnoByName("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(ErrnoByName("ERESTARTSYS"), 512);
  EXPECT_EQ(ErrnoByName("enoent"), std::nullopt);
  EXPECT_EQ(ErrnoByName("EFOO"), std::nullopt);
  for (int err = 1; err <= EHWPOISON; ++err) {
    std::string_view name = ErrnoName(err);
    if (name.empty()) continue;  // 41 and 58 are unused
    EXPECT_EQ(ErrnoByName(name), err) << name;
  }
}

TEST(NamesTest, Signals) {
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGSYS), "SIGSYS");
  EXPECT_EQ(SignalName(32), "SIGRTMIN");
  EXPECT_EQ(SignalName(33), "SIGRT_1");
  EXPECT_EQ(SignalName(64), "SIGRT_32");
  EXPECT_EQ(SignalName(0), "");
  EXPECT_EQ(SignalName(65), "");

  EXPECT_EQ(SignalByName("SIGTERM"), SIGTERM);
  EXPECT_EQ(SignalByName("TERM"), SIGTERM);
  EXPECT_EQ(SignalByName("SIGRT_2"), 34);
  EXPECT_EQ(SignalByName("9"), 9);
  EXPECT_EQ(SignalByName("SIGIOT"), SIGABRT);
  EXPECT_EQ(SignalByName("SIGFOO"), std::nullopt);
  EXPECT_EQ(SignalByName("0"), std::nullopt);
  for (int sig = 1; sig <= 64; ++sig) EXPECT_EQ(SignalByName(SignalName(sig)), sig) << sig;
}

}  // namespace
}  // namespace ravel
