// errno and signal names (declared in syscall_table.h).

#include <errno.h>
#include <signal.h>

#include <array>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "intercept/decode_internal.h"
#include "intercept/syscall_table.h"

namespace ravel {
namespace {

struct Named {
  int value;
  std::string_view name;
};

// Values come from the C headers so the names cannot drift from them; the
// kernel-internal codes (>= 512) are not in any userspace header.
#define RAVEL_NAMED_(x) Named{x, #x}
constexpr Named kErrnos[] = {
    RAVEL_NAMED_(EPERM),          RAVEL_NAMED_(ENOENT),         RAVEL_NAMED_(ESRCH),
    RAVEL_NAMED_(EINTR),          RAVEL_NAMED_(EIO),            RAVEL_NAMED_(ENXIO),
    RAVEL_NAMED_(E2BIG),          RAVEL_NAMED_(ENOEXEC),        RAVEL_NAMED_(EBADF),
    RAVEL_NAMED_(ECHILD),         RAVEL_NAMED_(EAGAIN),         RAVEL_NAMED_(ENOMEM),
    RAVEL_NAMED_(EACCES),         RAVEL_NAMED_(EFAULT),         RAVEL_NAMED_(ENOTBLK),
    RAVEL_NAMED_(EBUSY),          RAVEL_NAMED_(EEXIST),         RAVEL_NAMED_(EXDEV),
    RAVEL_NAMED_(ENODEV),         RAVEL_NAMED_(ENOTDIR),        RAVEL_NAMED_(EISDIR),
    RAVEL_NAMED_(EINVAL),         RAVEL_NAMED_(ENFILE),         RAVEL_NAMED_(EMFILE),
    RAVEL_NAMED_(ENOTTY),         RAVEL_NAMED_(ETXTBSY),        RAVEL_NAMED_(EFBIG),
    RAVEL_NAMED_(ENOSPC),         RAVEL_NAMED_(ESPIPE),         RAVEL_NAMED_(EROFS),
    RAVEL_NAMED_(EMLINK),         RAVEL_NAMED_(EPIPE),          RAVEL_NAMED_(EDOM),
    RAVEL_NAMED_(ERANGE),         RAVEL_NAMED_(EDEADLK),        RAVEL_NAMED_(ENAMETOOLONG),
    RAVEL_NAMED_(ENOLCK),         RAVEL_NAMED_(ENOSYS),         RAVEL_NAMED_(ENOTEMPTY),
    RAVEL_NAMED_(ELOOP),          RAVEL_NAMED_(ENOMSG),         RAVEL_NAMED_(EIDRM),
    RAVEL_NAMED_(ECHRNG),         RAVEL_NAMED_(EL2NSYNC),       RAVEL_NAMED_(EL3HLT),
    RAVEL_NAMED_(EL3RST),         RAVEL_NAMED_(ELNRNG),         RAVEL_NAMED_(EUNATCH),
    RAVEL_NAMED_(ENOCSI),         RAVEL_NAMED_(EL2HLT),         RAVEL_NAMED_(EBADE),
    RAVEL_NAMED_(EBADR),          RAVEL_NAMED_(EXFULL),         RAVEL_NAMED_(ENOANO),
    RAVEL_NAMED_(EBADRQC),        RAVEL_NAMED_(EBADSLT),        RAVEL_NAMED_(EBFONT),
    RAVEL_NAMED_(ENOSTR),         RAVEL_NAMED_(ENODATA),        RAVEL_NAMED_(ETIME),
    RAVEL_NAMED_(ENOSR),          RAVEL_NAMED_(ENONET),         RAVEL_NAMED_(ENOPKG),
    RAVEL_NAMED_(EREMOTE),        RAVEL_NAMED_(ENOLINK),        RAVEL_NAMED_(EADV),
    RAVEL_NAMED_(ESRMNT),         RAVEL_NAMED_(ECOMM),          RAVEL_NAMED_(EPROTO),
    RAVEL_NAMED_(EMULTIHOP),      RAVEL_NAMED_(EDOTDOT),        RAVEL_NAMED_(EBADMSG),
    RAVEL_NAMED_(EOVERFLOW),      RAVEL_NAMED_(ENOTUNIQ),       RAVEL_NAMED_(EBADFD),
    RAVEL_NAMED_(EREMCHG),        RAVEL_NAMED_(ELIBACC),        RAVEL_NAMED_(ELIBBAD),
    RAVEL_NAMED_(ELIBSCN),        RAVEL_NAMED_(ELIBMAX),        RAVEL_NAMED_(ELIBEXEC),
    RAVEL_NAMED_(EILSEQ),         RAVEL_NAMED_(ERESTART),       RAVEL_NAMED_(ESTRPIPE),
    RAVEL_NAMED_(EUSERS),         RAVEL_NAMED_(ENOTSOCK),       RAVEL_NAMED_(EDESTADDRREQ),
    RAVEL_NAMED_(EMSGSIZE),       RAVEL_NAMED_(EPROTOTYPE),     RAVEL_NAMED_(ENOPROTOOPT),
    RAVEL_NAMED_(EPROTONOSUPPORT), RAVEL_NAMED_(ESOCKTNOSUPPORT), RAVEL_NAMED_(EOPNOTSUPP),
    RAVEL_NAMED_(EPFNOSUPPORT),   RAVEL_NAMED_(EAFNOSUPPORT),   RAVEL_NAMED_(EADDRINUSE),
    RAVEL_NAMED_(EADDRNOTAVAIL),  RAVEL_NAMED_(ENETDOWN),       RAVEL_NAMED_(ENETUNREACH),
    RAVEL_NAMED_(ENETRESET),      RAVEL_NAMED_(ECONNABORTED),   RAVEL_NAMED_(ECONNRESET),
    RAVEL_NAMED_(ENOBUFS),        RAVEL_NAMED_(EISCONN),        RAVEL_NAMED_(ENOTCONN),
    RAVEL_NAMED_(ESHUTDOWN),      RAVEL_NAMED_(ETOOMANYREFS),   RAVEL_NAMED_(ETIMEDOUT),
    RAVEL_NAMED_(ECONNREFUSED),   RAVEL_NAMED_(EHOSTDOWN),      RAVEL_NAMED_(EHOSTUNREACH),
    RAVEL_NAMED_(EALREADY),       RAVEL_NAMED_(EINPROGRESS),    RAVEL_NAMED_(ESTALE),
    RAVEL_NAMED_(EUCLEAN),        RAVEL_NAMED_(ENOTNAM),        RAVEL_NAMED_(ENAVAIL),
    RAVEL_NAMED_(EISNAM),         RAVEL_NAMED_(EREMOTEIO),      RAVEL_NAMED_(EDQUOT),
    RAVEL_NAMED_(ENOMEDIUM),      RAVEL_NAMED_(EMEDIUMTYPE),    RAVEL_NAMED_(ECANCELED),
    RAVEL_NAMED_(ENOKEY),         RAVEL_NAMED_(EKEYEXPIRED),    RAVEL_NAMED_(EKEYREVOKED),
    RAVEL_NAMED_(EKEYREJECTED),   RAVEL_NAMED_(EOWNERDEAD),     RAVEL_NAMED_(ENOTRECOVERABLE),
    RAVEL_NAMED_(ERFKILL),        RAVEL_NAMED_(EHWPOISON),
    // Kernel-internal: seen by tracers when a syscall is interrupted.
    {512, "ERESTARTSYS"},         {513, "ERESTARTNOINTR"},      {514, "ERESTARTNOHAND"},
    {515, "ENOIOCTLCMD"},         {516, "ERESTART_RESTARTBLOCK"}, {517, "EPROBE_DEFER"},
    {518, "EOPENSTALE"},          {519, "ENOPARAM"},            {521, "EBADHANDLE"},
    {522, "ENOTSYNC"},            {523, "EBADCOOKIE"},          {524, "ENOTSUPP"},
    {525, "ETOOSMALL"},           {526, "ESERVERFAULT"},        {527, "EBADTYPE"},
    {528, "EJUKEBOX"},            {529, "EIOCBQUEUED"},         {530, "ERECALLCONFLICT"},
};

constexpr int kErrnoLimit = 531;

constexpr std::array<std::string_view, kErrnoLimit> kErrnoByValue = [] {
  std::array<std::string_view, kErrnoLimit> names{};
  for (const Named& e : kErrnos) names[e.value] = e.name;
  return names;
}();

constexpr Named kSignals[] = {
    RAVEL_NAMED_(SIGHUP),    RAVEL_NAMED_(SIGINT),    RAVEL_NAMED_(SIGQUIT),
    RAVEL_NAMED_(SIGILL),    RAVEL_NAMED_(SIGTRAP),   RAVEL_NAMED_(SIGABRT),
    RAVEL_NAMED_(SIGBUS),    RAVEL_NAMED_(SIGFPE),    RAVEL_NAMED_(SIGKILL),
    RAVEL_NAMED_(SIGUSR1),   RAVEL_NAMED_(SIGSEGV),   RAVEL_NAMED_(SIGUSR2),
    RAVEL_NAMED_(SIGPIPE),   RAVEL_NAMED_(SIGALRM),   RAVEL_NAMED_(SIGTERM),
    RAVEL_NAMED_(SIGSTKFLT), RAVEL_NAMED_(SIGCHLD),   RAVEL_NAMED_(SIGCONT),
    RAVEL_NAMED_(SIGSTOP),   RAVEL_NAMED_(SIGTSTP),   RAVEL_NAMED_(SIGTTIN),
    RAVEL_NAMED_(SIGTTOU),   RAVEL_NAMED_(SIGURG),    RAVEL_NAMED_(SIGXCPU),
    RAVEL_NAMED_(SIGXFSZ),   RAVEL_NAMED_(SIGVTALRM), RAVEL_NAMED_(SIGPROF),
    RAVEL_NAMED_(SIGWINCH),  RAVEL_NAMED_(SIGIO),     RAVEL_NAMED_(SIGPWR),
    RAVEL_NAMED_(SIGSYS),
};
#undef RAVEL_NAMED_

// The kernel's first real-time signal. glibc's SIGRTMIN is larger because
// the C library keeps two for itself, but a tracer sees kernel numbers.
constexpr int kKernelSigRtMin = 32;
constexpr int kKernelSigMax = 64;

const std::array<std::string, kKernelSigMax + 1>& SignalNames() {
  static const auto* const names = [] {
    auto* n = new std::array<std::string, kKernelSigMax + 1>();
    for (const Named& s : kSignals) (*n)[s.value] = std::string(s.name);
    (*n)[kKernelSigRtMin] = "SIGRTMIN";
    for (int sig = kKernelSigRtMin + 1; sig <= kKernelSigMax; ++sig) {
      (*n)[sig] = absl::StrCat("SIGRT_", sig - kKernelSigRtMin);
    }
    return n;
  }();
  return *names;
}

}  // namespace

std::string_view ErrnoName(int err) {
  if (err <= 0 || err >= kErrnoLimit) return "";
  return kErrnoByValue[err];
}

std::optional<int> ErrnoByName(std::string_view name) {
  static const auto* const by_name = [] {
    auto* map = new absl::flat_hash_map<std::string_view, int>();
    for (const Named& e : kErrnos) map->emplace(e.name, e.value);
    map->emplace("EWOULDBLOCK", EWOULDBLOCK);
    map->emplace("EDEADLOCK", EDEADLOCK);
    map->emplace("ENOTSUP", ENOTSUP);
    return map;
  }();
  auto it = by_name->find(name);
  if (it == by_name->end()) return std::nullopt;
  return it->second;
}

std::string_view SignalName(int sig) {
  if (sig <= 0 || sig > kKernelSigMax) return "";
  return SignalNames()[sig];
}

std::optional<int> SignalByName(std::string_view name) {
  if (int sig = 0; !name.empty() && absl::ascii_isdigit(name[0]) &&
                   absl::SimpleAtoi(internal::ToAbsl(name), &sig)) {
    if (sig > 0 && sig <= kKernelSigMax) return sig;
    return std::nullopt;
  }
  std::string full = name.substr(0, 3) == "SIG" ? std::string(name)
                                                : absl::StrCat("SIG", internal::ToAbsl(name));
  const auto& names = SignalNames();
  for (int sig = 1; sig <= kKernelSigMax; ++sig) {
    if (names[sig] == full) return sig;
  }
  // Other spellings programs and users commonly write.
  if (full == "SIGIOT") return SIGABRT;
  if (full == "SIGPOLL") return SIGIO;
  if (full == "SIGCLD") return SIGCHLD;
  if (full == "SIGRTMAX") return kKernelSigMax;
  return std::nullopt;
}

}  // namespace ravel
