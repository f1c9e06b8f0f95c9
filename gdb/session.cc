#include "gdb/session.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gdb/packet.h"
#include "gdb/registers.h"
#include "gdb/signals.h"

namespace ravel::gdb {
namespace {

using Outcome = Session::Outcome;

// The most data bytes one reply carries: hex doubles them, binary escaping at worst too,
// and the reply must fit in the PacketSize we advertised. gdb asks again for the rest.
constexpr size_t kMaxReplyData = (kAdvertisedPacketSize - 8) / 2;

Outcome Reply(std::string payload) { return {std::move(payload), true, std::nullopt}; }
Outcome Ok() { return Reply("OK"); }
Outcome Empty() { return Reply(""); }
Outcome Malformed() { return Reply("E01"); }
Outcome UnknownThread() { return Reply("E02"); }
Outcome TargetFailed() { return Reply("E03"); }

// "<hex>,<hex>" as two numbers.
std::optional<std::pair<uint64_t, uint64_t>> ParsePair(absl::string_view text) {
  const size_t comma = text.find(',');
  if (comma == absl::string_view::npos) return std::nullopt;
  const std::optional<uint64_t> first = ParseHexNumber(text.substr(0, comma));
  const std::optional<uint64_t> second = ParseHexNumber(text.substr(comma + 1));
  if (!first.has_value() || !second.has_value()) return std::nullopt;
  return std::make_pair(*first, *second);
}

// A pid or tid: hex, or "-1".
std::optional<int64_t> ParseId(absl::string_view text) {
  if (text == "-1") return -1;
  const std::optional<uint64_t> value = ParseHexNumber(text);
  if (!value.has_value() || *value > static_cast<uint64_t>(std::numeric_limits<pid_t>::max())) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*value);
}

// A signal number as gdb writes it in C/S/vCont (two hex digits), to a host signal.
std::optional<int> ParseSignal(absl::string_view text) {
  if (text.size() != 2) return std::nullopt;
  const std::optional<uint64_t> gdb = ParseHexNumber(text);
  if (!gdb.has_value()) return std::nullopt;
  const int host = GdbToHostSignal(static_cast<int>(*gdb));
  if (host < 0) return std::nullopt;
  return host;
}

// The reply to a qXfer read of `data` at offset/length: "m" + chunk when more follows,
// "l" + chunk when it reaches the end.
Outcome XferChunk(absl::string_view data, uint64_t offset, uint64_t length) {
  if (length == 0) return Malformed();
  if (offset >= data.size()) return Reply("l");
  const size_t take = std::min<uint64_t>({length, kMaxReplyData, data.size() - offset});
  const bool more = offset + take < data.size();
  return Reply(absl::StrCat(more ? "m" : "l", EscapeBinary(data.substr(offset, take))));
}

bool IsExit(const StopReport& stop) { return stop.kind != StopReport::kSignal; }

}  // namespace

void Session::SetStop(const StopReport& stop, pid_t pid) {
  stop_ = stop;
  pid_ = pid;
  general_thread_ = 0;
}

std::string Session::FormatThread(pid_t tid) const {
  if (multiprocess_) return absl::StrCat("p", absl::Hex(pid_), ".", absl::Hex(tid));
  return absl::StrCat(absl::Hex(tid));
}

std::string Session::StopReply() const {
  const std::string process =
      multiprocess_ ? absl::StrCat(";process:", absl::Hex(pid_)) : std::string();
  switch (stop_.kind) {
    case StopReport::kExited:
      return absl::StrCat("W", HexByte(stop_.exit_status & 0xff), process);
    case StopReport::kKilled:
      return absl::StrCat("X", HexByte(HostToGdbSignal(stop_.signal)), process);
    case StopReport::kSignal:
      break;
  }
  std::string reply = absl::StrCat("T", HexByte(HostToGdbSignal(stop_.signal)));
  if (stop_.tid > 0) absl::StrAppend(&reply, "thread:", FormatThread(stop_.tid), ";");
  if (stop_.breakpoint && swbreak_) reply += "swbreak:;";
  return reply;
}

std::optional<Session::ThreadSpec> Session::ParseThreadSpec(absl::string_view text) {
  ThreadSpec spec;
  if (absl::ConsumePrefix(&text, "p")) {
    const size_t dot = text.find('.');
    const std::optional<int64_t> pid = ParseId(text.substr(0, dot));
    if (!pid.has_value()) return std::nullopt;
    spec.pid = *pid;
    if (dot == absl::string_view::npos) return spec;  // "p<pid>": all its threads
    const std::optional<int64_t> tid = ParseId(text.substr(dot + 1));
    if (!tid.has_value()) return std::nullopt;
    spec.tid = *tid;
    return spec;
  }
  const std::optional<int64_t> tid = ParseId(text);
  if (!tid.has_value()) return std::nullopt;
  spec.pid = 0;
  spec.tid = *tid;
  return spec;
}

std::optional<pid_t> Session::ResolveThread(const ThreadSpec& spec, pid_t fallback,
                                            Target& target) {
  if (spec.pid > 0 && spec.pid != target.Pid()) return std::nullopt;
  if (spec.tid <= 0) return fallback;
  const std::vector<pid_t> threads = target.Threads();
  if (std::find(threads.begin(), threads.end(), spec.tid) == threads.end()) return std::nullopt;
  return static_cast<pid_t>(spec.tid);
}

pid_t Session::StoppedThread(Target& target) const {
  if (stop_.tid > 0) return stop_.tid;
  const std::vector<pid_t> threads = target.Threads();
  return threads.empty() ? target.Pid() : threads.front();
}

pid_t Session::GeneralThread(Target& target) const {
  return general_thread_ > 0 ? general_thread_ : StoppedThread(target);
}

Outcome Session::Handle(absl::string_view packet, Target& target) {
  if (packet.empty()) return Empty();
  switch (packet[0]) {
    case '?': {
      Outcome out = Reply(StopReply());
      // After an exit reply gdb has nothing left to debug: the session is over.
      if (IsExit(stop_)) out.resume = Resume{Resume::kDetach, 0, 0, true};
      return out;
    }
    case 'g':
      return packet.size() == 1 ? HandleReadRegisters(target) : Malformed();
    case 'G':
      return HandleWriteRegisters(packet.substr(1), target);
    case 'p':
      return HandleReadRegister(packet.substr(1), target);
    case 'P':
      return HandleWriteRegister(packet.substr(1), target);
    case 'm':
      return HandleReadMemory(packet.substr(1), target);
    case 'M':
      return HandleWriteMemory(packet.substr(1), /*binary=*/false, target);
    case 'X':
      return HandleWriteMemory(packet.substr(1), /*binary=*/true, target);
    case 'Z':
    case 'z':
      return HandleBreakpoint(packet, packet[0] == 'Z', target);
    case 'c':
    case 'C':
    case 's':
    case 'S':
      return HandleLegacyResume(packet, target);
    case 'H':
      return HandleSetThread(packet, target);
    case 'T': {
      const std::optional<ThreadSpec> spec = ParseThreadSpec(packet.substr(1));
      if (!spec.has_value()) return Malformed();
      if (spec->tid <= 0) return Malformed();
      return ResolveThread(*spec, 0, target).has_value() ? Ok() : UnknownThread();
    }
    case 'q':
    case 'Q':
      return HandleQuery(packet, target);
    case 'v':
      return HandleV(packet, target);
    case 'D': {
      Outcome out = Ok();
      out.resume = Resume{Resume::kDetach, 0, 0, true};
      return out;
    }
    case 'k': {
      // gdb does not wait for an answer to k.
      Outcome out{"", false, Resume{Resume::kKill, 0, 0, true}};
      return out;
    }
    default:
      return Empty();
  }
}

Outcome Session::HandleQuery(absl::string_view packet, Target& target) {
  if (packet == "qSupported" || absl::StartsWith(packet, "qSupported:")) {
    return HandleSupported(packet);
  }
  if (packet == "QStartNoAckMode") {
    no_ack_mode_ = true;
    return Ok();
  }
  if (packet == "qC") return Reply(absl::StrCat("QC", FormatThread(StoppedThread(target))));
  if (packet == "qfThreadInfo") {
    const std::vector<pid_t> threads = target.Threads();
    if (threads.empty()) return Reply("l");
    std::vector<std::string> ids;
    ids.reserve(threads.size());
    for (pid_t tid : threads) ids.push_back(FormatThread(tid));
    return Reply(absl::StrCat("m", absl::StrJoin(ids, ",")));
  }
  if (packet == "qsThreadInfo") return Reply("l");
  // "1": gdb attached to an existing process, so quitting detaches rather than kills.
  if (packet == "qAttached" || absl::StartsWith(packet, "qAttached:")) return Reply("1");
  if (absl::StartsWith(packet, "qXfer:")) return HandleXfer(packet, target);
  return Empty();
}

Outcome Session::HandleSupported(absl::string_view packet) {
  multiprocess_ = false;
  swbreak_ = false;
  absl::string_view features = packet;
  absl::ConsumePrefix(&features, "qSupported:");
  for (absl::string_view feature : absl::StrSplit(features, ';')) {
    if (feature == "multiprocess+") multiprocess_ = true;
    if (feature == "swbreak+") swbreak_ = true;
  }
  std::string reply = absl::StrCat(
      "PacketSize=", absl::Hex(kAdvertisedPacketSize),
      ";QStartNoAckMode+;qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+"
      ";vContSupported+");
  if (multiprocess_) reply += ";multiprocess+";
  if (swbreak_) reply += ";swbreak+";
  return Reply(std::move(reply));
}

Outcome Session::HandleXfer(absl::string_view packet, Target& target) {
  // qXfer:<object>:read:<annex>:<offset>,<length>
  const std::vector<absl::string_view> parts = absl::StrSplit(packet, ':');
  if (parts.size() != 5) return parts.size() >= 3 && parts[2] != "read" ? Empty() : Malformed();
  const absl::string_view object = parts[1], op = parts[2], annex = parts[3];
  if (op != "read") return Empty();
  const auto range = ParsePair(parts[4]);
  if (object == "features") {
    if (!range.has_value() || annex != "target.xml") return Malformed();
    return XferChunk(TargetXml(), range->first, range->second);
  }
  if (object == "auxv") {
    if (!range.has_value() || !annex.empty()) return Malformed();
    const absl::StatusOr<std::string> auxv = target.Auxv();
    if (!auxv.ok()) return TargetFailed();
    return XferChunk(*auxv, range->first, range->second);
  }
  if (object == "exec-file") {
    if (!range.has_value()) return Malformed();
    if (!annex.empty()) {
      const std::optional<int64_t> pid = ParseId(annex);
      if (!pid.has_value()) return Malformed();
      if (*pid != target.Pid()) return UnknownThread();
    }
    return XferChunk(target.ExecFile(), range->first, range->second);
  }
  return Empty();
}

Outcome Session::HandleSetThread(absl::string_view packet, Target& target) {
  if (packet.size() < 3) return Malformed();
  const char op = packet[1];
  if (op != 'g' && op != 'c') return Malformed();
  const std::optional<ThreadSpec> spec = ParseThreadSpec(packet.substr(2));
  if (!spec.has_value()) return Malformed();
  const std::optional<pid_t> tid = ResolveThread(*spec, 0, target);
  if (!tid.has_value()) return UnknownThread();
  (op == 'g' ? general_thread_ : continue_thread_) = *tid;
  return Ok();
}

Outcome Session::HandleReadRegisters(Target& target) {
  const pid_t tid = GeneralThread(target);
  RegisterFile file;
  absl::StatusOr<user_regs_struct> gpr = target.GetRegs(tid);
  absl::StatusOr<user_fpregs_struct> fpr = target.GetFpRegs(tid);
  if (!gpr.ok() || !fpr.ok()) return TargetFailed();
  file.gpr = *gpr;
  file.fpr = *fpr;
  return Reply(HexEncode(ReadAllRegisters(file)));
}

Outcome Session::HandleWriteRegisters(absl::string_view hex, Target& target) {
  const std::optional<std::string> bytes = HexDecode(hex);
  if (!bytes.has_value() || bytes->size() != kRegisterFileBytes) return Malformed();
  const pid_t tid = GeneralThread(target);
  absl::StatusOr<user_regs_struct> gpr = target.GetRegs(tid);
  absl::StatusOr<user_fpregs_struct> fpr = target.GetFpRegs(tid);
  if (!gpr.ok() || !fpr.ok()) return TargetFailed();
  RegisterFile file{*gpr, *fpr};
  WriteAllRegisters(file, *bytes);
  if (!target.SetRegs(tid, file.gpr).ok()) return TargetFailed();
  if (!target.SetFpRegs(tid, file.fpr).ok()) return TargetFailed();
  return Ok();
}

Outcome Session::HandleReadRegister(absl::string_view text, Target& target) {
  const std::optional<uint64_t> regno = ParseHexNumber(text);
  if (!regno.has_value() || *regno >= kNumRegisters) return Malformed();
  const int reg = static_cast<int>(*regno);
  const pid_t tid = GeneralThread(target);
  RegisterFile file;
  if (IsFpRegister(reg)) {
    absl::StatusOr<user_fpregs_struct> fpr = target.GetFpRegs(tid);
    if (!fpr.ok()) return TargetFailed();
    file.fpr = *fpr;
  } else {
    absl::StatusOr<user_regs_struct> gpr = target.GetRegs(tid);
    if (!gpr.ok()) return TargetFailed();
    file.gpr = *gpr;
  }
  return Reply(HexEncode(ReadRegister(file, reg)));
}

Outcome Session::HandleWriteRegister(absl::string_view text, Target& target) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos) return Malformed();
  const std::optional<uint64_t> regno = ParseHexNumber(text.substr(0, eq));
  const std::optional<std::string> value = HexDecode(text.substr(eq + 1));
  if (!regno.has_value() || *regno >= kNumRegisters || !value.has_value()) return Malformed();
  const int reg = static_cast<int>(*regno);
  if (value->size() != *RegisterSize(reg)) return Malformed();
  const pid_t tid = GeneralThread(target);
  RegisterFile file;
  if (IsFpRegister(reg)) {
    absl::StatusOr<user_fpregs_struct> fpr = target.GetFpRegs(tid);
    if (!fpr.ok()) return TargetFailed();
    file.fpr = *fpr;
    WriteRegister(file, reg, *value);
    if (!target.SetFpRegs(tid, file.fpr).ok()) return TargetFailed();
  } else {
    absl::StatusOr<user_regs_struct> gpr = target.GetRegs(tid);
    if (!gpr.ok()) return TargetFailed();
    file.gpr = *gpr;
    WriteRegister(file, reg, *value);
    if (!target.SetRegs(tid, file.gpr).ok()) return TargetFailed();
  }
  return Ok();
}

Outcome Session::HandleReadMemory(absl::string_view text, Target& target) {
  const auto range = ParsePair(text);
  if (!range.has_value()) return Malformed();
  const auto [addr, length] = *range;
  if (length == 0) return Reply("");
  if (addr + length < addr) return Malformed();  // wraps around the address space
  // gdb accepts a short answer and asks again for the rest.
  absl::StatusOr<std::string> bytes = target.ReadMemory(addr, std::min(length, kMaxReplyData));
  if (!bytes.ok() || bytes->empty()) return TargetFailed();
  if (bytes->size() > length) bytes->resize(length);
  return Reply(HexEncode(*bytes));
}

Outcome Session::HandleWriteMemory(absl::string_view text, bool binary, Target& target) {
  // M<addr>,<length>:<hex>   X<addr>,<length>:<escaped binary>
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) return Malformed();
  const auto range = ParsePair(text.substr(0, colon));
  if (!range.has_value()) return Malformed();
  const auto [addr, length] = *range;
  const absl::string_view data = text.substr(colon + 1);
  const std::optional<std::string> bytes = binary ? UnescapeBinary(data) : HexDecode(data);
  if (!bytes.has_value() || bytes->size() != length) return Malformed();
  if (length == 0) return Ok();  // gdb probes X support with a zero-length write
  if (addr + length < addr) return Malformed();
  return target.WriteMemory(addr, *bytes).ok() ? Ok() : TargetFailed();
}

Outcome Session::HandleBreakpoint(absl::string_view packet, bool insert, Target& target) {
  // Z<type>,<addr>,<kind>[;cond...]: only type 0 (software breakpoint) is supported.
  if (packet.size() < 2) return Malformed();
  if (packet[1] != '0') return Empty();
  absl::string_view rest = packet.substr(2);
  if (!absl::ConsumePrefix(&rest, ",")) return Malformed();
  rest = rest.substr(0, rest.find(';'));
  const auto fields = ParsePair(rest);  // addr, kind (1 on x86)
  if (!fields.has_value()) return Malformed();
  const absl::Status status =
      insert ? target.InsertBreakpoint(fields->first) : target.RemoveBreakpoint(fields->first);
  return status.ok() ? Ok() : TargetFailed();
}

Outcome Session::HandleLegacyResume(absl::string_view packet, Target& target) {
  // c[addr]  C<sig>[;addr]  s[addr]  S<sig>[;addr], for the Hc thread.
  if (IsExit(stop_)) return Malformed();
  const char op = packet[0];
  absl::string_view rest = packet.substr(1);
  int signal = 0;
  if (op == 'C' || op == 'S') {
    const std::optional<int> sig = ParseSignal(rest.substr(0, rest.find(';')));
    if (!sig.has_value()) return Malformed();
    signal = *sig;
    const size_t semi = rest.find(';');
    rest = semi == absl::string_view::npos ? absl::string_view() : rest.substr(semi + 1);
  }
  const pid_t tid = continue_thread_ > 0 ? continue_thread_ : StoppedThread(target);
  if (!rest.empty()) {
    const std::optional<uint64_t> addr = ParseHexNumber(rest);
    if (!addr.has_value()) return Malformed();
    absl::StatusOr<user_regs_struct> regs = target.GetRegs(tid);
    if (!regs.ok()) return TargetFailed();
    regs->rip = *addr;
    if (!target.SetRegs(tid, *regs).ok()) return TargetFailed();
  }
  const bool step = op == 's' || op == 'S';
  Resume resume{step ? Resume::kStep : Resume::kContinue, tid, signal, continue_thread_ <= 0};
  return {"", false, resume};
}

Outcome Session::HandleV(absl::string_view packet, Target& target) {
  if (packet == "vCont?") return Reply("vCont;c;C;s;S");
  absl::string_view actions = packet;
  if (absl::ConsumePrefix(&actions, "vCont;")) return HandleVCont(actions, target);
  if (packet == "vKill" || absl::StartsWith(packet, "vKill;")) {
    Outcome out = Ok();
    out.resume = Resume{Resume::kKill, 0, 0, true};
    return out;
  }
  return Empty();  // vMustReplyEmpty, vFile, vRun, vAttach...: not supported
}

Outcome Session::HandleVCont(absl::string_view text, Target& target) {
  // vCont;<action>[:<thread>];... : each thread takes the first action that names it.
  if (IsExit(stop_)) return Malformed();
  struct Action {
    bool step;
    int signal;
    std::optional<ThreadSpec> spec;  // none: every thread
  };
  std::vector<Action> actions;
  for (absl::string_view item : absl::StrSplit(text, ';')) {
    const size_t colon = item.find(':');
    const absl::string_view verb = item.substr(0, colon);
    if (verb.empty()) return Malformed();
    Action action{verb[0] == 's' || verb[0] == 'S', 0, std::nullopt};
    if (verb == "c" || verb == "s") {
      // no signal
    } else if (verb[0] == 'C' || verb[0] == 'S') {
      const std::optional<int> sig = ParseSignal(verb.substr(1));
      if (!sig.has_value()) return Malformed();
      action.signal = *sig;
    } else {
      return Malformed();  // t, r and anything else were not offered in vCont?
    }
    if (colon != absl::string_view::npos) {
      action.spec = ParseThreadSpec(item.substr(colon + 1));
      if (!action.spec.has_value()) return Malformed();
    }
    actions.push_back(action);
  }
  if (actions.empty()) return Malformed();

  const pid_t pid = target.Pid();
  const pid_t stopped = StoppedThread(target);
  auto applies = [&](const Action& a, pid_t tid) {
    if (!a.spec.has_value()) return true;
    if (a.spec->pid > 0 && a.spec->pid != pid) return false;
    return a.spec->tid <= 0 || a.spec->tid == tid;
  };
  // Each live thread's action, in thread order.
  std::vector<std::pair<pid_t, const Action*>> resumed;
  for (pid_t tid : target.Threads()) {
    for (const Action& a : actions) {
      if (applies(a, tid)) {
        resumed.emplace_back(tid, &a);
        break;
      }
    }
  }
  if (resumed.empty()) return UnknownThread();

  // The thread the Resume is about: a stepping thread if any (the stopped one first),
  // else a thread with a signal to receive, else the stopped thread, else the first.
  auto pick = [&](auto&& wanted) -> const std::pair<pid_t, const Action*>* {
    const std::pair<pid_t, const Action*>* first = nullptr;
    for (const auto& entry : resumed) {
      if (!wanted(*entry.second)) continue;
      if (entry.first == stopped) return &entry;
      if (first == nullptr) first = &entry;
    }
    return first;
  };
  const auto* chosen = pick([](const Action& a) { return a.step; });
  if (chosen == nullptr) chosen = pick([](const Action& a) { return a.signal != 0; });
  if (chosen == nullptr) chosen = pick([](const Action&) { return true; });
  const Resume resume{chosen->second->step ? Resume::kStep : Resume::kContinue, chosen->first,
                      chosen->second->signal, resumed.size() > 1};
  return {"", false, resume};
}

}  // namespace ravel::gdb
