#include "intercept/syscall_printer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <dirent.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace ravel {
namespace {

// Copies like memcpy, but unseen by AddressSanitizer: the printer reads a C
// string a page chunk at a time, which runs past the end of a small test
// object (harmless: the rest of the page is mapped), as it would in a traced
// process.
__attribute__((no_sanitize("address"))) void CopyUnchecked(void* dst, uint64_t src, size_t n) {
  const volatile char* from = reinterpret_cast<const volatile char*>(src);
  char* to = static_cast<char*>(dst);
  for (size_t i = 0; i < n; ++i) to[i] = from[i];
}

// Reads the test process's own memory: addresses are ordinary pointers.
class SelfMemory : public RemoteReader {
 public:
  size_t Read(uint64_t addr, void* buf, size_t n) override {
    CopyUnchecked(buf, addr, n);
    return n;
  }
};

// Only [begin, end) is readable, like a mapping followed by an unmapped page.
class BoundedMemory : public RemoteReader {
 public:
  BoundedMemory(const void* begin, const void* end)
      : begin_(reinterpret_cast<uint64_t>(begin)), end_(reinterpret_cast<uint64_t>(end)) {}
  size_t Read(uint64_t addr, void* buf, size_t n) override {
    if (addr < begin_ || addr >= end_) return 0;
    size_t readable = std::min<uint64_t>(n, end_ - addr);
    CopyUnchecked(buf, addr, readable);
    return readable;
  }

 private:
  uint64_t begin_, end_;
};

// Refuses any request that crosses a 4 KiB page boundary, so callers must
// split their reads at pages.
class PageStrictMemory : public RemoteReader {
 public:
  size_t Read(uint64_t addr, void* buf, size_t n) override {
    if (n > 0 && addr / 4096 != (addr + n - 1) / 4096) return 0;
    CopyUnchecked(buf, addr, n);
    return n;
  }
};

uint64_t A(const void* p) { return reinterpret_cast<uint64_t>(p); }
std::string Hex(const void* p) { return absl::StrFormat("%#x", A(p)); }
uint64_t Neg(int64_t v) { return static_cast<uint64_t>(v); }

constexpr uint64_t kSaRestorer = 0x04000000;  // kernel-only; not in <signal.h>

class PrinterTest : public ::testing::Test {
 protected:
  // Decodes at entry, then formats at exit with `ret`.
  std::string Call(int64_t nr, std::array<uint64_t, 6> args, int64_t ret) {
    DecodedEntry e = DecodeEntry(nr, args, mem_, opt_);
    return FormatCall(e, ret, mem_, opt_);
  }

  SelfMemory mem_;
  PrintOptions opt_;
};

TEST_F(PrinterTest, OpenatWithFlags) {
  const char path[] = "/etc/passwd";
  EXPECT_EQ(Call(SYS_openat, {Neg(AT_FDCWD), A(path), O_RDONLY | O_CLOEXEC, 0}, 3),
            R"(openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3)");
  // The mode is shown only when the call may create the file.
  EXPECT_EQ(Call(SYS_openat,
                 {5, A(path), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644}, 4),
            R"(openat(5, "/etc/passwd", O_WRONLY|O_CREAT|O_TRUNC|O_APPEND, 0644) = 4)");
  EXPECT_EQ(Call(SYS_openat, {Neg(AT_FDCWD), A(path), O_RDONLY | O_NONBLOCK | O_CLOEXEC |
                                                          O_DIRECTORY | 0x40000000, 0}, 3),
            R"(openat(AT_FDCWD, "/etc/passwd", )"
            R"(O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY|0x40000000) = 3)");
  EXPECT_EQ(Call(SYS_open, {A(path), O_RDWR | O_CREAT, 0}, 3),
            R"(open("/etc/passwd", O_RDWR|O_CREAT, 000) = 3)");
}

TEST_F(PrinterTest, FailedOpenat) {
  const char path[] = "/nonexistent";
  EXPECT_EQ(Call(SYS_openat, {Neg(AT_FDCWD), A(path), O_RDONLY, 0}, -ENOENT),
            R"(openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT )"
            R"((No such file or directory))");
}

TEST_F(PrinterTest, WriteEscapesAndTruncates) {
  const char buf[] = "a\0b\033c\0331\n\t\r\"\\\x80\xff";
  const size_t len = sizeof(buf) - 1;
  ASSERT_EQ(len, 14u);
  EXPECT_EQ(Call(SYS_write, {1, A(buf), len, 0, 0, 0}, len),
            R"(write(1, "a\0b\33c\0331\n\t\r\"\\\200\377", 14) = 14)");
  opt_.string_limit = 8;
  EXPECT_EQ(Call(SYS_write, {1, A(buf), len, 0, 0, 0}, len),
            R"(write(1, "a\0b\33c\0331\n"..., 14) = 14)");
  // The length argument decides, not a NUL.
  EXPECT_EQ(Call(SYS_write, {1, A(buf), 3, 0, 0, 0}, 3), R"(write(1, "a\0b", 3) = 3)");
  EXPECT_EQ(Call(SYS_write, {1, 0, 3, 0, 0, 0}, -EFAULT),
            "write(1, NULL, 3) = -1 EFAULT (Bad address)");
}

TEST_F(PrinterTest, ReadIsDecodedAtExit) {
  char buf[100] = "stale";
  DecodedEntry e = DecodeEntry(SYS_read, {3, A(buf), sizeof(buf)}, mem_, opt_);
  ASSERT_EQ(e.text.size(), 3u);
  EXPECT_EQ(e.text[0], "3");
  EXPECT_EQ(e.text[1], "");  // decoded at exit
  EXPECT_TRUE(HasExitOutputs(SYS_read));
  EXPECT_FALSE(HasExitOutputs(SYS_write));
  EXPECT_EQ(FormatEntryOnly(e), "read(3, ");

  std::memcpy(buf, "hello world", 11);  // what the kernel wrote
  EXPECT_EQ(FormatCall(e, 5, mem_, opt_), R"(read(3, "hello", 100) = 5)");
  EXPECT_EQ(FormatResumed(e, 5, mem_, opt_), R"("hello", 100) = 5)");
  EXPECT_EQ(FormatCall(e, -EAGAIN, mem_, opt_),
            absl::StrFormat("read(3, %s, 100) = -1 EAGAIN (Resource temporarily unavailable)",
                            Hex(buf)));
}

TEST_F(PrinterTest, ExecveArgvAndEnvp) {
  const char path[] = "/bin/echo";
  const char* argv[] = {"/bin/echo", "hi", nullptr};
  const char* envp[] = {"A=1", "B=2", nullptr};
  EXPECT_EQ(Call(SYS_execve, {A(path), A(argv), A(envp)}, 0),
            absl::StrFormat(R"(execve("/bin/echo", ["/bin/echo", "hi"], %s /* 2 vars */) = 0)",
                            Hex(envp)));
  opt_.verbose_structs = true;
  EXPECT_EQ(Call(SYS_execve, {A(path), A(argv), A(envp)}, -ENOENT),
            R"(execve("/bin/echo", ["/bin/echo", "hi"], ["A=1", "B=2"]) = -1 ENOENT )"
            R"((No such file or directory))");
  // -s limits argv strings but never the path.
  opt_.string_limit = 4;
  opt_.verbose_structs = false;
  EXPECT_EQ(Call(SYS_execve, {A(path), A(argv), 0}, 0),
            R"(execve("/bin/echo", ["/bin"..., "hi"], NULL) = 0)");
}

TEST_F(PrinterTest, StatStructs) {
  const char path[] = "/etc/passwd";
  struct stat st = {};
  st.st_mode = S_IFREG | 0644;
  st.st_size = 123;
  EXPECT_EQ(Call(SYS_newfstatat, {Neg(AT_FDCWD), A(path), A(&st), 0}, 0),
            R"(newfstatat(AT_FDCWD, "/etc/passwd", {st_mode=S_IFREG|0644, st_size=123, ...}, )"
            R"(0) = 0)");
  EXPECT_EQ(Call(SYS_fstat, {3, A(&st)}, 0),
            "fstat(3, {st_mode=S_IFREG|0644, st_size=123, ...}) = 0");
  EXPECT_EQ(Call(SYS_newfstatat, {Neg(AT_FDCWD), A(path), A(&st), AT_SYMLINK_NOFOLLOW}, -ENOENT),
            absl::StrFormat(R"(newfstatat(AT_FDCWD, "/etc/passwd", %s, AT_SYMLINK_NOFOLLOW) = )"
                            R"(-1 ENOENT (No such file or directory))",
                            Hex(&st)));

  st.st_mode = S_IFCHR | 0666;
  st.st_rdev = makedev(1, 3);
  EXPECT_EQ(Call(SYS_stat, {A(path), A(&st)}, 0),
            R"(stat("/etc/passwd", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}) = 0)");

  opt_.verbose_structs = true;
  st = {};
  st.st_dev = makedev(0xfe, 0);
  st.st_ino = 861;
  st.st_mode = S_IFDIR | 0755;
  st.st_nlink = 2;
  st.st_blksize = 4096;
  st.st_blocks = 8;
  st.st_size = 4096;
  st.st_atim = {1700000000, 5};
  EXPECT_EQ(Call(SYS_fstat, {3, A(&st)}, 0),
            "fstat(3, {st_dev=makedev(0xfe, 0), st_ino=861, st_mode=S_IFDIR|0755, st_nlink=2, "
            "st_uid=0, st_gid=0, st_blksize=4096, st_blocks=8, st_size=4096, "
            "st_atime=1700000000 /* 2023-11-14T22:13:20.000000005+0000 */, st_atime_nsec=5, "
            "st_mtime=0 /* 1970-01-01T00:00:00+0000 */, st_mtime_nsec=0, "
            "st_ctime=0 /* 1970-01-01T00:00:00+0000 */, st_ctime_nsec=0}) = 0");
}

TEST_F(PrinterTest, Statx) {
  const char path[] = "/x";
  struct statx stx = {};
  stx.stx_mask = STATX_BASIC_STATS;
  stx.stx_mode = S_IFREG | 0600;
  stx.stx_size = 7;
  EXPECT_EQ(Call(SYS_statx, {Neg(AT_FDCWD), A(path), AT_SYMLINK_NOFOLLOW, STATX_ALL, A(&stx)}, 0),
            R"(statx(AT_FDCWD, "/x", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, STATX_ALL, )"
            R"({stx_mask=STATX_BASIC_STATS, stx_attributes=0, stx_mode=S_IFREG|0600, )"
            R"(stx_size=7, ...}) = 0)");
}

TEST_F(PrinterTest, Sockaddrs) {
  sockaddr_in in = {};
  in.sin_family = AF_INET;
  in.sin_port = htons(80);
  in.sin_addr.s_addr = inet_addr("127.0.0.1");
  EXPECT_EQ(Call(SYS_connect, {3, A(&in), sizeof(in)}, -ECONNREFUSED),
            R"(connect(3, {sa_family=AF_INET, sin_port=htons(80), )"
            R"(sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused))");

  sockaddr_un un = {};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/tmp/sock");
  EXPECT_EQ(Call(SYS_bind, {4, A(&un), sizeof(un)}, 0),
            R"(bind(4, {sa_family=AF_UNIX, sun_path="/tmp/sock"}, 110) = 0)");
  // Abstract names start with a NUL and are not NUL-terminated.
  std::memcpy(un.sun_path, "\0abs", 4);
  EXPECT_EQ(Call(SYS_bind, {4, A(&un), offsetof(sockaddr_un, sun_path) + 4}, 0),
            R"(bind(4, {sa_family=AF_UNIX, sun_path=@"abs"}, 6) = 0)");

  sockaddr_in6 in6 = {};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  in6.sin6_addr = in6addr_loopback;
  const char x[] = "x";
  EXPECT_EQ(Call(SYS_sendto, {6, A(x), 1, MSG_DONTWAIT, A(&in6), sizeof(in6)}, 1),
            R"(sendto(6, "x", 1, MSG_DONTWAIT, {sa_family=AF_INET6, sin6_port=htons(443), )"
            R"(sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), )"
            R"(sin6_scope_id=0}, 28) = 1)");
}

TEST_F(PrinterTest, AcceptShowsValueResultLength) {
  sockaddr_storage ss = {};
  socklen_t len = sizeof(ss);
  DecodedEntry e = DecodeEntry(SYS_getsockname, {3, A(&ss), A(&len)}, mem_, opt_);
  ss.ss_family = AF_UNIX;
  len = 2;  // the kernel's answer
  EXPECT_EQ(FormatCall(e, 0, mem_, opt_), "getsockname(3, {sa_family=AF_UNIX}, [128 => 2]) = 0");
}

TEST_F(PrinterTest, Iovecs) {
  char a[] = "hi", b[] = "there";
  iovec iov[2] = {{a, 2}, {b, 5}};
  EXPECT_EQ(Call(SYS_writev, {4, A(iov), 2}, 7),
            R"(writev(4, [{iov_base="hi", iov_len=2}, {iov_base="there", iov_len=5}], 2) = 7)");

  // readv: only the returned byte count is data, spread over the buffers.
  char out[64] = {};
  iovec in[2] = {{out, 3}, {out + 10, 50}};
  DecodedEntry e = DecodeEntry(SYS_readv, {3, A(in), 2}, mem_, opt_);
  std::memcpy(out, "hit", 3);
  std::memcpy(out + 10, "here", 4);
  EXPECT_EQ(FormatCall(e, 7, mem_, opt_),
            R"(readv(3, [{iov_base="hit", iov_len=3}, {iov_base="here", iov_len=50}], 2) = 7)");
}

TEST_F(PrinterTest, PollFds) {
  pollfd fds[2] = {{3, POLLIN, 0}, {4, POLLIN | POLLOUT, 0}};
  DecodedEntry e = DecodeEntry(SYS_poll, {A(fds), 2, 0}, mem_, opt_);
  fds[1].revents = POLLOUT;
  EXPECT_EQ(FormatCall(e, 1, mem_, opt_),
            "poll([{fd=3, events=POLLIN}, {fd=4, events=POLLIN|POLLOUT}], 2, 0) = 1 "
            "([{fd=4, revents=POLLOUT}])");
  fds[1].revents = 0;
  EXPECT_EQ(FormatCall(e, 0, mem_, opt_),
            "poll([{fd=3, events=POLLIN}, {fd=4, events=POLLIN|POLLOUT}], 2, 0) = 0 (Timeout)");
}

TEST_F(PrinterTest, CloneFlags) {
  const uint64_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                                CLONE_CHILD_CLEARTID;
  int parent_tid = 0;
  const uint64_t stack = 0x7f2d6a7fdff0, tls = 0x7f2d6a7fe700, child_tid = 0x7f2d6a7fe9d0;
  DecodedEntry e =
      DecodeEntry(SYS_clone, {thread_flags, stack, A(&parent_tid), child_tid, tls}, mem_, opt_);
  parent_tid = 1235;
  EXPECT_EQ(FormatCall(e, 1235, mem_, opt_),
            "clone(child_stack=0x7f2d6a7fdff0, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
            "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
            "parent_tid=[1235], tls=0x7f2d6a7fe700, child_tidptr=0x7f2d6a7fe9d0) = 1235");

  // fork() as glibc does it: the exit signal sits in the low byte.
  EXPECT_EQ(Call(SYS_clone, {CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD, 0, 0,
                             0x7fc8f1261a10, 0},
                 3086),
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
            "child_tidptr=0x7fc8f1261a10) = 3086");

  EXPECT_EQ(Call(SYS_unshare, {CLONE_NEWNS | CLONE_NEWPID}, 0),
            "unshare(CLONE_NEWNS|CLONE_NEWPID) = 0");
}

TEST_F(PrinterTest, Clone3Args) {
  uint64_t args[11] = {};
  args[0] = CLONE_VM | CLONE_VFORK;  // flags
  args[4] = SIGCHLD;                 // exit_signal
  args[5] = 0x7f0000000000;          // stack
  args[6] = 0x10000;                 // stack_size
  EXPECT_EQ(Call(SYS_clone3, {A(args), 88}, 42),
            "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f0000000000, "
            "stack_size=0x10000}, 88) = 42");
}

TEST_F(PrinterTest, KillAndSignals) {
  EXPECT_EQ(Call(SYS_kill, {123, SIGTERM}, 0), "kill(123, SIGTERM) = 0");
  EXPECT_EQ(Call(SYS_kill, {Neg(-1), 0}, -ESRCH), "kill(-1, 0) = -1 ESRCH (No such process)");
  EXPECT_EQ(Call(SYS_tgkill, {10, 11, 34}, 0), "tgkill(10, 11, SIGRT_2) = 0");

  struct {
    uint64_t handler, flags, restorer, mask;
  } act = {0x55d0c0de1000, kSaRestorer | SA_RESTART, 0x7f0000001234,
           (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1))};
  EXPECT_EQ(Call(SYS_rt_sigaction, {SIGINT, A(&act), 0, 8}, 0),
            "rt_sigaction(SIGINT, {sa_handler=0x55d0c0de1000, sa_mask=[INT TERM], "
            "sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f0000001234}, NULL, 8) = 0");

  uint64_t all_but_two = ~((1ull << 31) | (1ull << 32));  // no RTMIN, RT_1
  uint64_t old_mask = 0;
  DecodedEntry e =
      DecodeEntry(SYS_rt_sigprocmask, {SIG_BLOCK, A(&all_but_two), A(&old_mask), 8}, mem_, opt_);
  old_mask = 1ull << (SIGCHLD - 1);
  EXPECT_EQ(FormatCall(e, 0, mem_, opt_),
            "rt_sigprocmask(SIG_BLOCK, ~[RTMIN RT_1], [CHLD], 8) = 0");
}

TEST_F(PrinterTest, UnknownSyscall) {
  EXPECT_EQ(Call(500, {1, 2, 3, 0, 0, 7}, -ENOSYS),
            "syscall_0x1f4(0x1, 0x2, 0x3, 0, 0, 0x7) = -1 ENOSYS (Function not implemented)");
  EXPECT_EQ(Call(400, {0, 0, 0, 0, 0, 0}, 0), "syscall_0x190(0, 0, 0, 0, 0, 0) = 0");
  EXPECT_FALSE(HasExitOutputs(500));
}

TEST_F(PrinterTest, MmapReturnsHex) {
  EXPECT_EQ(Call(SYS_mmap, {0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            Neg(-1), 0},
                 0x7f22ade78000),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = "
            "0x7f22ade78000");
  EXPECT_EQ(Call(SYS_mmap, {0x7f22adcb0000, 1400832, PROT_READ | PROT_EXEC,
                            MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, 3, 0x26000},
                 0x7f22adcb0000),
            "mmap(0x7f22adcb0000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|"
            "MAP_DENYWRITE, 3, 0x26000) = 0x7f22adcb0000");
  EXPECT_EQ(Call(SYS_mmap, {0, 4096, PROT_NONE, MAP_SHARED, 3, 0}, -ENOMEM),
            "mmap(NULL, 4096, PROT_NONE, MAP_SHARED, 3, 0) = -1 ENOMEM (Cannot allocate memory)");
  EXPECT_EQ(Call(SYS_brk, {0}, 0x55679d520000), "brk(NULL) = 0x55679d520000");
  EXPECT_EQ(Call(SYS_umask, {022}, 02), "umask(022) = 002");
  EXPECT_EQ(Call(SYS_umask, {0}, 022), "umask(000) = 022");
}

TEST_F(PrinterTest, ExitGroupNeverReturns) {
  DecodedEntry e = DecodeEntry(SYS_exit_group, {0}, mem_, opt_);
  EXPECT_EQ(FormatNoReturn(e), "exit_group(0) = ?");
  EXPECT_EQ(FormatReturn(SYS_exit_group, 0), " = ?");
  EXPECT_EQ(FormatEntryOnly(e), "exit_group(0");
  EXPECT_FALSE(HasExitOutputs(SYS_exit_group));
}

TEST_F(PrinterTest, FutexOps) {
  int word = 0;
  EXPECT_EQ(Call(SYS_futex, {A(&word), FUTEX_WAIT_PRIVATE, 2, 0, 0, 0}, -EAGAIN),
            absl::StrFormat("futex(%s, FUTEX_WAIT_PRIVATE, 2, NULL) = -1 EAGAIN (Resource "
                            "temporarily unavailable)",
                            Hex(&word)));
  EXPECT_EQ(Call(SYS_futex, {A(&word), FUTEX_WAKE_PRIVATE, 1, 0, 0, 0}, 0),
            absl::StrFormat("futex(%s, FUTEX_WAKE_PRIVATE, 1) = 0", Hex(&word)));
  EXPECT_EQ(Call(SYS_futex, {A(&word), FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 4457, 0, 0,
                             FUTEX_BITSET_MATCH_ANY},
                 0),
            absl::StrFormat("futex(%s, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 4457, NULL, "
                            "FUTEX_BITSET_MATCH_ANY) = 0",
                            Hex(&word)));
  timespec ts = {1, 500};
  EXPECT_EQ(Call(SYS_futex, {A(&word), FUTEX_WAIT, 0, A(&ts), 0, 0}, -ETIMEDOUT),
            absl::StrFormat("futex(%s, FUTEX_WAIT, 0, {tv_sec=1, tv_nsec=500}) = -1 ETIMEDOUT "
                            "(Connection timed out)",
                            Hex(&word)));
}

TEST_F(PrinterTest, Wait4Status) {
  int status = 0;
  DecodedEntry e = DecodeEntry(SYS_wait4, {Neg(-1), A(&status), 0, 0}, mem_, opt_);
  status = 0;  // exited with 0
  EXPECT_EQ(FormatCall(e, 77, mem_, opt_),
            "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 77");
  status = SIGSEGV | 0x80;  // killed, core dumped
  EXPECT_EQ(FormatCall(e, 77, mem_, opt_),
            "wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) "
            "= 77");
  status = 0x7f | (SIGTRAP << 8) | (3 << 16);
  EXPECT_EQ(FormatCall(e, 77, mem_, opt_),
            "wait4(-1, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP} | PTRACE_EVENT_CLONE << 16], "
            "0, NULL) = 77");
  e = DecodeEntry(SYS_wait4, {12, A(&status), WNOHANG | __WALL, 0}, mem_, opt_);
  EXPECT_EQ(FormatCall(e, 0, mem_, opt_),
            absl::StrFormat("wait4(12, %s, WNOHANG|__WALL, NULL) = 0", Hex(&status)));
}

TEST_F(PrinterTest, PipeFdsAtExit) {
  int fds[2] = {-1, -1};
  DecodedEntry e = DecodeEntry(SYS_pipe2, {A(fds), O_CLOEXEC | O_NONBLOCK}, mem_, opt_);
  fds[0] = 3;
  fds[1] = 4;
  EXPECT_EQ(FormatCall(e, 0, mem_, opt_), "pipe2([3, 4], O_NONBLOCK|O_CLOEXEC) = 0");
  EXPECT_EQ(Call(SYS_pipe2, {A(fds), 0}, 0), "pipe2([3, 4], 0) = 0");
}

TEST_F(PrinterTest, FcntlAndMisc) {
  EXPECT_EQ(Call(SYS_fcntl, {0, F_GETFL, 0}, 0x8002),
            "fcntl(0, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)");
  EXPECT_EQ(Call(SYS_fcntl, {0, F_SETFD, FD_CLOEXEC}, 0), "fcntl(0, F_SETFD, FD_CLOEXEC) = 0");
  EXPECT_EQ(Call(SYS_fcntl, {0, F_SETFL, O_NONBLOCK | O_APPEND}, 0),
            "fcntl(0, F_SETFL, O_RDONLY|O_APPEND|O_NONBLOCK) = 0");
  EXPECT_EQ(Call(SYS_fcntl, {0, F_DUPFD_CLOEXEC, 10}, 11), "fcntl(0, F_DUPFD_CLOEXEC, 10) = 11");
  EXPECT_EQ(Call(SYS_lseek, {0, 0, SEEK_CUR}, 0), "lseek(0, 0, SEEK_CUR) = 0");
  EXPECT_EQ(Call(SYS_socket, {AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0}, 5),
            "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5");
  const char etc[] = "/etc";
  EXPECT_EQ(Call(SYS_access, {A(etc), R_OK | W_OK}, 0), R"(access("/etc", R_OK|W_OK) = 0)");
  EXPECT_EQ(Call(SYS_access, {A(etc), F_OK}, 0), R"(access("/etc", F_OK) = 0)");
  EXPECT_EQ(Call(SYS_arch_prctl, {0x1002, 0x7f22adc87740}, 0),
            "arch_prctl(ARCH_SET_FS, 0x7f22adc87740) = 0");
  EXPECT_EQ(Call(SYS_close, {3}, -EBADF), "close(3) = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(Call(SYS_getpid, {}, 42), "getpid() = 42");
}

TEST_F(PrinterTest, InterruptedCalls) {
  EXPECT_EQ(FormatReturn(SYS_read, -512),
            " = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
  EXPECT_EQ(FormatReturn(SYS_pause, -514), " = ? ERESTARTNOHAND (To be restarted if no handler)");
  EXPECT_EQ(FormatReturn(SYS_nanosleep, -516),
            " = ? ERESTART_RESTARTBLOCK (Interrupted by signal)");
  EXPECT_EQ(FormatReturn(SYS_read, -EINTR), " = -1 EINTR (Interrupted system call)");
  EXPECT_EQ(FormatReturn(SYS_read, -4000), " = -1 4000 (Unknown error 4000)");
  // Not an error: below the errno range.
  EXPECT_EQ(FormatReturn(SYS_lseek, -5000), " = -5000");
}

TEST_F(PrinterTest, UnfinishedAndResumedJoinToTheWholeLine) {
  char buf[16] = "abc";
  DecodedEntry e = DecodeEntry(SYS_pread64, {7, A(buf), sizeof(buf), 100}, mem_, opt_);
  EXPECT_EQ(FormatEntryOnly(e) + FormatResumed(e, 3, mem_, opt_), FormatCall(e, 3, mem_, opt_));
  EXPECT_EQ(FormatCall(e, 3, mem_, opt_), R"(pread64(7, "abc", 16, 100) = 3)");
  DecodedEntry close = DecodeEntry(SYS_close, {3}, mem_, opt_);
  EXPECT_EQ(FormatEntryOnly(close), "close(3");
  EXPECT_EQ(FormatResumed(close, 0, mem_, opt_), ") = 0");
}

// Shapes found by running programs under both strace and this printer.
TEST_F(PrinterTest, MoreStructsAsStracePrintsThem) {
  // clone3 reports the tid it stored for the parent after the struct.
  int parent_tid = 0;
  uint64_t ca[11] = {};
  ca[0] = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_PARENT_SETTID;
  ca[3] = A(&parent_tid);
  DecodedEntry e = DecodeEntry(SYS_clone3, {A(ca), 88}, mem_, opt_);
  parent_tid = 99;
  EXPECT_TRUE(HasExitOutputs(SYS_clone3));
  EXPECT_EQ(FormatCall(e, 99, mem_, opt_),
            absl::StrFormat("clone3({flags=CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|"
                            "CLONE_PARENT_SETTID, parent_tid=%s, exit_signal=0, stack=NULL, "
                            "stack_size=0} => {parent_tid=[99]}, 88) = 99",
                            Hex(&parent_tid)));

  // pselect6: ready sets and the time left, written back by the kernel.
  uint64_t out_set = 1u << 3;
  timespec left = {2, 0};
  e = DecodeEntry(SYS_pselect6, {4, 0, A(&out_set), 0, A(&left), 0}, mem_, opt_);
  left = {1, 999};
  EXPECT_EQ(FormatCall(e, 1, mem_, opt_),
            "pselect6(4, NULL, [3], NULL, {tv_sec=2, tv_nsec=0}, NULL) = 1 "
            "(out [3], left {tv_sec=1, tv_nsec=999})");
  EXPECT_EQ(FormatCall(e, 0, mem_, opt_),
            "pselect6(4, NULL, [3], NULL, {tv_sec=2, tv_nsec=0}, NULL) = 0 (Timeout)");

  // Sticky and set-id bits are named in st_mode.
  struct stat st = {};
  st.st_mode = S_IFDIR | S_ISVTX | 0777;
  st.st_size = 4096;
  EXPECT_EQ(Call(SYS_fstat, {3, A(&st)}, 0),
            "fstat(3, {st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}) = 0");

  uint64_t rlim[2] = {8192 * 1024, ~uint64_t{0}};
  EXPECT_EQ(Call(SYS_prlimit64, {0, RLIMIT_STACK, 0, A(rlim)}, 0),
            "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0");
  rlim[0] = 1024;
  rlim[1] = 4096;
  EXPECT_EQ(Call(SYS_setrlimit, {RLIMIT_NOFILE, A(rlim)}, 0),
            "setrlimit(RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4*1024}) = 0");

  gid_t groups[3] = {1, 2, 3};
  EXPECT_EQ(Call(SYS_getgroups, {3, A(groups)}, 3), "getgroups(3, [1, 2, 3]) = 3");
  EXPECT_EQ(Call(SYS_getgroups, {0, 0}, 2), "getgroups(0, NULL) = 2");
  EXPECT_EQ(Call(SYS_sched_getscheduler, {0}, 0), "sched_getscheduler(0) = 0 (SCHED_OTHER)");
  EXPECT_EQ(Call(SYS_fcntl, {3, F_GETFD}, 1), "fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)");
}

TEST_F(PrinterTest, Dirents) {
  alignas(8) char buf[64] = {};
  auto put = [&](size_t off, uint64_t ino, uint16_t reclen, uint8_t type, const char* name) {
    std::memcpy(buf + off, &ino, 8);
    std::memcpy(buf + off + 16, &reclen, 2);
    buf[off + 18] = static_cast<char>(type);
    std::strcpy(buf + off + 19, name);
  };
  put(0, 7, 24, DT_DIR, ".");
  put(24, 9, 32, DT_REG, "file.txt");
  EXPECT_EQ(Call(SYS_getdents64, {3, A(buf), 64}, 56),
            absl::StrFormat("getdents64(3, %s /* 2 entries */, 64) = 56", Hex(buf)));
  EXPECT_EQ(Call(SYS_getdents64, {3, A(buf), 64}, 0),
            absl::StrFormat("getdents64(3, %s /* 0 entries */, 64) = 0", Hex(buf)));
  opt_.verbose_structs = true;
  EXPECT_EQ(Call(SYS_getdents64, {3, A(buf), 64}, 56),
            "getdents64(3, [{d_ino=7, d_off=0, d_reclen=24, d_type=DT_DIR, d_name=\".\"}, "
            "{d_ino=9, d_off=0, d_reclen=32, d_type=DT_REG, d_name=\"file.txt\"}], 64) = 56");
}

TEST_F(PrinterTest, SendmsgWithDescriptors) {
  char data[] = "x";
  iovec iov = {data, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = 5;
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
  EXPECT_EQ(Call(SYS_sendmsg, {3, A(&msg), MSG_NOSIGNAL}, 1),
            "sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"x\", iov_len=1}], "
            "msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, "
            "cmsg_type=SCM_RIGHTS, cmsg_data=[5]}], msg_controllen=24, msg_flags=0}, "
            "MSG_NOSIGNAL) = 1");
}

TEST(FormatSignalTest, FaultKillAndChild) {
  siginfo_t si = {};
  si.si_signo = SIGSEGV;
  si.si_code = SEGV_MAPERR;
  si.si_addr = reinterpret_cast<void*>(0x10);
  EXPECT_EQ(FormatSignal(si),
            "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---");

  si = {};
  si.si_signo = SIGTERM;
  si.si_code = SI_USER;
  si.si_pid = 4456;
  si.si_uid = 1000;
  EXPECT_EQ(FormatSignal(si),
            "--- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=4456, si_uid=1000} ---");

  si = {};
  si.si_signo = SIGCHLD;
  si.si_code = CLD_KILLED;
  si.si_pid = 3087;
  si.si_status = SIGKILL;
  EXPECT_EQ(FormatSignal(si),
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=3087, si_uid=0, "
            "si_status=SIGKILL, si_utime=0, si_stime=0} ---");

  si = {};
  si.si_signo = SIGTRAP;
  si.si_code = SI_KERNEL;
  EXPECT_EQ(FormatSignal(si),
            "--- SIGTRAP {si_signo=SIGTRAP, si_code=SI_KERNEL, si_addr=NULL} ---");

  si = {};
  si.si_signo = SIGUSR1;
  si.si_code = SI_QUEUE;
  si.si_pid = 7;
  si.si_value.sival_ptr = reinterpret_cast<void*>(0x2a);
  EXPECT_EQ(FormatSignal(si),
            "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_QUEUE, si_pid=7, si_uid=0, si_int=42, "
            "si_ptr=0x2a} ---");

  si = {};
  si.si_signo = SIGSYS;
  si.si_code = 1;  // SYS_SECCOMP
  si.si_call_addr = reinterpret_cast<void*>(0x401000);
  si.si_syscall = SYS_openat;
  si.si_arch = 0xc000003e;
  EXPECT_EQ(FormatSignal(si),
            "--- SIGSYS {si_signo=SIGSYS, si_code=SYS_SECCOMP, si_call_addr=0x401000, "
            "si_syscall=__NR_openat, si_arch=AUDIT_ARCH_X86_64} ---");
}

TEST(EscapeStringTest, Quoting) {
  EXPECT_EQ(EscapeString("hi\n", 32, false), R"("hi\n")");
  EXPECT_EQ(EscapeString(std::string_view("a\0b", 3), 32, false), R"("a\0b")");
  // Three octal digits only when a digit follows.
  EXPECT_EQ(EscapeString(std::string_view("\0" "7", 2), 32, false), R"("\0007")");
  EXPECT_EQ(EscapeString(std::string_view("\0" "8", 2), 32, false), R"("\08")");
  EXPECT_EQ(EscapeString("\x1b[0m", 32, false), R"("\33[0m")");
  EXPECT_EQ(EscapeString("abcdef", 3, false), R"("abc"...)");
  EXPECT_EQ(EscapeString("abc", 3, false), R"("abc")");
  EXPECT_EQ(EscapeString("abc", 3, true), R"("abc"...)");
  EXPECT_EQ(EscapeString("", 32, false), R"("")");
  EXPECT_EQ(EscapeString("\t\v\f\r\"\\", 32, false), R"("\t\v\f\r\"\\")");
}

TEST(RemoteReadTest, StringsStopAtUnreadableMemory) {
  // "/tmp/abc" with its NUL just inside the readable range: fully readable.
  char buf[32] = "/tmp/abc";
  BoundedMemory exact(buf, buf + 9);
  PrintOptions opt;
  DecodedEntry e = DecodeEntry(SYS_unlink, {A(buf)}, exact, opt);
  EXPECT_EQ(FormatCall(e, 0, exact, opt), R"(unlink("/tmp/abc") = 0)");

  // The NUL is past the boundary: what could be read, marked as cut.
  BoundedMemory cut(buf, buf + 4);
  e = DecodeEntry(SYS_unlink, {A(buf)}, cut, opt);
  EXPECT_EQ(FormatCall(e, 0, cut, opt), R"(unlink("/tmp"...) = 0)");

  // Nothing readable: the address.
  BoundedMemory none(buf, buf);
  e = DecodeEntry(SYS_unlink, {A(buf)}, none, opt);
  EXPECT_EQ(FormatCall(e, 0, none, opt), absl::StrFormat("unlink(%s) = 0", Hex(buf)));

  // A write buffer that is only partly readable shows its address.
  e = DecodeEntry(SYS_write, {1, A(buf), 8}, cut, opt);
  EXPECT_EQ(FormatCall(e, 8, cut, opt), absl::StrFormat("write(1, %s, 8) = 8", Hex(buf)));

  // A struct straddling the boundary is not half-decoded.
  struct stat st = {};
  BoundedMemory half(&st, reinterpret_cast<char*>(&st) + sizeof(st) / 2);
  e = DecodeEntry(SYS_fstat, {3, A(&st)}, half, opt);
  EXPECT_EQ(FormatCall(e, 0, half, opt), absl::StrFormat("fstat(3, %s) = 0", Hex(&st)));
}

TEST(RemoteReadTest, ReadsAreSplitAtPageBoundaries) {
  // A string that crosses a page boundary, read by a reader that refuses
  // cross-page requests.
  std::vector<char> pages(3 * 4096);
  char* page2 = reinterpret_cast<char*>((A(pages.data()) / 4096 + 1) * 4096);
  char* s = page2 - 5;
  std::strcpy(s, "/crosses/pages");
  PageStrictMemory mem;
  PrintOptions opt;
  DecodedEntry e = DecodeEntry(SYS_chdir, {A(s)}, mem, opt);
  EXPECT_EQ(FormatCall(e, 0, mem, opt), R"(chdir("/crosses/pages") = 0)");
  e = DecodeEntry(SYS_write, {1, A(s), 14}, mem, opt);
  EXPECT_EQ(FormatCall(e, 14, mem, opt), R"(write(1, "/crosses/pages", 14) = 14)");
}

}  // namespace
}  // namespace ravel
