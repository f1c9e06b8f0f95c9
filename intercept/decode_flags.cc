// Bit-flag sets: open, mmap, clone, futex, socket and friends.
//
// Values are the kernel's x86-64 ABI, written out rather than taken from libc
// headers: glibc hides some (O_LARGEFILE is 0 in its x86-64 headers) and lacks
// newer ones. Table order is the order strace prints, which is not always
// numeric; entries covering several bits come before their parts.

#include <bit>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "intercept/decode_internal.h"

namespace ravel::internal {
namespace {

constexpr FlagName kOpenFlagNames[] = {
    {0100, "O_CREAT"},         {0200, "O_EXCL"},          {0400, "O_NOCTTY"},
    {01000, "O_TRUNC"},        {02000, "O_APPEND"},       {04000, "O_NONBLOCK"},
    {04010000, "O_SYNC"},      {04000000, "__O_SYNC"},    {010000, "O_DSYNC"},
    {040000, "O_DIRECT"},      {0100000, "O_LARGEFILE"},  {0400000, "O_NOFOLLOW"},
    {01000000, "O_NOATIME"},   {02000000, "O_CLOEXEC"},   {010000000, "O_PATH"},
    {020200000, "O_TMPFILE"},  {020000000, "__O_TMPFILE"}, {0200000, "O_DIRECTORY"},
    {020000, "FASYNC"},
};

constexpr FlagName kAtFlagNames[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"},
    {0x400, "AT_SYMLINK_FOLLOW"},   {0x800, "AT_NO_AUTOMOUNT"},
    {0x1000, "AT_EMPTY_PATH"},      {0x2000, "AT_STATX_FORCE_SYNC"},
    {0x4000, "AT_STATX_DONT_SYNC"}, {0x8000, "AT_RECURSIVE"},
};
// Same bits, where 0x200 means AT_EACCESS (faccessat2).
constexpr FlagName kFaccessFlagNames[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_EACCESS"}, {0x1000, "AT_EMPTY_PATH"}};
constexpr FlagName kUnlinkFlagNames[] = {{0x200, "AT_REMOVEDIR"}};
constexpr FlagName kAccessModeNames[] = {{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}};
constexpr FlagName kRenameFlagNames[] = {
    {1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"}, {4, "RENAME_WHITEOUT"}};

constexpr FlagName kMmapProtNames[] = {
    {1, "PROT_READ"},  {2, "PROT_WRITE"}, {4, "PROT_EXEC"}, {8, "PROT_SEM"},
    {0x01000000, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"},
};
constexpr FlagName kMmapTypeNames[] = {
    {1, "MAP_SHARED"}, {2, "MAP_PRIVATE"}, {3, "MAP_SHARED_VALIDATE"}};
constexpr FlagName kMmapFlagNames[] = {
    {0x10, "MAP_FIXED"},          {0x20, "MAP_ANONYMOUS"},     {0x40, "MAP_32BIT"},
    {0x100, "MAP_GROWSDOWN"},     {0x800, "MAP_DENYWRITE"},    {0x1000, "MAP_EXECUTABLE"},
    {0x2000, "MAP_LOCKED"},       {0x4000, "MAP_NORESERVE"},   {0x8000, "MAP_POPULATE"},
    {0x10000, "MAP_NONBLOCK"},    {0x20000, "MAP_STACK"},      {0x40000, "MAP_HUGETLB"},
    {0x80000, "MAP_SYNC"},        {0x100000, "MAP_FIXED_NOREPLACE"},
    {0x4000000, "MAP_UNINITIALIZED"},
};
constexpr uint64_t kMapHugetlb = 0x40000;
constexpr int kMapHugeShift = 26;

constexpr FlagName kMremapFlagNames[] = {
    {1, "MREMAP_MAYMOVE"}, {2, "MREMAP_FIXED"}, {4, "MREMAP_DONTUNMAP"}};
constexpr FlagName kMsyncFlagNames[] = {{1, "MS_ASYNC"}, {2, "MS_INVALIDATE"}, {4, "MS_SYNC"}};

// Bits 0-7 of clone()'s flags are the exit signal, not flags.
constexpr uint64_t kCloneSignalMask = 0xff;
constexpr FlagName kCloneFlagNames[] = {
    {0x100, "CLONE_VM"},
    {0x200, "CLONE_FS"},
    {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},
    {0x1000, "CLONE_PIDFD"},
    {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},
    {0x8000, "CLONE_PARENT"},
    {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},
    {0x40000, "CLONE_SYSVSEM"},
    {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"},
    {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x400000, "CLONE_DETACHED"},
    {0x800000, "CLONE_UNTRACED"},
    {0x1000000, "CLONE_CHILD_SETTID"},
    {0x2000000, "CLONE_NEWCGROUP"},
    {0x4000000, "CLONE_NEWUTS"},
    {0x8000000, "CLONE_NEWIPC"},
    {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},
    {0x40000000, "CLONE_NEWNET"},
    {0x80000000, "CLONE_IO"},
    {0x100000000, "CLONE_CLEAR_SIGHAND"},
    {0x200000000, "CLONE_INTO_CGROUP"},
};
// Only clone3 and unshare can use this bit; for clone() it is signal bits.
constexpr FlagName kCloneNewTime = {0x80, "CLONE_NEWTIME"};

constexpr FlagName kWaitOptionNames[] = {
    {1, "WNOHANG"},           {2, "WSTOPPED"},          {4, "WEXITED"},
    {8, "WCONTINUED"},        {0x1000000, "WNOWAIT"},   {0x20000000, "__WNOTHREAD"},
    {0x40000000, "__WALL"},   {0x80000000, "__WCLONE"},
};
constexpr FlagName kWait4OptionNames[] = {
    {1, "WNOHANG"},           {2, "WUNTRACED"},         {8, "WCONTINUED"},
    {0x20000000, "__WNOTHREAD"}, {0x40000000, "__WALL"}, {0x80000000, "__WCLONE"},
};

constexpr FlagName kMsgFlagNames[] = {
    {0x1, "MSG_OOB"},           {0x2, "MSG_PEEK"},          {0x4, "MSG_DONTROUTE"},
    {0x8, "MSG_CTRUNC"},        {0x10, "MSG_PROBE"},        {0x20, "MSG_TRUNC"},
    {0x40, "MSG_DONTWAIT"},     {0x80, "MSG_EOR"},          {0x100, "MSG_WAITALL"},
    {0x200, "MSG_FIN"},         {0x400, "MSG_SYN"},         {0x800, "MSG_CONFIRM"},
    {0x1000, "MSG_RST"},        {0x2000, "MSG_ERRQUEUE"},   {0x4000, "MSG_NOSIGNAL"},
    {0x8000, "MSG_MORE"},       {0x10000, "MSG_WAITFORONE"}, {0x40000, "MSG_BATCH"},
    {0x4000000, "MSG_ZEROCOPY"}, {0x20000000, "MSG_FASTOPEN"},
    {0x40000000, "MSG_CMSG_CLOEXEC"},
};

constexpr FlagName kSocketTypeNames[] = {
    {1, "SOCK_STREAM"}, {2, "SOCK_DGRAM"},     {3, "SOCK_RAW"},   {4, "SOCK_RDM"},
    {5, "SOCK_SEQPACKET"}, {6, "SOCK_DCCP"},   {10, "SOCK_PACKET"},
};
constexpr FlagName kSockFlagNames[] = {{02000000, "SOCK_CLOEXEC"}, {04000, "SOCK_NONBLOCK"}};
constexpr FlagName kEventfdFlagNames[] = {
    {1, "EFD_SEMAPHORE"}, {02000000, "EFD_CLOEXEC"}, {04000, "EFD_NONBLOCK"}};
constexpr FlagName kInotifyFlagNames[] = {{02000000, "IN_CLOEXEC"}, {04000, "IN_NONBLOCK"}};
constexpr FlagName kSignalfdFlagNames[] = {{02000000, "SFD_CLOEXEC"}, {04000, "SFD_NONBLOCK"}};
constexpr FlagName kTimerfdFlagNames[] = {{02000000, "TFD_CLOEXEC"}, {04000, "TFD_NONBLOCK"}};
constexpr FlagName kEpollFlagNames[] = {{02000000, "EPOLL_CLOEXEC"}};
constexpr FlagName kMemfdFlagNames[] = {
    {1, "MFD_CLOEXEC"}, {2, "MFD_ALLOW_SEALING"}, {4, "MFD_HUGETLB"},
    {8, "MFD_NOEXEC_SEAL"}, {0x10, "MFD_EXEC"},
};
constexpr FlagName kGetrandomFlagNames[] = {
    {1, "GRND_NONBLOCK"}, {2, "GRND_RANDOM"}, {4, "GRND_INSECURE"}};
constexpr FlagName kFlockOpNames[] = {
    {1, "LOCK_SH"}, {2, "LOCK_EX"}, {4, "LOCK_NB"}, {8, "LOCK_UN"}};
constexpr FlagName kXattrFlagNames[] = {{1, "XATTR_CREATE"}, {2, "XATTR_REPLACE"}};
constexpr FlagName kCloseRangeFlagNames[] = {
    {2, "CLOSE_RANGE_UNSHARE"}, {4, "CLOSE_RANGE_CLOEXEC"}};
constexpr FlagName kPidfdFlagNames[] = {{04000, "PIDFD_NONBLOCK"}, {0200, "PIDFD_THREAD"}};
constexpr FlagName kInotifyMaskNames[] = {
    {0x1, "IN_ACCESS"},          {0x2, "IN_MODIFY"},         {0x4, "IN_ATTRIB"},
    {0x8, "IN_CLOSE_WRITE"},     {0x10, "IN_CLOSE_NOWRITE"}, {0x20, "IN_OPEN"},
    {0x40, "IN_MOVED_FROM"},     {0x80, "IN_MOVED_TO"},      {0x100, "IN_CREATE"},
    {0x200, "IN_DELETE"},        {0x400, "IN_DELETE_SELF"},  {0x800, "IN_MOVE_SELF"},
    {0x2000, "IN_UNMOUNT"},      {0x4000, "IN_Q_OVERFLOW"},  {0x8000, "IN_IGNORED"},
    {0x1000000, "IN_ONLYDIR"},   {0x2000000, "IN_DONT_FOLLOW"}, {0x4000000, "IN_EXCL_UNLINK"},
    {0x10000000, "IN_MASK_CREATE"}, {0x20000000, "IN_MASK_ADD"}, {0x40000000, "IN_ISDIR"},
    {0x80000000, "IN_ONESHOT"},
};
constexpr FlagName kSpliceFlagNames[] = {
    {1, "SPLICE_F_MOVE"}, {2, "SPLICE_F_NONBLOCK"}, {4, "SPLICE_F_MORE"}, {8, "SPLICE_F_GIFT"}};
constexpr FlagName kTimerFlagNames[] = {{1, "TIMER_ABSTIME"}};
constexpr FlagName kFdFlagNames[] = {{1, "FD_CLOEXEC"}};

constexpr FlagName kStatxMaskNames[] = {
    {0xfff, "STATX_ALL"},        {0x7ff, "STATX_BASIC_STATS"}, {0x1, "STATX_TYPE"},
    {0x2, "STATX_MODE"},         {0x4, "STATX_NLINK"},        {0x8, "STATX_UID"},
    {0x10, "STATX_GID"},         {0x20, "STATX_ATIME"},       {0x40, "STATX_MTIME"},
    {0x80, "STATX_CTIME"},       {0x100, "STATX_INO"},        {0x200, "STATX_SIZE"},
    {0x400, "STATX_BLOCKS"},     {0x800, "STATX_BTIME"},      {0x1000, "STATX_MNT_ID"},
    {0x2000, "STATX_DIOALIGN"},  {0x4000, "STATX_MNT_ID_UNIQUE"}, {0x8000, "STATX_SUBVOL"},
    {0x10000, "STATX_WRITE_ATOMIC"}, {0x20000, "STATX_DIO_READ_ALIGN"},
};
constexpr uint64_t kAtStatxSyncMask = 0x6000;

constexpr FlagName kSaFlagNames[] = {
    {0x04000000, "SA_RESTORER"}, {0x08000000, "SA_ONSTACK"},   {0x10000000, "SA_RESTART"},
    {0x40000000, "SA_NODEFER"},  {0x80000000, "SA_RESETHAND"}, {4, "SA_SIGINFO"},
    {1, "SA_NOCLDSTOP"},         {2, "SA_NOCLDWAIT"},          {0x400, "SA_UNSUPPORTED"},
    {0x800, "SA_EXPOSE_TAGBITS"},
};

constexpr FlagName kPollEventNames[] = {
    {0x1, "POLLIN"},      {0x2, "POLLPRI"},     {0x4, "POLLOUT"},    {0x8, "POLLERR"},
    {0x10, "POLLHUP"},    {0x20, "POLLNVAL"},   {0x40, "POLLRDNORM"}, {0x80, "POLLRDBAND"},
    {0x100, "POLLWRNORM"}, {0x200, "POLLWRBAND"}, {0x400, "POLLMSG"},  {0x2000, "POLLRDHUP"},
};
constexpr FlagName kEpollEventNames[] = {
    {0x1, "EPOLLIN"},        {0x2, "EPOLLPRI"},         {0x4, "EPOLLOUT"},
    {0x8, "EPOLLERR"},       {0x10, "EPOLLHUP"},        {0x20, "EPOLLNVAL"},
    {0x40, "EPOLLRDNORM"},   {0x80, "EPOLLRDBAND"},     {0x100, "EPOLLWRNORM"},
    {0x200, "EPOLLWRBAND"},  {0x400, "EPOLLMSG"},       {0x2000, "EPOLLRDHUP"},
    {1u << 25, "EPOLLURING_WAKE"}, {1u << 26, "EPOLLEXCLUSIVE"}, {1u << 28, "EPOLLWAKEUP"},
    {1u << 29, "EPOLLONESHOT"},    {1u << 31, "EPOLLET"},
};

constexpr FlagName kResolveFlagNames[] = {
    {0x1, "RESOLVE_NO_XDEV"},       {0x2, "RESOLVE_NO_MAGICLINKS"},
    {0x4, "RESOLVE_NO_SYMLINKS"},   {0x8, "RESOLVE_BENEATH"},
    {0x10, "RESOLVE_IN_ROOT"},      {0x20, "RESOLVE_CACHED"},
};

constexpr FlagName kFileTypeNames[] = {
    {0140000, "S_IFSOCK"}, {0120000, "S_IFLNK"}, {0100000, "S_IFREG"}, {0060000, "S_IFBLK"},
    {0040000, "S_IFDIR"},  {0020000, "S_IFCHR"}, {0010000, "S_IFIFO"},
};
constexpr uint32_t kFileTypeMask = 0170000;

constexpr FlagName kFutexCmdNames[] = {
    {0, "FUTEX_WAIT"},           {1, "FUTEX_WAKE"},           {2, "FUTEX_FD"},
    {3, "FUTEX_REQUEUE"},        {4, "FUTEX_CMP_REQUEUE"},    {5, "FUTEX_WAKE_OP"},
    {6, "FUTEX_LOCK_PI"},        {7, "FUTEX_UNLOCK_PI"},      {8, "FUTEX_TRYLOCK_PI"},
    {9, "FUTEX_WAIT_BITSET"},    {10, "FUTEX_WAKE_BITSET"},   {11, "FUTEX_WAIT_REQUEUE_PI"},
    {12, "FUTEX_CMP_REQUEUE_PI"}, {13, "FUTEX_LOCK_PI2"},
};
constexpr int kFutexPrivate = 128;
constexpr int kFutexClockRealtime = 256;
constexpr int kFutexCmdMask = ~(kFutexPrivate | kFutexClockRealtime);

constexpr FlagName kFutexWakeOpNames[] = {
    {0, "FUTEX_OP_SET"}, {1, "FUTEX_OP_ADD"}, {2, "FUTEX_OP_OR"},
    {3, "FUTEX_OP_ANDN"}, {4, "FUTEX_OP_XOR"}};
constexpr FlagName kFutexWakeCmpNames[] = {
    {0, "FUTEX_OP_CMP_EQ"}, {1, "FUTEX_OP_CMP_NE"}, {2, "FUTEX_OP_CMP_LT"},
    {3, "FUTEX_OP_CMP_LE"}, {4, "FUTEX_OP_CMP_GT"}, {5, "FUTEX_OP_CMP_GE"}};

constexpr FlagName kPtraceEventNames[] = {
    {1, "PTRACE_EVENT_FORK"}, {2, "PTRACE_EVENT_VFORK"},      {3, "PTRACE_EVENT_CLONE"},
    {4, "PTRACE_EVENT_EXEC"}, {5, "PTRACE_EVENT_VFORK_DONE"}, {6, "PTRACE_EVENT_EXIT"},
    {7, "PTRACE_EVENT_SECCOMP"}, {128, "PTRACE_EVENT_STOP"},
};

// Calls whose flags read differently.
constexpr int64_t kNrClone = 56;
constexpr int64_t kNrWaitid = 247;
constexpr int64_t kNrStatx = 332;

// Names without the "SIG" prefix, for sigsets.
std::string ShortSignalName(int sig) {
  std::string_view name = SignalName(sig);
  if (name.empty()) return absl::StrCat(sig);
  name.remove_prefix(3);
  return std::string(name);
}

}  // namespace

std::string FormatFlags(uint64_t v, std::span<const FlagName> table, std::string_view zero) {
  if (v == 0) return std::string(zero);
  std::string out;
  uint64_t rest = v;
  for (const FlagName& f : table) {
    if (f.value != 0 && (rest & f.value) == f.value) {
      if (!out.empty()) out += '|';
      out += f.name;
      rest &= ~f.value;
    }
  }
  if (rest != 0) {
    if (!out.empty()) out += '|';
    out += FormatHex(rest);
  }
  return out;
}

std::string FormatEnum(uint64_t v, std::span<const FlagName> table, bool hex,
                       std::string_view unknown_comment) {
  for (const FlagName& f : table) {
    if (f.value == v) return std::string(f.name);
  }
  std::string out = hex ? FormatHex(v) : absl::StrCat(static_cast<int64_t>(v));
  if (!unknown_comment.empty()) absl::StrAppend(&out, " /* ", ToAbsl(unknown_comment), " */");
  return out;
}

std::string FormatOpenFlags(uint64_t flags) {
  static constexpr FlagName kAccessModes[] = {
      {0, "O_RDONLY"}, {1, "O_WRONLY"}, {2, "O_RDWR"}, {3, "O_ACCMODE"}};
  std::string out = FormatEnum(flags & 3, kAccessModes);
  if (uint64_t rest = flags & ~uint64_t{3}; rest != 0) {
    absl::StrAppend(&out, "|", FormatFlags(rest, kOpenFlagNames));
  }
  return out;
}

std::string FormatFdFlags(uint64_t flags) { return FormatFlags(flags, kFdFlagNames); }

std::string FormatSignalNumber(int64_t sig) {
  std::string_view name = SignalName(static_cast<int>(sig));
  if (sig > 0 && !name.empty()) return std::string(name);
  return absl::StrCat(sig);
}

std::string FormatSigsetMask(uint64_t mask) {
  // Like strace, print the complement when most signals are in the set.
  bool inverted = std::popcount(mask) > 32;
  if (inverted) mask = ~mask;
  std::string out = inverted ? "~[" : "[";
  bool first = true;
  for (int bit = 0; bit < 64; ++bit) {
    if (mask & (uint64_t{1} << bit)) {
      if (!first) out += ' ';
      out += ShortSignalName(bit + 1);
      first = false;
    }
  }
  out += ']';
  return out;
}

std::string FormatCloneFlags(uint64_t flags, bool low_byte_is_signal) {
  std::string out;
  uint64_t rest = flags;
  int sig = 0;
  if (low_byte_is_signal) {
    sig = static_cast<int>(flags & kCloneSignalMask);
    rest &= ~kCloneSignalMask;
  } else if (rest & kCloneNewTime.value) {
    out = std::string(kCloneNewTime.name);
    rest &= ~kCloneNewTime.value;
  }
  if (rest != 0) {
    if (!out.empty()) out += '|';
    out += FormatFlags(rest, kCloneFlagNames);
  }
  if (sig != 0) {
    if (!out.empty()) out += '|';
    out += FormatSignalNumber(sig);
  }
  return out.empty() ? "0" : out;
}

std::string FormatMode(uint32_t mode) { return absl::StrFormat("%#03o", mode); }

std::string FormatStatMode(uint32_t mode) {
  static constexpr FlagName kSpecialBits[] = {
      {04000, "S_ISUID"}, {02000, "S_ISGID"}, {01000, "S_ISVTX"}};
  uint32_t type = mode & kFileTypeMask;
  for (const FlagName& f : kFileTypeNames) {
    if (f.value != type) continue;
    std::string out(f.name);
    for (const FlagName& bit : kSpecialBits) {
      if (mode & bit.value) absl::StrAppend(&out, "|", ToAbsl(bit.name));
    }
    return absl::StrCat(out, "|", FormatMode(mode & 0777));
  }
  return FormatMode(mode);  // no type, or not one the kernel uses
}

std::string FormatDev(uint64_t dev) {
  // The kernel's 64-bit dev_t split, as in glibc's gnu_dev_major/minor.
  uint64_t major = ((dev >> 32) & 0xfffff000) | ((dev >> 8) & 0xfff);
  uint64_t minor = ((dev >> 12) & 0xffffff00) | (dev & 0xff);
  return absl::StrCat("makedev(", FormatHex(major), ", ", FormatHex(minor), ")");
}

std::string FormatPollEvents(uint32_t events) { return FormatFlags(events, kPollEventNames); }
std::string FormatEpollEvents(uint32_t events) { return FormatFlags(events, kEpollEventNames); }
std::string FormatSaFlags(uint64_t flags) { return FormatFlags(flags, kSaFlagNames); }
std::string FormatStatxMask(uint32_t mask) { return FormatFlags(mask, kStatxMaskNames); }
std::string FormatResolveFlags(uint64_t flags) { return FormatFlags(flags, kResolveFlagNames); }

std::string FormatWaitStatusValue(int status) {
  int low = status & 0x7f;
  if (low == 0) {
    return absl::StrCat("{WIFEXITED(s) && WEXITSTATUS(s) == ", (status >> 8) & 0xff, "}");
  }
  if ((status & 0xff) == 0x7f) {
    std::string out = absl::StrCat("{WIFSTOPPED(s) && WSTOPSIG(s) == ",
                                   FormatSignalNumber((status >> 8) & 0xff), "}");
    if (int event = (status >> 16) & 0xffff; event != 0) {
      absl::StrAppend(&out, " | ", FormatEnum(event, kPtraceEventNames), " << 16");
    }
    return out;
  }
  if (status == 0xffff) return "{WIFCONTINUED(s)}";
  std::string out =
      absl::StrCat("{WIFSIGNALED(s) && WTERMSIG(s) == ", FormatSignalNumber(low));
  if (status & 0x80) out += " && WCOREDUMP(s)";
  out += "}";
  return out;
}

FutexLayout FutexArgLayout(int op) {
  switch (op & kFutexCmdMask) {
    case 0:   // WAIT
      return {4, {0, 1, 2, 3}, true};
    case 1:   // WAKE
    case 2:   // FD
      return {3, {0, 1, 2}, false};
    case 3:   // REQUEUE: argument 3 is val2, a count
      return {5, {0, 1, 2, 3, 4}, false};
    case 4:   // CMP_REQUEUE
    case 5:   // WAKE_OP
    case 12:  // CMP_REQUEUE_PI
      return {6, {0, 1, 2, 3, 4, 5}, false};
    case 6:   // LOCK_PI
    case 13:  // LOCK_PI2
      return {3, {0, 1, 3}, true};
    case 7:   // UNLOCK_PI
    case 8:   // TRYLOCK_PI
      return {2, {0, 1}, false};
    case 9:   // WAIT_BITSET: uaddr2 is unused
      return {5, {0, 1, 2, 3, 5}, true};
    case 10:  // WAKE_BITSET
      return {4, {0, 1, 2, 5}, false};
    case 11:  // WAIT_REQUEUE_PI
      return {5, {0, 1, 2, 3, 4}, true};
    default:
      return {6, {0, 1, 2, 3, 4, 5}, false};
  }
}

std::string FormatFutexVal3(int op, uint64_t val3) {
  int cmd = op & kFutexCmdMask;
  uint32_t v = static_cast<uint32_t>(val3);
  if ((cmd == 9 || cmd == 10) && v == 0xffffffffu) return "FUTEX_BITSET_MATCH_ANY";
  if (cmd == 5) {
    uint32_t wake_op = (v >> 28) & 7;
    bool shift = (v >> 31) & 1;
    return absl::StrCat("{op=", shift ? "FUTEX_OP_OPARG_SHIFT|" : "",
                        FormatEnum(wake_op, kFutexWakeOpNames), ", oparg=", (v >> 12) & 0xfff,
                        ", cmp=", FormatEnum((v >> 24) & 0xf, kFutexWakeCmpNames),
                        ", cmparg=", v & 0xfff, "}");
  }
  return FormatHex(v);
}

namespace {

std::string FormatFutexOp(uint64_t op64) {
  int op = static_cast<int>(op64);
  for (const FlagName& f : kFutexCmdNames) {
    if (static_cast<int>(f.value) != (op & kFutexCmdMask)) continue;
    std::string out(f.name);
    if (op & kFutexPrivate) out += "_PRIVATE";
    if (op & kFutexClockRealtime) out += "|FUTEX_CLOCK_REALTIME";
    return out;
  }
  return FormatHex(static_cast<uint32_t>(op));
}

std::string FormatMmapFlags(uint64_t flags) {
  std::string out = FormatEnum(flags & 0xf, kMmapTypeNames, /*hex=*/true);
  uint64_t rest = flags & ~uint64_t{0xf};
  uint64_t huge = 0;
  if (rest & kMapHugetlb) {
    huge = (rest >> kMapHugeShift) & 0x3f;
    rest &= ~(uint64_t{0x3f} << kMapHugeShift);
  }
  if (rest != 0) absl::StrAppend(&out, "|", FormatFlags(rest, kMmapFlagNames));
  if (huge != 0) absl::StrAppend(&out, "|", huge, "<<MAP_HUGE_SHIFT");
  return out;
}

std::string FormatSocketType(uint64_t type) {
  std::string out = FormatEnum(type & 0xf, kSocketTypeNames, /*hex=*/true);
  if (uint64_t rest = type & ~uint64_t{0xf}; rest != 0) {
    absl::StrAppend(&out, "|", FormatFlags(rest, kSockFlagNames));
  }
  return out;
}

std::string FormatStatxFlags(uint64_t flags) {
  std::string out;
  if ((flags & kAtStatxSyncMask) == 0) out = "AT_STATX_SYNC_AS_STAT";
  if (flags != 0) {
    if (!out.empty()) out += '|';
    out += FormatFlags(flags, kAtFlagNames);
  }
  return out;
}

}  // namespace

std::optional<std::string> FormatFlagArg(ArgKind kind, uint64_t v, int64_t nr) {
  uint32_t v32 = static_cast<uint32_t>(v);
  switch (kind) {
    case ArgKind::kOpenFlags: return FormatOpenFlags(v32);
    case ArgKind::kOpenFlagBits: return FormatFlags(v32, kOpenFlagNames);
    case ArgKind::kMode:
    case ArgKind::kOctal: return FormatMode(v32);
    case ArgKind::kMknodMode: return FormatStatMode(v32);
    case ArgKind::kAtFlags:
      // statx's flags also carry the sync mode, whose default has no bits.
      if (nr == kNrStatx) return FormatStatxFlags(v32);
      return FormatFlags(v32, kAtFlagNames);
    case ArgKind::kUnlinkFlags: return FormatFlags(v32, kUnlinkFlagNames);
    case ArgKind::kAccessMode: return FormatFlags(v32, kAccessModeNames, "F_OK");
    case ArgKind::kFaccessFlags: return FormatFlags(v32, kFaccessFlagNames);
    case ArgKind::kRenameFlags: return FormatFlags(v32, kRenameFlagNames);
    case ArgKind::kMmapProt: return FormatFlags(v, kMmapProtNames, "PROT_NONE");
    case ArgKind::kMmapFlags: return FormatMmapFlags(v);
    case ArgKind::kMremapFlags: return FormatFlags(v, kMremapFlagNames);
    case ArgKind::kMsyncFlags: return FormatFlags(v, kMsyncFlagNames);
    case ArgKind::kCloneFlags:
      // unshare and setns take namespace flags without an exit signal.
      return FormatCloneFlags(nr == kNrClone ? v : v32, /*low_byte_is_signal=*/nr == kNrClone);
    case ArgKind::kFutexOp: return FormatFutexOp(v);
    case ArgKind::kWaitOptions:
      return FormatFlags(v32, nr == kNrWaitid ? std::span<const FlagName>(kWaitOptionNames)
                                        : std::span<const FlagName>(kWait4OptionNames));
    case ArgKind::kSocketType: return FormatSocketType(v32);
    case ArgKind::kMsgFlags: return FormatFlags(v32, kMsgFlagNames);
    case ArgKind::kTimerFlags: return FormatFlags(v32, kTimerFlagNames);
    case ArgKind::kEpollFlags: return FormatFlags(v32, kEpollFlagNames);
    case ArgKind::kSockFlags: return FormatFlags(v32, kSockFlagNames);
    case ArgKind::kEventfdFlags: return FormatFlags(v32, kEventfdFlagNames);
    case ArgKind::kInotifyFlags: return FormatFlags(v32, kInotifyFlagNames);
    case ArgKind::kInotifyMask: return FormatFlags(v32, kInotifyMaskNames);
    case ArgKind::kSpliceFlags: return FormatFlags(v32, kSpliceFlagNames);
    case ArgKind::kSignalfdFlags: return FormatFlags(v32, kSignalfdFlagNames);
    case ArgKind::kTimerfdFlags: return FormatFlags(v32, kTimerfdFlagNames);
    case ArgKind::kMemfdFlags: return FormatFlags(v32, kMemfdFlagNames);
    case ArgKind::kGetrandomFlags: return FormatFlags(v32, kGetrandomFlagNames);
    case ArgKind::kFlockOp: return FormatFlags(v32, kFlockOpNames);
    case ArgKind::kStatxMask: return FormatStatxMask(v32);
    case ArgKind::kXattrFlags: return FormatFlags(v32, kXattrFlagNames);
    case ArgKind::kCloseRangeFlags: return FormatFlags(v32, kCloseRangeFlagNames);
    case ArgKind::kPidfdFlags: return FormatFlags(v32, kPidfdFlagNames);
    case ArgKind::kDev: return FormatDev(v);
    default: return std::nullopt;
  }
}

}  // namespace ravel::internal
