// strace-style rendering of system calls and signals.
//
// A call is printed in two steps because the traced process keeps running in
// between: DecodeEntry() renders the input arguments at syscall entry (their
// memory may change once the call runs), FormatCall() renders the output
// arguments (read buffers, stat results, pipe fds, ...) at exit, once the
// result is known, and assembles the whole line. Memory of the traced process
// is only reached through RemoteReader, so everything here also works on the
// test's own memory. Unreadable memory is never an error: the address is
// printed instead, as strace does.
//
// Output matches strace's default format (`-s` is PrintOptions::string_limit,
// `-v` is verbose_structs) for the common calls; rarer ones fall back to
// numbers and hex addresses.
//
// Usage (in a tracer):
//   ravel::DecodedEntry e = ravel::DecodeEntry(nr, args, reader, opts);    // at entry
//   ...
//   std::string line = ravel::FormatCall(e, ret, reader, opts);            // at exit
//   // line == R"(openat(AT_FDCWD, "/etc/x", O_RDONLY|O_CLOEXEC) = 3)"
#ifndef RAVEL_INTERCEPT_SYSCALL_PRINTER_H_
#define RAVEL_INTERCEPT_SYSCALL_PRINTER_H_

#include <signal.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ravel {

// Read access to the traced process's memory.
class RemoteReader {
 public:
  virtual ~RemoteReader() = default;
  // Copies up to n bytes from the traced process at addr; returns how many
  // bytes were readable (0 when none). Partial reads at page boundaries must
  // be handled by callers (read C strings in chunks).
  virtual size_t Read(uint64_t addr, void* buf, size_t n) = 0;
};

struct PrintOptions {
  size_t string_limit = 32;      // strace -s: bytes of strings, elements of arrays
  bool verbose_structs = false;  // strace -v: every struct field, full envp
};

// Input arguments are decoded at syscall entry (the memory may change once the
// call runs); output arguments (read buffers, stat results, pipe fds, ...) at
// exit, once the result is known.
struct DecodedEntry {
  int64_t nr;
  std::array<uint64_t, 6> args;
  // One per argument. Empty for arguments decoded at exit, except value-result
  // arguments (socklen_t*), which hold their entry value for the exit text
  // `[128 => 16]`.
  std::vector<std::string> text;
};

DecodedEntry DecodeEntry(int64_t nr, const std::array<uint64_t, 6>& args, RemoteReader& mem,
                         const PrintOptions& opt);

// True when some argument can only be printed after the call (out buffers and
// structs), i.e. when FormatCall needs the process's memory at exit.
bool HasExitOutputs(int64_t nr);

// The whole line without pid prefix or newline:
// `openat(AT_FDCWD, "/etc/x", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)`
std::string FormatCall(const DecodedEntry& entry, int64_t ret, RemoteReader& mem,
                       const PrintOptions& opt);

// For calls that never return (exit, exit_group; a successful execve is NOT
// one: it returns 0): `exit_group(0) = ?`
std::string FormatNoReturn(const DecodedEntry& entry);

// Entry part only, for strace's "<unfinished ...>" style: `read(3, ` (up to
// the first argument decoded at exit), or `close(3` when all are inputs.
std::string FormatEntryOnly(const DecodedEntry& entry);

// The rest of the line after FormatEntryOnly, for strace's
// `<... read resumed>"hi", 2) = 2`: returns `"hi", 2) = 2`.
std::string FormatResumed(const DecodedEntry& entry, int64_t ret, RemoteReader& mem,
                          const PrintOptions& opt);

// " = 3", " = -1 ENOENT (No such file or directory)", " = 0x7f..." for calls
// returning addresses, " = ?" for exit, " = ? ERESTARTSYS (To be restarted if
// SA_RESTART is set)" for an interrupted call.
std::string FormatReturn(int64_t nr, int64_t ret);

// `--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---`;
// signals sent by kill() show si_pid= and si_uid= instead of si_addr=.
std::string FormatSignal(const siginfo_t& si);

// strace's quoting: `"hi\n"`, \t, \0, octal \33 for other non-printable bytes
// (three digits when an octal digit follows). At most `limit` bytes are shown;
// `...` follows the closing quote when bytes were cut or `truncated` is set.
std::string EscapeString(std::string_view bytes, size_t limit, bool truncated);

}  // namespace ravel

#endif  // RAVEL_INTERCEPT_SYSCALL_PRINTER_H_
