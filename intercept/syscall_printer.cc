// Assembles strace-style lines: which arguments are shown in what order, when
// each is decoded, and the return value. The decoding itself lives in the
// decode_*.cc files.

#include "intercept/syscall_printer.h"

#include <string.h>

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "intercept/decode_internal.h"
#include "intercept/syscall_table.h"

namespace ravel {
namespace {

using internal::FormatHex;
using internal::FormatPtr;

// Calls whose argument list depends on argument values.
constexpr int64_t kNrPoll = 7;
constexpr int64_t kNrSelect = 23;
constexpr int64_t kNrMremap = 25;
constexpr int64_t kNrOpen = 2;
constexpr int64_t kNrClone = 56;
constexpr int64_t kNrFcntl = 72;
constexpr int64_t kNrGetdents = 78;
constexpr int64_t kNrMknod = 133;
constexpr int64_t kNrSchedGetscheduler = 145;
constexpr int64_t kNrPrctl = 157;
constexpr int64_t kNrFutex = 202;
constexpr int64_t kNrMqOpen = 240;
constexpr int64_t kNrOpenat = 257;
constexpr int64_t kNrMknodat = 259;
constexpr int64_t kNrPselect6 = 270;
constexpr int64_t kNrPpoll = 271;
constexpr int64_t kNrClone3 = 435;

constexpr uint64_t kOCreat = 0100;
constexpr uint64_t kOTmpfile = 020000000;
constexpr uint64_t kMremapFixed = 2;
constexpr uint64_t kCloneSettls = 0x80000;
constexpr uint64_t kCloneParentSettid = 0x100000;
constexpr uint64_t kCloneChildCleartid = 0x200000;
constexpr uint64_t kCloneChildSettid = 0x1000000;
constexpr int kFGetfd = 1;
constexpr int kFGetfl = 3;
constexpr int kPrSetPdeathsig = 1;
constexpr int kPrSetName = 15;
constexpr int kPrGetName = 16;
constexpr int kAtFdcwd = -100;
// The kernel returns -1..-4095 for errors.
constexpr int64_t kMaxErrno = 4095;

struct Slot {
  int index;
  ArgKind kind;
  std::string_view label;  // "flags=" for clone's named arguments
};

struct Layout {
  int count = 0;
  std::array<Slot, 6> slots{};
  void Add(int index, ArgKind kind, std::string_view label = "") {
    slots[count++] = {index, kind, label};
  }
  void Drop(int index) {
    auto end = std::remove_if(slots.begin(), slots.begin() + count,
                              [&](const Slot& s) { return s.index == index; });
    count = static_cast<int>(end - slots.begin());
  }
};

bool IsExitKind(ArgKind kind) {
  switch (kind) {
    case ArgKind::kOutBuf: case ArgKind::kOutBufHex: case ArgKind::kOutPath:
    case ArgKind::kOutLinkBuf: case ArgKind::kDirents: case ArgKind::kIntPtrOut:
    case ArgKind::kFdPairOut: case ArgKind::kSockLenInOut: case ArgKind::kSockOptOut:
    case ArgKind::kSigsetOut: case ArgKind::kSigactionOut: case ArgKind::kSiginfoOut:
    case ArgKind::kStackOut: case ArgKind::kStatOut: case ArgKind::kStatxOut:
    case ArgKind::kStatfsOut: case ArgKind::kTimespecOut: case ArgKind::kTimevalOut:
    case ArgKind::kItimerspecOut: case ArgKind::kItimervalOut: case ArgKind::kSockaddrOut:
    case ArgKind::kIovecOut:
    case ArgKind::kMsghdrOut: case ArgKind::kEpollEventsOut: case ArgKind::kWaitStatus:
    case ArgKind::kRlimitOut: case ArgKind::kUtsnameOut: case ArgKind::kGidsOut:
    case ArgKind::kSysinfoOut: case ArgKind::kTimesOut: case ArgKind::kRusageOut:
    case ArgKind::kCpuSetOut:
      return true;
    default:
      return false;
  }
}

// Which arguments are shown, in which order, decoded as what.
Layout MakeLayout(int64_t nr, const std::array<uint64_t, 6>& args) {
  Layout l;
  const SyscallInfo* info = FindSyscall(nr);
  if (info == nullptr) {
    for (int i = 0; i < 6; ++i) l.Add(i, ArgKind::kHex);
    return l;
  }
  for (int i = 0; i < info->nargs; ++i) {
    if (info->args[i] != ArgKind::kIgnored) l.Add(i, info->args[i]);
  }
  switch (nr) {
    case kNrOpen:  // the mode is only used when a file may be created
      if (!(args[1] & (kOCreat | kOTmpfile))) l.Drop(2);
      break;
    case kNrOpenat:
      if (!(args[2] & (kOCreat | kOTmpfile))) l.Drop(3);
      break;
    case kNrMqOpen:
      if (!(args[1] & kOCreat)) {
        l.Drop(2);
        l.Drop(3);
      }
      break;
    case kNrMremap:
      if (!(args[3] & kMremapFixed)) l.Drop(4);
      break;
    case kNrMknod:
    case kNrMknodat: {
      int mode_index = nr == kNrMknod ? 1 : 2;
      uint32_t type = args[mode_index] & 0170000;
      if (type != 0020000 && type != 0060000) l.Drop(mode_index + 1);
      break;
    }
    case kNrFcntl:
      if (internal::FcntlTakesNoArg(static_cast<int>(args[1]))) l.Drop(2);
      break;
    case kNrFutex: {
      internal::FutexLayout fl = internal::FutexArgLayout(static_cast<int>(args[1]));
      l = Layout();
      for (int k = 0; k < fl.count; ++k) {
        int i = fl.shown[k];
        ArgKind kind = info->args[i];
        if (i == 3 && !fl.timeout_is_timespec) kind = ArgKind::kUInt;
        l.Add(i, kind);
      }
      break;
    }
    case kNrClone: {  // strace's order and names: the stack first
      uint64_t flags = args[0];
      l = Layout();
      l.Add(1, ArgKind::kPtr, "child_stack=");
      l.Add(0, ArgKind::kCloneFlags, "flags=");
      if (flags & kCloneParentSettid) l.Add(2, ArgKind::kIntPtrOut, "parent_tid=");
      if (flags & kCloneSettls) l.Add(4, ArgKind::kPtr, "tls=");
      if (flags & (kCloneChildSettid | kCloneChildCleartid)) {
        l.Add(3, ArgKind::kPtr, "child_tidptr=");
      }
      break;
    }
    case kNrPrctl: {
      int option = static_cast<int>(args[0]);
      if (option == kPrSetName || option == kPrGetName || option == kPrSetPdeathsig) {
        l = Layout();
        l.Add(0, ArgKind::kPrctlOption);
        l.Add(1, option == kPrSetName   ? ArgKind::kString
                 : option == kPrGetName ? ArgKind::kOutPath
                                        : ArgKind::kSignal);
      }
      break;
    }
    default:
      break;
  }
  return l;
}

struct ArgContext {
  int64_t nr;
  const std::array<uint64_t, 6>& args;
  RemoteReader& mem;
  const PrintOptions& opt;
  bool at_exit = false;
  int64_t ret = 0;
  bool failed = false;                  // at exit: ret is an error
  const std::vector<std::string>* entry_text = nullptr;
};

bool IsError(int64_t ret) { return ret < 0 && ret >= -kMaxErrno; }

// The entry-time text of argument i, when there is one.
absl::string_view EntryText(const ArgContext& c, int i) {
  if (c.entry_text == nullptr || i < 0 || static_cast<size_t>(i) >= c.entry_text->size()) {
    return "";
  }
  return (*c.entry_text)[i];
}

uint64_t Next(const ArgContext& c, int i) { return i + 1 < 6 ? c.args[i + 1] : 0; }

std::string DecodeArg(const Slot& slot, const ArgContext& c) {
  const int i = slot.index;
  const uint64_t v = c.args[i];
  RemoteReader& mem = c.mem;
  const PrintOptions& opt = c.opt;
  // Outputs of a failed call were never written: show where they would be.
  if (IsExitKind(slot.kind) && c.failed && slot.kind != ArgKind::kSockLenInOut) {
    return FormatPtr(v);
  }
  if (c.nr == kNrFutex && i == 5) {
    return internal::FormatFutexVal3(static_cast<int>(c.args[1]), v);
  }
  switch (slot.kind) {
    case ArgKind::kInt: return absl::StrCat(static_cast<int32_t>(v));
    case ArgKind::kUInt: return absl::StrCat(static_cast<uint32_t>(v));
    case ArgKind::kLong: return absl::StrCat(static_cast<int64_t>(v));
    case ArgKind::kULong: return absl::StrCat(v);
    case ArgKind::kHex: return FormatHex(v);
    case ArgKind::kPtr: return FormatPtr(v);
    case ArgKind::kFd: return absl::StrCat(static_cast<int32_t>(v));
    case ArgKind::kDirFd:
      if (static_cast<int32_t>(v) == kAtFdcwd) return "AT_FDCWD";
      return absl::StrCat(static_cast<int32_t>(v));
    case ArgKind::kIgnored: return "";
    case ArgKind::kPath: return internal::FormatCStringArg(mem, v, internal::kPathLimit);
    case ArgKind::kString: return internal::FormatCStringArg(mem, v, opt.string_limit);
    case ArgKind::kInBuf: return internal::FormatBuffer(mem, v, Next(c, i), opt.string_limit);
    case ArgKind::kOutBuf:
    case ArgKind::kOutLinkBuf:
      return internal::FormatBuffer(mem, v, static_cast<uint64_t>(c.ret), opt.string_limit);
    case ArgKind::kOutBufHex:
      return internal::FormatBuffer(mem, v, static_cast<uint64_t>(c.ret), opt.string_limit,
                                    /*hex=*/true);
    case ArgKind::kOutPath: return internal::FormatCStringArg(mem, v, internal::kPathLimit);
    case ArgKind::kArgv: return internal::FormatStringArray(mem, v, opt);
    case ArgKind::kEnvp:
      return opt.verbose_structs ? internal::FormatStringArray(mem, v, opt)
                                 : internal::FormatStringArrayCount(mem, v);
    case ArgKind::kDirents:
      return internal::FormatDirents(mem, v, c.ret, /*dirent64=*/c.nr != kNrGetdents, opt);
    case ArgKind::kIntPtrIn:
    case ArgKind::kIntPtrOut: return internal::FormatIntPtr(mem, v);
    case ArgKind::kFdPairOut: return internal::FormatFdPair(mem, v);
    case ArgKind::kSockLenInOut: {
      if (v == 0) return "NULL";
      int32_t now = 0;
      bool readable = internal::ReadObject(mem, v, now);
      if (!c.at_exit) return readable ? absl::StrCat(now) : "";
      absl::string_view before = EntryText(c, i);
      if (!readable) return before.empty() ? FormatPtr(v) : absl::StrCat("[", before, "]");
      // A failed call leaves the value as it was.
      if (c.failed && !before.empty()) return absl::StrCat("[", before, "]");
      if (c.failed || before.empty() || before == absl::StrCat(now)) {
        return absl::StrCat("[", now, "]");
      }
      return absl::StrCat("[", before, " => ", now, "]");
    }
    case ArgKind::kSockOptIn:
      return internal::FormatSockoptValue(mem, v, Next(c, i), opt);
    case ArgKind::kSockOptOut: {
      int32_t len = 0;
      if (!internal::ReadObject(mem, Next(c, i), len) || len < 0) return FormatPtr(v);
      return internal::FormatSockoptValue(mem, v, static_cast<uint64_t>(len), opt);
    }
    case ArgKind::kSigsetIn:
    case ArgKind::kSigsetOut: return internal::FormatSigset(mem, v);
    case ArgKind::kSigactionIn:
    case ArgKind::kSigactionOut: return internal::FormatSigaction(mem, v);
    case ArgKind::kSiginfoIn:
    case ArgKind::kSiginfoOut: return internal::FormatSiginfoAt(mem, v);
    case ArgKind::kStackIn:
    case ArgKind::kStackOut: return internal::FormatStack(mem, v);
    case ArgKind::kStatOut: return internal::FormatStat(mem, v, opt);
    case ArgKind::kStatxOut: return internal::FormatStatx(mem, v, opt);
    case ArgKind::kStatfsOut: return internal::FormatStatfs(mem, v, opt);
    case ArgKind::kTimespecIn:
    case ArgKind::kTimespecOut: return internal::FormatTimespec(mem, v);
    case ArgKind::kTimespecPair: return internal::FormatTimespecPair(mem, v);
    case ArgKind::kTimevalIn:
    case ArgKind::kTimevalOut: return internal::FormatTimeval(mem, v);
    case ArgKind::kItimerspecIn:
    case ArgKind::kItimerspecOut: return internal::FormatItimerspec(mem, v);
    case ArgKind::kItimervalIn:
    case ArgKind::kItimervalOut: return internal::FormatItimerval(mem, v);
    case ArgKind::kSockaddrIn: return internal::FormatSockaddr(mem, v, Next(c, i));
    case ArgKind::kSockaddrOut: {
      int32_t len = 0;
      if (!internal::ReadObject(mem, Next(c, i), len) || len < 0) return FormatPtr(v);
      // The kernel reports the full length even when it had to cut the
      // address to the caller's buffer.
      int64_t buffer = 0;
      if (absl::SimpleAtoi(EntryText(c, i + 1), &buffer) && buffer >= 0) {
        len = static_cast<int32_t>(std::min<int64_t>(len, buffer));
      }
      return internal::FormatSockaddr(mem, v, static_cast<uint64_t>(len));
    }
    case ArgKind::kIovecIn:
      return internal::FormatIovecs(mem, v, static_cast<uint32_t>(Next(c, i)), std::nullopt, opt);
    case ArgKind::kIovecOut:
      return internal::FormatIovecs(mem, v, static_cast<uint32_t>(Next(c, i)),
                                    static_cast<uint64_t>(c.ret), opt);
    case ArgKind::kMsghdrIn: return internal::FormatMsghdr(mem, v, std::nullopt, opt);
    case ArgKind::kMsghdrOut:
      return internal::FormatMsghdr(mem, v, static_cast<uint64_t>(c.ret), opt);
    case ArgKind::kPollFds:
      return internal::FormatPollFds(mem, v, static_cast<uint32_t>(Next(c, i)), opt);
    case ArgKind::kFdSet:
      return internal::FormatFdSet(mem, v, static_cast<int32_t>(c.args[0]));
    case ArgKind::kEpollEventIn: return internal::FormatEpollEvent(mem, v);
    case ArgKind::kEpollEventsOut: return internal::FormatEpollEvents(mem, v, c.ret, opt);
    case ArgKind::kCloneArgs: return internal::FormatCloneArgs(mem, v, Next(c, i));
    case ArgKind::kWaitStatus:
      if (c.ret == 0) return FormatPtr(v);  // WNOHANG and nothing to report: not written
      return internal::FormatWaitStatus(mem, v);
    case ArgKind::kRlimitIn:
    case ArgKind::kRlimitOut: return internal::FormatRlimit(mem, v);
    case ArgKind::kUtsnameOut: return internal::FormatUtsname(mem, v, opt);
    case ArgKind::kOpenHow: return internal::FormatOpenHow(mem, v, Next(c, i));
    case ArgKind::kGidsIn:
      return internal::FormatGids(mem, v, i > 0 ? static_cast<int32_t>(c.args[i - 1]) : 0, opt);
    case ArgKind::kGidsOut: return internal::FormatGids(mem, v, c.ret, opt);
    case ArgKind::kSysinfoOut: return internal::FormatSysinfo(mem, v);
    case ArgKind::kOffPtrIn: return internal::FormatOffPtr(mem, v);
    case ArgKind::kCpuSetIn:
      return internal::FormatCpuSet(mem, v, i > 0 ? static_cast<uint32_t>(c.args[i - 1]) : 0);
    case ArgKind::kCpuSetOut: return internal::FormatCpuSet(mem, v, c.ret);
    case ArgKind::kTimesOut: return internal::FormatTimes(mem, v);
    case ArgKind::kRusageOut: return internal::FormatRusage(mem, v, opt);
    default:
      break;
  }
  std::optional<std::string> constant = internal::FormatConstantArg(slot.kind, i, c.args, c.nr);
  return constant.has_value() ? *constant : FormatHex(v);
}

std::string CallName(int64_t nr) {
  const SyscallInfo* info = FindSyscall(nr);
  if (info != nullptr) return std::string(info->name);
  return absl::StrFormat("syscall_%#x", static_cast<uint64_t>(nr));
}

// Text of one slot: entry text for inputs; for outputs, decoded now when
// `exit` is given, else the raw address (the call never returned).
std::string SlotText(const Slot& slot, const DecodedEntry& entry, const ArgContext* exit) {
  std::string body;
  if (IsExitKind(slot.kind)) {
    body = exit != nullptr ? DecodeArg(slot, *exit) : FormatPtr(entry.args[slot.index]);
  } else if (static_cast<size_t>(slot.index) < entry.text.size() &&
             !entry.text[slot.index].empty()) {
    // The label was added at entry. clone3's struct is an input that the
    // kernel also writes to.
    if (slot.kind == ArgKind::kCloneArgs && exit != nullptr && !exit->failed) {
      return absl::StrCat(entry.text[slot.index],
                          internal::FormatCloneArgsResult(exit->mem, entry.args[slot.index],
                                                          entry.args[slot.index + 1]));
    }
    return entry.text[slot.index];
  } else {
    body = FormatHex(entry.args[slot.index]);
  }
  return absl::StrCat(internal::ToAbsl(slot.label), body);
}

int FirstExitSlot(const Layout& l) {
  for (int k = 0; k < l.count; ++k) {
    if (IsExitKind(l.slots[k].kind)) return k;
  }
  return l.count;
}

std::string JoinSlots(const Layout& l, int from, int to, const DecodedEntry& entry,
                      const ArgContext* exit) {
  std::string out;
  for (int k = from; k < to; ++k) {
    if (k > from) out += ", ";
    out += SlotText(l.slots[k], entry, exit);
  }
  return out;
}

// What strace appends after some results: ready poll fds, select sets,
// fcntl's flags.
std::string ReturnDetail(const DecodedEntry& e, int64_t ret, RemoteReader& mem,
                         const PrintOptions& opt) {
  if (IsError(ret)) return "";
  switch (e.nr) {
    case kNrPoll:
    case kNrPpoll:
      if (ret == 0) return " (Timeout)";
      return absl::StrCat(" (", internal::FormatPollRevents(mem, e.args[0],
                                                            static_cast<uint32_t>(e.args[1]), opt),
                          ")");
    case kNrSelect:
    case kNrPselect6: {
      if (ret == 0) return " (Timeout)";
      static constexpr std::string_view kSetNames[] = {"in", "out", "except"};
      std::vector<std::string> parts;
      for (int i = 1; i <= 3; ++i) {
        if (e.args[i] == 0) continue;
        std::string set =
            internal::FormatFdSet(mem, e.args[i], static_cast<int32_t>(e.args[0]));
        if (set != "[]") {
          parts.push_back(absl::StrCat(internal::ToAbsl(kSetNames[i - 1]), " ", set));
        }
      }
      // The kernel writes back the time left.
      if (e.args[4] != 0) {
        parts.push_back(absl::StrCat("left ", e.nr == kNrSelect
                                                  ? internal::FormatTimeval(mem, e.args[4])
                                                  : internal::FormatTimespec(mem, e.args[4])));
      }
      if (parts.empty()) return "";
      return absl::StrCat(" (", absl::StrJoin(parts, ", "), ")");
    }
    case kNrSchedGetscheduler:
      return absl::StrCat(" (", *internal::FormatConstantArg(ArgKind::kSchedPolicy, 0,
                                                             {static_cast<uint64_t>(ret)}, e.nr),
                          ")");
    case kNrFcntl: {
      int cmd = static_cast<int>(e.args[1]);
      if (cmd == kFGetfl) {
        return absl::StrCat(" (flags ", internal::FormatOpenFlags(static_cast<uint64_t>(ret)), ")");
      }
      if (cmd == kFGetfd && ret != 0) {
        return absl::StrCat(" (flags ", internal::FormatFdFlags(static_cast<uint64_t>(ret)), ")");
      }
      return "";
    }
    default:
      return "";
  }
}

// FormatReturn, with fcntl's flag results in hex as strace shows them.
std::string ReturnText(const DecodedEntry& e, int64_t ret, RemoteReader& mem,
                       const PrintOptions& opt) {
  std::string out;
  int cmd = static_cast<int>(e.args[1]);
  if (e.nr == kNrFcntl && !IsError(ret) && (cmd == kFGetfl || cmd == kFGetfd)) {
    out = absl::StrCat(" = ", FormatHex(static_cast<uint64_t>(ret)));
  } else {
    out = FormatReturn(e.nr, ret);
  }
  return out + ReturnDetail(e, ret, mem, opt);
}

ArgContext ExitContext(const DecodedEntry& entry, int64_t ret, RemoteReader& mem,
                       const PrintOptions& opt) {
  ArgContext c{entry.nr, entry.args, mem, opt};
  c.at_exit = true;
  c.ret = ret;
  c.failed = IsError(ret);
  c.entry_text = &entry.text;
  return c;
}

}  // namespace

DecodedEntry DecodeEntry(int64_t nr, const std::array<uint64_t, 6>& args, RemoteReader& mem,
                         const PrintOptions& opt) {
  DecodedEntry entry{nr, args, {}};
  const SyscallInfo* info = FindSyscall(nr);
  entry.text.resize(info != nullptr ? info->nargs : 6);
  Layout l = MakeLayout(nr, args);
  ArgContext c{nr, args, mem, opt};
  for (int k = 0; k < l.count; ++k) {
    const Slot& slot = l.slots[k];
    if (static_cast<size_t>(slot.index) >= entry.text.size()) continue;
    if (slot.kind == ArgKind::kSockLenInOut) {
      entry.text[slot.index] = DecodeArg(slot, c);  // the value before the call
    } else if (!IsExitKind(slot.kind)) {
      entry.text[slot.index] = absl::StrCat(internal::ToAbsl(slot.label), DecodeArg(slot, c));
    }
  }
  return entry;
}

bool HasExitOutputs(int64_t nr) {
  const SyscallInfo* info = FindSyscall(nr);
  if (info == nullptr) return false;
  if (nr == kNrPoll || nr == kNrPpoll || nr == kNrSelect || nr == kNrPselect6 ||
      nr == kNrClone || nr == kNrClone3) {
    return true;
  }
  for (int i = 0; i < info->nargs; ++i) {
    if (IsExitKind(info->args[i])) return true;
  }
  return false;
}

std::string FormatCall(const DecodedEntry& entry, int64_t ret, RemoteReader& mem,
                       const PrintOptions& opt) {
  Layout l = MakeLayout(entry.nr, entry.args);
  ArgContext exit = ExitContext(entry, ret, mem, opt);
  return absl::StrCat(CallName(entry.nr), "(", JoinSlots(l, 0, l.count, entry, &exit), ")",
                      ReturnText(entry, ret, mem, opt));
}

std::string FormatNoReturn(const DecodedEntry& entry) {
  Layout l = MakeLayout(entry.nr, entry.args);
  return absl::StrCat(CallName(entry.nr), "(", JoinSlots(l, 0, l.count, entry, nullptr),
                      ") = ?");
}

std::string FormatEntryOnly(const DecodedEntry& entry) {
  Layout l = MakeLayout(entry.nr, entry.args);
  int first_exit = FirstExitSlot(l);
  std::string out =
      absl::StrCat(CallName(entry.nr), "(", JoinSlots(l, 0, first_exit, entry, nullptr));
  if (first_exit > 0 && first_exit < l.count) out += ", ";
  return out;
}

std::string FormatResumed(const DecodedEntry& entry, int64_t ret, RemoteReader& mem,
                          const PrintOptions& opt) {
  Layout l = MakeLayout(entry.nr, entry.args);
  ArgContext exit = ExitContext(entry, ret, mem, opt);
  return absl::StrCat(JoinSlots(l, FirstExitSlot(l), l.count, entry, &exit), ")",
                      ReturnText(entry, ret, mem, opt));
}

std::string FormatReturn(int64_t nr, int64_t ret) {
  const SyscallInfo* info = FindSyscall(nr);
  if (info != nullptr && info->ret == RetKind::kNone) return " = ?";
  if (IsError(ret)) {
    const int err = static_cast<int>(-ret);
    // Interrupted calls the kernel restarts or turns into EINTR: the process
    // never sees these codes, so strace shows no -1.
    switch (err) {
      case 512: return " = ? ERESTARTSYS (To be restarted if SA_RESTART is set)";
      case 513: return " = ? ERESTARTNOINTR (To be restarted)";
      case 514: return " = ? ERESTARTNOHAND (To be restarted if no handler)";
      case 516: return " = ? ERESTART_RESTARTBLOCK (Interrupted by signal)";
      default: break;
    }
    const char* desc = strerrordesc_np(err);
    std::string text = desc != nullptr ? std::string(desc) : absl::StrCat("Unknown error ", err);
    std::string_view name = ErrnoName(err);
    return absl::StrCat(" = -1 ", name.empty() ? absl::StrCat(err) : std::string(name), " (",
                        text, ")");
  }
  if (info != nullptr) {
    switch (info->ret) {
      case RetKind::kHex: return absl::StrCat(" = ", FormatHex(static_cast<uint64_t>(ret)));
      case RetKind::kOctal:
        return absl::StrCat(" = ", internal::FormatMode(static_cast<uint32_t>(ret)));
      default: break;
    }
  }
  return absl::StrCat(" = ", ret);
}

std::string FormatSignal(const siginfo_t& si) {
  return absl::StrCat("--- ", internal::FormatSignalNumber(si.si_signo), " ",
                      internal::FormatSiginfo(si), " ---");
}

}  // namespace ravel
