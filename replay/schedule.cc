// The schedule writer and the file helpers. The reader is in schedule_parser.cc.
#include "replay/schedule.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/atomic_file.h"
#include "xxhash.h"

namespace ravel {

namespace {

// Token lists wrap before this column.
constexpr size_t kWrapColumn = 100;
// Longest schedule file ReadScheduleFile loads: kMaxCount steps and decisions at a few
// bytes each, with room to spare.
constexpr uint64_t kMaxFileBytes = uint64_t{2} << 30;

// A byte that may appear in an unquoted string: printable ASCII except space, '"' and '\'.
bool IsBareByte(unsigned char c) { return c > 0x20 && c < 0x7f && c != '"' && c != '\\'; }

// Appends `s` as one token: bare when it is a non-empty run of bare bytes, else quoted with
// C escapes (\\, \", \n, \t, \r, and \xHH for every other non-printable byte).
void AppendString(std::string& out, absl::string_view s) {
  bool bare = !s.empty();
  for (unsigned char c : s) bare = bare && IsBareByte(c);
  if (bare) {
    out.append(s.data(), s.size());
    return;
  }
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(static_cast<char>(c));
        } else {
          absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
        }
    }
  }
  out.push_back('"');
}

std::string HexHash(uint64_t value) {
  return absl::StrCat("0x", absl::Hex(value, absl::kZeroPad16));
}

std::string ThreadToken(ThreadId id) { return id == kNoThread ? "-" : absl::StrCat(id); }

void AppendStringLine(std::string& out, absl::string_view key, absl::string_view value) {
  absl::StrAppend(&out, key, " ");
  AppendString(out, value);
  out.push_back('\n');
}

// Writes tokens separated by spaces on lines indented by two spaces, wrapped at kWrapColumn.
class TokenLines {
 public:
  explicit TokenLines(std::string& out) : out_(out) {}
  ~TokenLines() {
    if (column_ > 0) out_.push_back('\n');
  }

  void Add(absl::string_view token) {
    if (column_ > 0 && column_ + 1 + token.size() > kWrapColumn) {
      out_.push_back('\n');
      column_ = 0;
    }
    out_ += column_ == 0 ? "  " : " ";
    out_.append(token.data(), token.size());
    column_ += (column_ == 0 ? 2 : 1) + token.size();
  }

 private:
  std::string& out_;
  size_t column_ = 0;
};

// Run-length encodes `items`: a run of equal items is one token "X*N" (N <= kMaxRunLength).
template <typename T, typename TokenFn>
void AppendRuns(std::string& out, const std::vector<T>& items, TokenFn token) {
  TokenLines lines(out);
  for (size_t i = 0; i < items.size();) {
    size_t j = i + 1;
    while (j < items.size() && j - i < kMaxRunLength && items[j] == items[i]) ++j;
    std::string text = token(items[i]);
    if (j - i > 1) absl::StrAppend(&text, "*", j - i);
    lines.Add(text);
    i = j;
  }
}

std::string DecisionToken(const Decision& d) {
  switch (d.kind) {
    case Decision::Kind::kPick:
      return ThreadToken(d.thread);
    case Decision::Kind::kWake:
      return absl::StrCat("w", absl::StrJoin(d.wakees, ","));
    case Decision::Kind::kTime:
      return d.advance ? "t+" : "t-";
  }
  return "?";
}

std::string StepToken(const StepEvent& e) {
  const absl::string_view name = StepWhatName(e.what);
  return absl::StrCat(ThreadToken(e.thread), ":", name.empty() ? absl::StrCat(e.what) : name);
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::ErrnoToStatus(errno, absl::StrCat(what, " ", path));
}

// Reads all of `fd` into `out`, failing beyond kMaxFileBytes.
absl::Status ReadAll(int fd, const std::string& path, std::string& out) {
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path);
    }
    if (n == 0) return absl::OkStatus();
    if (out.size() + static_cast<size_t>(n) > kMaxFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than ", kMaxFileBytes, " bytes: not a schedule"));
    }
    out.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

std::string FormatPreemptionSite(const PreemptionSite& site) {
  return absl::StrFormat("rip=0x%x regs=%016x", site.rip, site.reg_hash);
}

std::optional<PreemptionSite> ParsePreemptionSite(absl::string_view detail) {
  std::vector<absl::string_view> parts = absl::StrSplit(detail, ' ');
  if (parts.size() != 2 || !absl::ConsumePrefix(&parts[0], "rip=0x") || !absl::ConsumePrefix(&parts[1], "regs=")) {
    return std::nullopt;
  }
  auto hex = [](absl::string_view digits, uint64_t& out) {
    if (digits.empty() || digits.size() > 16) return false;
    for (char c : digits) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return absl::SimpleHexAtoi(digits, &out);
  };
  PreemptionSite site;
  if (!hex(parts[0], site.rip) || !hex(parts[1], site.reg_hash)) return std::nullopt;
  return site;
}

ExternalEvent PreemptionEvent(uint64_t step, ThreadId thread, const PreemptionSite& site) {
  return ExternalEvent{step, thread, "preempt", FormatPreemptionSite(site), site};
}

absl::string_view StepWhatName(int32_t what) {
  switch (what) {
    case kWhatThreadStart:
      return "start";
    case kWhatRdtsc:
      return "rdtsc";
    case kWhatThreadExit:
      return "exit";
    case kWhatPreempt:
      return "preempt";
    case kWhatSync:
      return "sync";
    case kWhatAtomic:
      return "atomic";
    case kWhatSpin:
      return "spin";
    case kWhatAtomicAfter:
      return "atomic-after";
  }
  return "";
}

std::string DescribeDecision(const Decision& decision) {
  switch (decision.kind) {
    case Decision::Kind::kPick:
      return absl::StrCat("pick of T", decision.thread);
    case Decision::Kind::kWake:
      return absl::StrCat("wake of [", absl::StrJoin(decision.wakees, ", "), "]");
    case Decision::Kind::kTime:
      return decision.advance ? "time jump" : "no time jump";
  }
  return "unknown decision";
}

std::string SerializeSchedule(const Schedule& s) {
  std::string out;
  absl::StrAppend(&out, "ravel-schedule ", kScheduleFormatVersion, "\n");
  AppendStringLine(out, "ravel-version", s.ravel_version);
  AppendStringLine(out, "command", s.command);
  for (const std::string& arg : s.args) AppendStringLine(out, "arg", arg);
  AppendStringLine(out, "cwd", s.cwd);
  absl::StrAppend(&out, "exe-hash ", HexHash(s.exe_hash), "\n");
  AppendStringLine(out, "strategy", s.strategy);
  absl::StrAppend(&out, "seed ", s.seed, "\n");
  for (const auto& [key, value] : s.options) {
    out += "option ";
    AppendString(out, key);
    out.push_back(' ');
    AppendString(out, value);
    out.push_back('\n');
  }

  out +=
      "# T: pick thread T; wA,B: wake A and B; t+/t-: time jumped first or not; X*N: N times X\n";
  absl::StrAppend(&out, "decisions ", s.decisions.size(), "\n");
  AppendRuns(out, s.decisions, DecisionToken);

  out +=
      "# T:S: thread T (- if none) stopped at syscall S or at start, exit, rdtsc, preempt,\n"
      "# sync, atomic, atomic-after, spin\n";
  absl::StrAppend(&out, "steps ", s.steps.size(), "\n");
  AppendRuns(out, s.steps, StepToken);

  absl::StrAppend(&out, "# STEP HASH\ncheckpoints ", s.checkpoints.size(), "\n");
  for (const Checkpoint& c : s.checkpoints) {
    absl::StrAppend(&out, "  ", c.step, " ", HexHash(c.hash), "\n");
  }

  absl::StrAppend(&out, "# STEP THREAD KIND DETAIL\nexternal ", s.external.size(), "\n");
  for (const ExternalEvent& e : s.external) {
    absl::StrAppend(&out, "  ", e.step, " ", ThreadToken(e.thread), " ");
    AppendString(out, e.kind);
    out.push_back(' ');
    AppendString(out, e.detail);
    out.push_back('\n');
  }

  AppendStringLine(out, "outcome", s.outcome);
  absl::StrAppend(&out, "fingerprint ", HexHash(s.fingerprint), "\n");
  absl::StrAppend(&out, "threads ", s.threads, "\n");
  out += "end\n";
  return out;
}

absl::Status WriteScheduleFile(const std::string& path, const Schedule& s) {
  // Whole or absent (base/atomic_file.h): a reader never sees a half-written schedule.
  return WriteFileAtomically(path, SerializeSchedule(s));
}

absl::StatusOr<Schedule> ReadScheduleFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open schedule", path);
  std::string text;
  const absl::Status read_status = ReadAll(fd, path, text);
  close(fd);
  if (!read_status.ok()) return read_status;
  absl::StatusOr<Schedule> schedule = ParseSchedule(text);
  if (!schedule.ok()) {
    return absl::Status(schedule.status().code(),
                        absl::StrCat(path, ": ", schedule.status().message()));
  }
  return schedule;
}

absl::StatusOr<uint64_t> HashFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 &XXH3_freeState);
  if (state == nullptr || XXH3_64bits_reset(state.get()) != XXH_OK) {
    close(fd);
    return absl::ResourceExhaustedError("cannot allocate an XXH3 state");
  }
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status status = ErrnoError("cannot read", path);
      close(fd);
      return status;
    }
    if (n == 0) break;
    XXH3_64bits_update(state.get(), buffer, static_cast<size_t>(n));
  }
  close(fd);
  return static_cast<uint64_t>(XXH3_64bits_digest(state.get()));
}

}  // namespace ravel
