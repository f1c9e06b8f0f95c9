// Private helpers shared by syscall_printer.cc and the decode_*.cc files;
// not part of ravel_syscalls' interface.
//
// Each decoder takes raw argument values (and the traced process's memory
// where it must look behind a pointer) and returns strace-formatted text.
// Decoders never fail: what cannot be read or named is printed as a number or
// an address. Families:
//   decode_strings.cc  memory reading, string quoting, buffers, string arrays
//   decode_flags.cc    sets of bit flags
//   decode_constants.cc  named constants (commands, families, si_code)
//   decode_structs.cc  structures behind pointers (stat, time, signals, ...)
//   decode_net.cc      socket and I/O structures (sockaddr, msghdr, pollfd, ...)
//
// Usage:
//   std::string s = internal::FormatFlags(prot, internal::kMmapProtNames, "PROT_NONE");
#ifndef RAVEL_INTERCEPT_DECODE_INTERNAL_H_
#define RAVEL_INTERCEPT_DECODE_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "intercept/syscall_printer.h"
#include "intercept/syscall_table.h"

namespace ravel::internal {

// Debian's Abseil is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0), which StrCat and friends take while
// this module's interface uses std::string_view. These convert without copying.
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

// ---- Reading memory (decode_strings.cc) ----

// Reads a whole object; false when any byte is unreadable or addr is 0.
template <typename T>
bool ReadObject(RemoteReader& mem, uint64_t addr, T& out) {
  return addr != 0 && mem.Read(addr, &out, sizeof(T)) == sizeof(T);
}

// Up to n bytes from addr, stopping at the first unreadable page.
std::string ReadBytes(RemoteReader& mem, uint64_t addr, size_t n);

struct CString {
  std::string bytes;  // without the NUL
  bool complete;      // a NUL was found within the limit
};
// A NUL-terminated string of at most max_len bytes (more are not read).
// nullopt when not even the first byte is readable.
std::optional<CString> ReadCString(RemoteReader& mem, uint64_t addr, size_t max_len);

// ---- Basic formatting (decode_strings.cc) ----

std::string FormatPtr(uint64_t v);  // NULL or 0x...
std::string FormatHex(uint64_t v);  // 0 or 0x...
// Like EscapeString, but every byte as \xNN (getrandom's buffer).
std::string EscapeHex(std::string_view bytes, size_t limit, bool truncated);

// A NUL-terminated string argument: quoted, truncated at limit, or the
// address when unreadable.
std::string FormatCStringArg(RemoteReader& mem, uint64_t addr, size_t limit);
inline constexpr size_t kPathLimit = 4096;
// `len` bytes at addr, quoted and truncated at limit.
std::string FormatBuffer(RemoteReader& mem, uint64_t addr, uint64_t len, size_t limit,
                         bool hex = false);
// ["a", "b"] for a NULL-terminated array of string pointers.
std::string FormatStringArray(RemoteReader& mem, uint64_t addr, const PrintOptions& opt);
// 0x7ffd... /* 23 vars */
std::string FormatStringArrayCount(RemoteReader& mem, uint64_t addr);
// getdents/getdents64 output of `len` bytes: `0x7ffd... /* 5 entries */`, or
// every entry when verbose.
std::string FormatDirents(RemoteReader& mem, uint64_t addr, int64_t len, bool dirent64,
                          const PrintOptions& opt);

// ---- Flags and constants (decode_flags.cc) ----

struct FlagName {
  uint64_t value;
  std::string_view name;
};

// Names every set flag in table order (multi-bit entries match only whole),
// then leftover bits as hex: `A|B|0x40`. `zero` is printed for 0.
std::string FormatFlags(uint64_t v, std::span<const FlagName> table,
                        std::string_view zero = "0");
// The name of a value, or its fallback text: decimal (or hex when `hex`),
// with a /* NAME_??? */ comment when `unknown_comment` is given.
std::string FormatEnum(uint64_t v, std::span<const FlagName> table, bool hex = false,
                       std::string_view unknown_comment = "");

// Renders a flag or constant kind (kOpenFlags ... kSchedPolicy) of argument
// `index` of syscall `nr`; nullopt for kinds that are not flags or constants.
// Some kinds look at other arguments (socket protocol at the domain, ...).
// Lives in decode_constants.cc.
std::optional<std::string> FormatConstantArg(ArgKind kind, int index,
                                             const std::array<uint64_t, 6>& args, int64_t nr);
// The bit-flag kinds only (decode_flags.cc); FormatConstantArg falls back to it.
std::optional<std::string> FormatFlagArg(ArgKind kind, uint64_t value, int64_t nr);

std::string FormatOpenFlags(uint64_t flags);   // O_RDONLY|O_CLOEXEC
std::string FormatFdFlags(uint64_t flags);     // FD_CLOEXEC (fcntl F_GETFD/F_SETFD)
std::string FormatSignalNumber(int64_t sig);   // SIGTERM, or the number
std::string FormatSigsetMask(uint64_t mask);   // [INT TERM], ~[RTMIN]
std::string FormatCloneFlags(uint64_t flags, bool low_byte_is_signal);
std::string FormatStatMode(uint32_t mode);     // S_IFREG|0644
std::string FormatMode(uint32_t mode);         // 0644
std::string FormatDev(uint64_t dev);           // makedev(0x8, 0x1)
std::string FormatPollEvents(uint32_t events);
std::string FormatEpollEvents(uint32_t events);
std::string FormatSockaddrFamily(int family);  // AF_INET
std::string FormatSaFlags(uint64_t flags);
std::string FormatClockId(int64_t id);
std::string FormatStatxMask(uint32_t mask);
std::string FormatResolveFlags(uint64_t flags);
// si_code in the context of a signal: SEGV_MAPERR, SI_USER, CLD_EXITED, ...
std::string FormatSiCode(int signo, int code);
// The wait status text inside the brackets: {WIFEXITED(s) && WEXITSTATUS(s) == 0}
std::string FormatWaitStatusValue(int status);
// fcntl's cmd-dependent third argument.
std::string FormatFcntlArg(int cmd, uint64_t arg);
// True for fcntl commands that take no third argument.
bool FcntlTakesNoArg(int cmd);

// futex: which arguments a given op uses, and how to print the one in the
// timeout slot. Returns the argument count shown (indices are in `shown`).
struct FutexLayout {
  int count;
  std::array<int, 6> shown;
  bool timeout_is_timespec;  // else argument 3 is a plain number (val2)
};
FutexLayout FutexArgLayout(int op);
// FUTEX_BITSET_MATCH_ANY or hex.
std::string FormatFutexVal3(int op, uint64_t val3);

// ---- Structures (decode_structs.cc, decode_net.cc) ----

std::string FormatStat(RemoteReader& mem, uint64_t addr, const PrintOptions& opt);
std::string FormatStatx(RemoteReader& mem, uint64_t addr, const PrintOptions& opt);
std::string FormatStatfs(RemoteReader& mem, uint64_t addr, const PrintOptions& opt);
std::string FormatTimespec(RemoteReader& mem, uint64_t addr);
std::string FormatTimespecPair(RemoteReader& mem, uint64_t addr);  // utimensat
std::string FormatTimeval(RemoteReader& mem, uint64_t addr);
std::string FormatItimerspec(RemoteReader& mem, uint64_t addr);
std::string FormatItimerval(RemoteReader& mem, uint64_t addr);
// `len` bytes of sockaddr at addr.
std::string FormatSockaddr(RemoteReader& mem, uint64_t addr, uint64_t len);
// An iovec array; when `data_limit` is set, at most that many data bytes are
// shown in total (readv at exit: the return value).
std::string FormatIovecs(RemoteReader& mem, uint64_t addr, uint64_t count,
                         std::optional<uint64_t> data_limit, const PrintOptions& opt);
std::string FormatMsghdr(RemoteReader& mem, uint64_t addr, std::optional<uint64_t> data_limit,
                         const PrintOptions& opt);
std::string FormatPollFds(RemoteReader& mem, uint64_t addr, uint64_t count,
                          const PrintOptions& opt);
// Only entries with revents set: [{fd=3, revents=POLLIN}]
std::string FormatPollRevents(RemoteReader& mem, uint64_t addr, uint64_t count,
                              const PrintOptions& opt);
// A select() fd_set of nfds bits: [3 4]
std::string FormatFdSet(RemoteReader& mem, uint64_t addr, int nfds);
std::string FormatSigset(RemoteReader& mem, uint64_t addr);
std::string FormatSigaction(RemoteReader& mem, uint64_t addr);
std::string FormatStack(RemoteReader& mem, uint64_t addr);
std::string FormatSiginfoAt(RemoteReader& mem, uint64_t addr);
// {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10}
std::string FormatSiginfo(const siginfo_t& si);
std::string FormatEpollEvent(RemoteReader& mem, uint64_t addr);
std::string FormatEpollEvents(RemoteReader& mem, uint64_t addr, int64_t count,
                              const PrintOptions& opt);
std::string FormatCloneArgs(RemoteReader& mem, uint64_t addr, uint64_t size);
// What clone3 wrote back, for after the struct at exit: ` => {parent_tid=[42]}`,
// or "" when it wrote nothing.
std::string FormatCloneArgsResult(RemoteReader& mem, uint64_t addr, uint64_t size);
std::string FormatWaitStatus(RemoteReader& mem, uint64_t addr);
std::string FormatRlimit(RemoteReader& mem, uint64_t addr);
std::string FormatUtsname(RemoteReader& mem, uint64_t addr, const PrintOptions& opt);
std::string FormatOpenHow(RemoteReader& mem, uint64_t addr, uint64_t size);
std::string FormatIntPtr(RemoteReader& mem, uint64_t addr);      // [42]
std::string FormatGids(RemoteReader& mem, uint64_t addr, int64_t count,
                       const PrintOptions& opt);                  // [1, 2, 3]
std::string FormatSysinfo(RemoteReader& mem, uint64_t addr);
std::string FormatTimes(RemoteReader& mem, uint64_t addr);
std::string FormatRusage(RemoteReader& mem, uint64_t addr, const PrintOptions& opt);
std::string FormatFdPair(RemoteReader& mem, uint64_t addr);      // [3, 4]
std::string FormatOffPtr(RemoteReader& mem, uint64_t addr);      // [4096]
std::string FormatCpuSet(RemoteReader& mem, uint64_t addr, int64_t bytes);  // [0 1]
// setsockopt/getsockopt values: [1] for int-sized ones, else a buffer.
std::string FormatSockoptValue(RemoteReader& mem, uint64_t addr, uint64_t len,
                               const PrintOptions& opt);

}  // namespace ravel::internal

#endif  // RAVEL_INTERCEPT_DECODE_INTERNAL_H_
