// The Linux x86-64 system call table: names, argument kinds and strace-style
// classes, plus errno and signal names.
//
// The table is a constexpr array sorted by syscall number (checked at compile
// time, together with each number against <sys/syscall.h> where the header
// knows the call). It covers every x86-64 syscall up to the newest ones that
// glibc's headers may not list yet. Lookups never allocate, except the first
// SyscallNumber() call, which builds a name index once.
//
// The per-argument ArgKind tells the printer (syscall_printer.h) how to render
// each argument; RetKind does the same for the return value. Nothing here
// reads memory or talks to the kernel.
//
// Usage:
//   const ravel::SyscallInfo* info = ravel::FindSyscall(257);  // openat
//   absl::StatusOr<ravel::SyscallSet> set = ravel::ParseSyscallSet("%file,!close");
//   if (set.ok() && set->test(257)) { ... }
//   ravel::ErrnoName(ENOENT);  // "ENOENT"
#ifndef RAVEL_INTERCEPT_SYSCALL_TABLE_H_
#define RAVEL_INTERCEPT_SYSCALL_TABLE_H_

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"

namespace ravel {

// Every syscall number this table knows is below this (x32 calls, which start
// at 512 with a flag bit, are not traced).
inline constexpr int kSyscallLimit = 512;
using SyscallSet = std::bitset<kSyscallLimit>;

// How one argument is printed. "In" kinds are read at syscall entry, "Out"
// kinds at exit (the kernel fills them in). Kinds that need a length or a
// count take it from the next argument unless the comment says otherwise.
enum class ArgKind : uint8_t {
  // Plain numbers.
  kInt,     // signed 32-bit decimal
  kUInt,    // unsigned 32-bit decimal
  kLong,    // signed 64-bit decimal (off_t, ...)
  kULong,   // unsigned 64-bit decimal (size_t, ...)
  kHex,     // hexadecimal; 0 prints as "0"
  kPtr,     // an address: NULL or 0x...
  kOctal,   // 0644-style
  kFd,      // file descriptor, as a number
  kDirFd,   // like kFd, but AT_FDCWD by name
  kDev,     // device number: makedev(0x8, 0x1)
  kIgnored, // not printed (the unused high half of preadv2's offset)
  // Strings and buffers.
  kPath,        // NUL-terminated path (never truncated below PATH_MAX)
  kString,      // NUL-terminated string, truncated at -s
  kInBuf,       // buffer of next-argument bytes (write, sendto)
  kOutBuf,      // buffer of return-value bytes, at exit (read, recvfrom)
  kOutBufHex,   // like kOutBuf, every byte as \xNN (getrandom)
  kOutPath,     // NUL-terminated string written by the kernel (getcwd)
  kOutLinkBuf,  // readlink target: return-value bytes, at exit
  kArgv,        // NULL-terminated array of strings (execve argv)
  kEnvp,        // like kArgv, but only a count unless verbose
  kDirents,     // getdents buffer: address and entry count, at exit
  // Flags and named constants.
  kOpenFlags,      // access mode first: O_RDONLY|O_CLOEXEC
  kOpenFlagBits,   // open-style flags without an access mode (pipe2, dup3)
  kMode,         // permission bits in octal
  kMknodMode,    // S_IFxxx|perm
  kAtFlags,      // AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH|...
  kUnlinkFlags,  // AT_REMOVEDIR
  kAccessMode,   // F_OK or R_OK|W_OK|X_OK
  kFaccessFlags, // AT_EACCESS|AT_SYMLINK_NOFOLLOW|...
  kRenameFlags,
  kWhence,
  kSignal,
  kSigprocmaskHow,
  kMmapProt,
  kMmapFlags,
  kMremapFlags,
  kMsyncFlags,
  kMadvise,
  kCloneFlags,
  kFutexOp,
  kWaitOptions,
  kIdType,  // waitid's P_PID, P_ALL, ...
  kSocketDomain,
  kSocketType,
  kSocketProtocol,  // decoded using the domain in argument 0
  kMsgFlags,
  kShutdownHow,
  kSockLevel,
  kSockOptName,  // decoded using the level in the previous argument
  kFcntlCmd,
  kFcntlArg,  // decoded using the command in the previous argument
  kIoctlRequest,
  kPrctlOption,
  kArchPrctlCode,
  kRlimitResource,
  kClockId,
  kTimerFlags,  // TIMER_ABSTIME
  kEpollCtlOp,
  kEpollFlags,
  kSockFlags,     // SOCK_CLOEXEC|SOCK_NONBLOCK (accept4)
  kEventfdFlags,
  kInotifyFlags,
  kSignalfdFlags,
  kTimerfdFlags,
  kMemfdFlags,
  kGetrandomFlags,
  kFlockOp,
  kPtraceRequest,
  kStatxMask,
  kXattrFlags,
  kCloseRangeFlags,
  kItimerWhich,
  kRusageWho,
  kPidfdFlags,
  kSchedPolicy,
  kFadviseAdvice,
  kInotifyMask,
  kSpliceFlags,
  // Small values behind pointers.
  kIntPtrIn,      // [42]
  kIntPtrOut,     // [42], at exit
  kOffPtrIn,      // loff_t*: [4096]
  kFdPairOut,     // [3, 4], at exit (pipe, socketpair)
  kSockLenInOut,  // value-result socklen_t: [128 => 16], at exit
  kSockOptIn,     // setsockopt value, length in next argument
  kSockOptOut,    // getsockopt value, length behind next argument, at exit
  // Structures.
  kSigsetIn,
  kSigsetOut,
  kSigactionIn,
  kSigactionOut,
  kSiginfoIn,
  kSiginfoOut,
  kStackIn,  // sigaltstack's stack_t
  kStackOut,
  kStatOut,
  kStatxOut,
  kStatfsOut,
  kTimespecIn,
  kTimespecOut,
  kTimespecPair,  // utimensat's times[2]
  kTimevalIn,
  kTimevalOut,
  kItimerspecIn,
  kItimerspecOut,
  kItimervalIn,
  kItimervalOut,
  kSockaddrIn,    // length in next argument
  kSockaddrOut,   // length behind next argument, at exit
  kIovecIn,       // count in next argument
  kIovecOut,      // count in next argument; data at exit, up to the return value
  kMsghdrIn,
  kMsghdrOut,
  kPollFds,       // count in next argument; revents appended to the result
  kFdSet,         // select fd_set, size from argument 0
  kEpollEventIn,
  kEpollEventsOut,  // count = return value, at exit
  kCloneArgs,
  kWaitStatus,    // at exit: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}]
  kRlimitIn,
  kRlimitOut,
  kUtsnameOut,
  kOpenHow,       // openat2's struct open_how
  kCpuSetIn,      // CPU mask of previous-argument bytes: [0 1]
  kCpuSetOut,     // CPU mask of return-value bytes, at exit (sched_getaffinity)
  kGidsIn,        // gid_t array, count in the previous argument (setgroups)
  kGidsOut,       // gid_t array, count = return value, at exit (getgroups)
  kSysinfoOut,
  kTimesOut,      // struct tms
  kRusageOut,
};

// How the return value is printed. Values in [-4095, -1] are errors for every
// kind except kNone.
enum class RetKind : uint8_t {
  kInt,    // decimal
  kFd,     // decimal; a new descriptor
  kHex,    // an address (mmap, brk)
  kOctal,  // umask
  kNone,   // never returns (exit, exit_group): " = ?"
};

// Class bits for strace's "%name" sets. A syscall may be in several.
inline constexpr uint32_t kClassDesc = 1u << 0;        // %desc: takes or returns an fd
inline constexpr uint32_t kClassFile = 1u << 1;        // %file: takes a file name
inline constexpr uint32_t kClassProcess = 1u << 2;     // %process: lifecycle
inline constexpr uint32_t kClassNetwork = 1u << 3;     // %network, %net
inline constexpr uint32_t kClassSignal = 1u << 4;      // %signal
inline constexpr uint32_t kClassIpc = 1u << 5;         // %ipc: SysV IPC
inline constexpr uint32_t kClassMemory = 1u << 6;      // %memory: mappings
inline constexpr uint32_t kClassCreds = 1u << 7;       // %creds: user/group ids, caps
inline constexpr uint32_t kClassClock = 1u << 8;       // %clock: read/set clocks
inline constexpr uint32_t kClassStat = 1u << 9;        // %stat
inline constexpr uint32_t kClassLstat = 1u << 10;      // %lstat
inline constexpr uint32_t kClassFstat = 1u << 11;      // %fstat
inline constexpr uint32_t kClassStatLike = 1u << 12;   // %%stat: every stat variant
inline constexpr uint32_t kClassStatfs = 1u << 13;     // %statfs
inline constexpr uint32_t kClassFstatfs = 1u << 14;    // %fstatfs
inline constexpr uint32_t kClassStatfsLike = 1u << 15; // %%statfs
inline constexpr uint32_t kClassPure = 1u << 16;       // %pure: no args, never fails

struct SyscallInfo {
  int nr;
  std::string_view name;
  uint8_t nargs;
  std::array<ArgKind, 6> args;  // only the first nargs are meaningful
  RetKind ret;
  uint32_t classes;  // kClass* bits
};

// The entry for a syscall number, or nullptr when it is not an x86-64 call.
const SyscallInfo* FindSyscall(int64_t nr);
// The number of a syscall by its exact name ("openat" -> 257).
std::optional<int> SyscallNumber(std::string_view name);
// Every known syscall, sorted by number.
std::span<const SyscallInfo> AllSyscalls();

// Parses strace's -e trace= syntax: a comma-separated list of syscall names,
// %class names, "all" and "none"; a leading "!" negates the whole set; "?name"
// skips a name this table does not know instead of failing. A bare decimal
// number below kSyscallLimit selects that number (for calls without a name).
// Errors: InvalidArgumentError("unknown syscall 'foo' in set '...'"), and the
// same for unknown classes and empty elements.
absl::StatusOr<SyscallSet> ParseSyscallSet(std::string_view spec);

// "ENOENT" for 2; "" when the number has no name. Includes the kernel-internal
// codes 512..530 (ERESTARTSYS, ...), which tracers see but programs do not.
std::string_view ErrnoName(int err);
// The inverse of ErrnoName ("ENOENT" -> 2), for fault injection.
std::optional<int> ErrnoByName(std::string_view name);
// "SIGSEGV"; real-time signals are "SIGRTMIN" (32) and "SIGRT_n" (32 + n), as
// strace prints them; "" for numbers outside 1..64.
std::string_view SignalName(int sig);
// The inverse of SignalName; also accepts the name without "SIG" and a number.
std::optional<int> SignalByName(std::string_view name);

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_SYSCALL_TABLE_H_
