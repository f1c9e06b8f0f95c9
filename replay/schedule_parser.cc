// The strict schedule reader (ParseSchedule). The format is described in replay/README.md.
//
// The reader goes through the text line by line, in phases: the magic line, the header,
// the four sections (decisions, steps, checkpoints, external), each opened by its count,
// the trailer, and `end`. Every check fails with "line N: <problem>"; lines are checked
// for bytes (printable ASCII and tabs only) before anything quotes them back in a message,
// and quoted tokens are cut short, so a message is always one printable line.
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "replay/schedule.h"

namespace ravel {

namespace {

#define RAVEL_REPLAY_RETURN_IF_ERROR(expr) \
  do {                                     \
    absl::Status status_ = (expr);         \
    if (!status_.ok()) return status_;     \
  } while (false)

constexpr absl::string_view kMagic = "ravel-schedule";
// Longest piece of input quoted back in an error message.
constexpr size_t kMaxShown = 40;
constexpr uint64_t kMaxThreadId = std::numeric_limits<ThreadId>::max();

// The line keys, in the order the phases accept them.
enum class Key {
  kRavelVersion,
  kCommand,
  kArg,
  kCwd,
  kExeHash,
  kStrategy,
  kSeed,
  kOption,
  kDecisions,
  kSteps,
  kCheckpoints,
  kExternal,
  kOutcome,
  kFingerprint,
  kThreads,
  kEnd,
};
constexpr int kNumKeys = static_cast<int>(Key::kEnd) + 1;

struct KeyInfo {
  absl::string_view name;
  Key key;
};
constexpr KeyInfo kKeys[] = {
    {"ravel-version", Key::kRavelVersion},
    {"command", Key::kCommand},
    {"arg", Key::kArg},
    {"cwd", Key::kCwd},
    {"exe-hash", Key::kExeHash},
    {"strategy", Key::kStrategy},
    {"seed", Key::kSeed},
    {"option", Key::kOption},
    {"decisions", Key::kDecisions},
    {"steps", Key::kSteps},
    {"checkpoints", Key::kCheckpoints},
    {"external", Key::kExternal},
    {"outcome", Key::kOutcome},
    {"fingerprint", Key::kFingerprint},
    {"threads", Key::kThreads},
    {"end", Key::kEnd},
};
static_assert(sizeof(kKeys) / sizeof(kKeys[0]) == kNumKeys, "one entry per Key");

// The header keys that must appear exactly once, and the trailer keys (all must).
constexpr Key kMandatoryHeader[] = {Key::kRavelVersion, Key::kCommand,  Key::kCwd,
                                    Key::kExeHash,      Key::kStrategy, Key::kSeed};
constexpr Key kTrailer[] = {Key::kOutcome, Key::kFingerprint, Key::kThreads};

// Where the reader is. The sections come in this order, each opened by its count line.
enum class Phase { kHeader, kDecisions, kSteps, kCheckpoints, kExternal, kTrailer };
constexpr int kNumSections = 4;
constexpr absl::string_view kSectionNames[kNumSections] = {"decisions", "steps", "checkpoints",
                                                           "external"};

std::optional<Key> FindKey(absl::string_view name) {
  for (const KeyInfo& info : kKeys) {
    if (info.name == name) return info.key;
  }
  return std::nullopt;
}

absl::string_view KeyName(Key key) {
  for (const KeyInfo& info : kKeys) {
    if (info.key == key) return info.name;
  }
  return "?";
}

bool IsHeaderKey(Key key) { return key <= Key::kOption; }
bool IsSectionKey(Key key) { return key >= Key::kDecisions && key <= Key::kExternal; }
int SectionIndex(Key key) { return static_cast<int>(key) - static_cast<int>(Key::kDecisions); }
bool IsTrailerKey(Key key) { return key >= Key::kOutcome && key <= Key::kThreads; }

// A piece of a checked line, quoted for a message and cut to kMaxShown bytes.
std::string Show(absl::string_view raw) {
  if (raw.size() > kMaxShown) return absl::StrCat("'", raw.substr(0, kMaxShown), "...'");
  return absl::StrCat("'", raw, "'");
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A word of lowercase letters and dashes that starts and ends with a letter and has at
// least two, like every key. No token of a section's body looks like one ("w", "t-" and
// "w1" do not), so a misspelt key after a section is reported as an unknown key rather
// than as a bad entry of the section.
bool LooksLikeKey(absl::string_view token) {
  const auto is_lower = [](char c) { return c >= 'a' && c <= 'z'; };
  return token.size() >= 2 && is_lower(token.front()) && is_lower(token.back()) &&
         std::all_of(token.begin(), token.end(), [&](char c) { return is_lower(c) || c == '-'; });
}
bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<Schedule> Run();

 private:
  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_no_, ": ", message));
  }

  // The next line, without its '\n'; nullopt at the end of the input. An error when the
  // line is too long or has no newline (a cut file).
  absl::StatusOr<std::optional<absl::string_view>> NextLine();
  // Lines hold printable ASCII and tabs; comments may also hold bytes >= 0x80 (UTF-8).
  absl::Status CheckBytes(absl::string_view line, bool allow_non_ascii) const;
  absl::Status Tokenize(absl::string_view line, std::vector<absl::string_view>& tokens) const;

  absl::Status ParseMagic(absl::string_view line);
  absl::Status ParseKeyLine(Key key, const std::vector<absl::string_view>& tokens);
  absl::Status ParseHeaderValue(Key key, const std::vector<absl::string_view>& tokens);
  absl::Status ParseTrailerValue(Key key, const std::vector<absl::string_view>& tokens);
  absl::Status OpenSection(int index, const std::vector<absl::string_view>& tokens);
  // Ends the current phase (before a section count, a trailer key or `end`): checks that
  // the header is complete, or that the section has as many entries as declared.
  absl::Status ClosePhase();
  absl::Status ParseBodyLine(const std::vector<absl::string_view>& tokens);
  absl::Status ParseDecisionToken(absl::string_view token);
  absl::Status ParseStepToken(absl::string_view token);
  absl::Status ParseCheckpointLine(const std::vector<absl::string_view>& tokens);
  absl::Status ParseExternalLine(const std::vector<absl::string_view>& tokens);
  absl::Status ExpectValues(Key key, const std::vector<absl::string_view>& tokens, size_t n,
                            absl::string_view what) const;
  // Makes room for `count` more entries in the open section.
  absl::Status Reserve(uint64_t count);

  absl::Status String(absl::string_view raw, std::string& out) const;
  absl::Status Decimal(absl::string_view raw, uint64_t max, absl::string_view what,
                       uint64_t& out) const;
  absl::Status Hash(absl::string_view raw, absl::string_view what, uint64_t& out) const;
  absl::Status Thread(absl::string_view raw, bool allow_none, ThreadId& out) const;
  // "X" or "X*N": the body X and the run length N (1 without '*').
  absl::Status SplitRun(absl::string_view token, absl::string_view& body, uint64_t& count) const;

  absl::string_view text_;
  size_t pos_ = 0;
  uint64_t line_no_ = 0;
  Phase phase_ = Phase::kHeader;
  Schedule s_;
  uint64_t first_line_[kNumKeys] = {};  // where each key first appeared; 0: not yet
  absl::flat_hash_map<std::string, uint64_t> option_lines_;
  uint64_t declared_ = 0;  // the open section's count
  uint64_t found_ = 0;     // its entries so far
};

absl::StatusOr<std::optional<absl::string_view>> Parser::NextLine() {
  if (pos_ >= text_.size()) return std::optional<absl::string_view>();
  ++line_no_;
  const size_t left = text_.size() - pos_;
  const size_t window = std::min(left, kMaxLineBytes + 1);
  const char* start = text_.data() + pos_;
  const void* newline = std::memchr(start, '\n', window);
  if (newline == nullptr) {
    if (left > kMaxLineBytes) return Error(absl::StrCat("longer than ", kMaxLineBytes, " bytes"));
    return Error("truncated: the last line has no newline (a schedule ends with the line 'end')");
  }
  const size_t length = static_cast<size_t>(static_cast<const char*>(newline) - start);
  pos_ += length + 1;
  return std::optional<absl::string_view>(absl::string_view(start, length));
}

absl::Status Parser::CheckBytes(absl::string_view line, bool allow_non_ascii) const {
  for (size_t i = 0; i < line.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t' || (c >= 0x20 && c < 0x7f) || (allow_non_ascii && c >= 0x80)) continue;
    if (c == 0) return Error(absl::StrCat("NUL byte at column ", i + 1));
    if (c == '\r') {
      return Error(
          absl::StrCat("carriage return at column ", i + 1, " (lines must end with \\n alone)"));
    }
    return Error(absl::StrCat("byte 0x", absl::Hex(c, absl::kZeroPad2), " at column ", i + 1,
                              " is not printable ASCII (inside a quoted string, write \\x",
                              absl::Hex(c, absl::kZeroPad2), ")"));
  }
  return absl::OkStatus();
}

absl::Status Parser::Tokenize(absl::string_view line,
                              std::vector<absl::string_view>& tokens) const {
  tokens.clear();
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  size_t i = 0;
  while (true) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) return absl::OkStatus();
    const size_t start = i;
    if (line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '\\') {
          i += 2;  // the escaped byte, whatever it is; checked when decoded
          continue;
        }
        if (line[i++] == '"') {
          closed = true;
          break;
        }
      }
      if (!closed) return Error(absl::StrCat("unterminated string starting at column ", start + 1));
      if (i < line.size() && !is_space(line[i])) {
        return Error(absl::StrCat("text right after the closing quote at column ", i + 1,
                                  " (separate tokens with spaces)"));
      }
    } else {
      while (i < line.size() && !is_space(line[i])) ++i;
    }
    tokens.push_back(line.substr(start, i - start));
  }
}

absl::Status Parser::String(absl::string_view raw, std::string& out) const {
  out.clear();
  if (raw.empty() || raw.front() != '"') {
    for (char c : raw) {
      if (c == '"') {
        return Error(absl::StrCat("stray quote in ", Show(raw), " (quote the whole string)"));
      }
      if (c == '\\') {
        return Error(absl::StrCat("backslash outside quotes in ", Show(raw),
                                  " (escapes work inside a quoted string only)"));
      }
    }
    if (raw.size() > kMaxStringBytes) {
      return Error(absl::StrCat("string longer than ", kMaxStringBytes, " bytes"));
    }
    out.assign(raw.data(), raw.size());
    return absl::OkStatus();
  }
  // Tokenize guarantees the closing quote, and that no escape swallows it.
  if (raw.size() < 2 || raw.back() != '"') return Error("unterminated string");
  const absl::string_view inner = raw.substr(1, raw.size() - 2);
  for (size_t i = 0; i < inner.size(); ++i) {
    if (out.size() >= kMaxStringBytes) {
      return Error(absl::StrCat("string longer than ", kMaxStringBytes, " bytes"));
    }
    if (inner[i] != '\\') {
      out.push_back(inner[i]);
      continue;
    }
    if (i + 1 >= inner.size()) return Error("backslash at the end of a string");
    const char e = inner[++i];
    switch (e) {
      case '\\':
      case '"':
        out.push_back(e);
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'x': {
        const int high = i + 1 < inner.size() ? HexValue(inner[i + 1]) : -1;
        const int low = i + 2 < inner.size() ? HexValue(inner[i + 2]) : -1;
        if (high < 0 || low < 0) {
          return Error(absl::StrCat("bad escape ", Show(inner.substr(i - 1, 4)),
                                    " (\\x takes two hex digits)"));
        }
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        break;
      }
      default:
        return Error(absl::StrCat("bad escape ", Show(inner.substr(i - 1, 2)),
                                  " (known: \\\\ \\\" \\n \\t \\r \\xHH)"));
    }
  }
  return absl::OkStatus();
}

absl::Status Parser::Decimal(absl::string_view raw, uint64_t max, absl::string_view what,
                             uint64_t& out) const {
  if (!AllDigits(raw)) {
    return Error(absl::StrCat("malformed ", what, " ", Show(raw), " (expected a decimal number)"));
  }
  uint64_t value = 0;
  for (char c : raw) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) {
      return Error(absl::StrCat(what, " ", Show(raw), " out of range (at most ", max, ")"));
    }
    value = value * 10 + digit;
  }
  out = value;
  return absl::OkStatus();
}

absl::Status Parser::Hash(absl::string_view raw, absl::string_view what, uint64_t& out) const {
  const absl::string_view digits =
      raw.size() > 2 && raw[0] == '0' && (raw[1] == 'x' || raw[1] == 'X') ? raw.substr(2) : "";
  if (digits.empty() || digits.size() > 16 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return HexValue(c) >= 0; })) {
    return Error(
        absl::StrCat("malformed ", what, " ", Show(raw), " (expected 0x and 1 to 16 hex digits)"));
  }
  uint64_t value = 0;
  for (char c : digits) value = value * 16 + static_cast<uint64_t>(HexValue(c));
  out = value;
  return absl::OkStatus();
}

absl::Status Parser::Thread(absl::string_view raw, bool allow_none, ThreadId& out) const {
  if (allow_none && raw == "-") {
    out = kNoThread;
    return absl::OkStatus();
  }
  if (raw.size() > 1 && raw[0] == '-' && AllDigits(raw.substr(1))) {
    return Error(absl::StrCat("negative thread id ", Show(raw),
                              allow_none ? " (write - for no thread)" : ""));
  }
  uint64_t value = 0;
  RAVEL_REPLAY_RETURN_IF_ERROR(Decimal(raw, kMaxThreadId, "thread id", value));
  out = static_cast<ThreadId>(value);
  return absl::OkStatus();
}

absl::Status Parser::SplitRun(absl::string_view token, absl::string_view& body,
                              uint64_t& count) const {
  const size_t star = token.find('*');
  if (star == absl::string_view::npos) {
    body = token;
    count = 1;
    return absl::OkStatus();
  }
  body = token.substr(0, star);
  const absl::string_view digits = token.substr(star + 1);
  if (!AllDigits(digits)) {
    return Error(absl::StrCat("malformed run length in ", Show(token), " (expected X*N)"));
  }
  if (!Decimal(digits, kMaxRunLength, "", count).ok()) {
    return Error(absl::StrCat("run length in ", Show(token), " out of range (at most ",
                              kMaxRunLength, "; split longer runs)"));
  }
  if (count == 0) return Error(absl::StrCat("run length 0 in ", Show(token)));
  return absl::OkStatus();
}

absl::Status Parser::ExpectValues(Key key, const std::vector<absl::string_view>& tokens, size_t n,
                                  absl::string_view what) const {
  if (tokens.size() == n + 1) return absl::OkStatus();
  return Error(absl::StrCat("'", KeyName(key), "' takes ", what, ", got ", tokens.size() - 1,
                            " values (quote a string that has spaces)"));
}

absl::Status Parser::ParseMagic(absl::string_view line) {
  std::vector<absl::string_view> tokens;
  RAVEL_REPLAY_RETURN_IF_ERROR(CheckBytes(line, /*allow_non_ascii=*/false));
  RAVEL_REPLAY_RETURN_IF_ERROR(Tokenize(line, tokens));
  if (tokens.empty() || tokens[0] != kMagic) {
    return Error(absl::StrCat("not a ravel schedule (expected '", kMagic, " ",
                              kScheduleFormatVersion, "')"));
  }
  if (tokens.size() != 2) {
    return Error(absl::StrCat("expected '", kMagic, " VERSION', got ", tokens.size(), " tokens"));
  }
  uint64_t version = 0;
  RAVEL_REPLAY_RETURN_IF_ERROR(
      Decimal(tokens[1], std::numeric_limits<int32_t>::max(), "format version", version));
  if (version != static_cast<uint64_t>(kScheduleFormatVersion)) {
    return Error(absl::StrCat("schedule format version ", version, "; this ravel reads version ",
                              kScheduleFormatVersion));
  }
  return absl::OkStatus();
}

absl::StatusOr<Schedule> Parser::Run() {
  // Checked on the bytes, so that a binary file is "not a schedule" rather than, say, a
  // NUL byte or a truncated line.
  if (text_.substr(0, kMagic.size()) != kMagic) {
    line_no_ = 1;
    return Error(absl::StrCat("not a ravel schedule (expected '", kMagic, " ",
                              kScheduleFormatVersion, "')"));
  }
  absl::StatusOr<std::optional<absl::string_view>> line = NextLine();
  if (!line.ok()) return line.status();
  RAVEL_REPLAY_RETURN_IF_ERROR(ParseMagic(**line));

  std::vector<absl::string_view> tokens;
  while (true) {
    line = NextLine();
    if (!line.ok()) return line.status();
    if (!line->has_value()) {
      ++line_no_;
      return Error("truncated: missing 'end'");
    }
    const absl::string_view text = **line;
    const size_t first = text.find_first_not_of(" \t");
    const bool comment = first != absl::string_view::npos && text[first] == '#';
    RAVEL_REPLAY_RETURN_IF_ERROR(CheckBytes(text, /*allow_non_ascii=*/comment));
    if (comment) continue;
    RAVEL_REPLAY_RETURN_IF_ERROR(Tokenize(text, tokens));
    if (tokens.empty()) continue;  // blank line

    const std::optional<Key> key = FindKey(tokens[0]);
    const bool in_section = phase_ != Phase::kHeader && phase_ != Phase::kTrailer;
    if (!key.has_value()) {
      if (in_section && !LooksLikeKey(tokens[0])) {
        RAVEL_REPLAY_RETURN_IF_ERROR(ParseBodyLine(tokens));
        continue;
      }
      return Error(absl::StrCat("unknown key ", Show(tokens[0])));
    }
    RAVEL_REPLAY_RETURN_IF_ERROR(ParseKeyLine(*key, tokens));
    if (*key == Key::kEnd) break;
  }
  if (pos_ < text_.size()) {
    ++line_no_;
    return Error("text after 'end'");
  }
  return std::move(s_);
}

absl::Status Parser::ParseKeyLine(Key key, const std::vector<absl::string_view>& tokens) {
  const uint64_t first = first_line_[static_cast<int>(key)];
  if (first == 0) first_line_[static_cast<int>(key)] = line_no_;

  if (IsHeaderKey(key)) {
    if (phase_ != Phase::kHeader) {
      return Error(absl::StrCat("header key '", KeyName(key),
                                "' after the header (it goes before '", kSectionNames[0], "')"));
    }
    if (first != 0 && key != Key::kArg && key != Key::kOption) {
      return Error(absl::StrCat("duplicate '", KeyName(key), "' (first on line ", first, ")"));
    }
    return ParseHeaderValue(key, tokens);
  }

  // A section count, a trailer key or `end`: the phases before must all be complete.
  const int sections_done = static_cast<int>(phase_);  // kHeader: 0, kDecisions: 1, ...
  const int wanted_section = IsSectionKey(key) ? SectionIndex(key) : kNumSections;
  if (sections_done < wanted_section) {
    return Error(absl::StrCat("missing '", kSectionNames[sections_done], "' section before '",
                              KeyName(key), "'"));
  }
  if (IsSectionKey(key) && sections_done > wanted_section) {
    return Error(
        absl::StrCat("duplicate '", KeyName(key), "' section (first on line ", first, ")"));
  }
  if (phase_ != Phase::kTrailer) RAVEL_REPLAY_RETURN_IF_ERROR(ClosePhase());

  if (IsSectionKey(key)) return OpenSection(wanted_section, tokens);
  phase_ = Phase::kTrailer;
  if (IsTrailerKey(key)) {
    if (first != 0) {
      return Error(absl::StrCat("duplicate '", KeyName(key), "' (first on line ", first, ")"));
    }
    return ParseTrailerValue(key, tokens);
  }
  // end
  for (Key k : kTrailer) {
    if (first_line_[static_cast<int>(k)] == 0) {
      return Error(absl::StrCat("missing '", KeyName(k), "' before 'end'"));
    }
  }
  if (tokens.size() != 1) return Error("'end' takes no value");
  return absl::OkStatus();
}

absl::Status Parser::ClosePhase() {
  if (phase_ == Phase::kHeader) {
    for (Key k : kMandatoryHeader) {
      if (first_line_[static_cast<int>(k)] == 0) {
        return Error(absl::StrCat("missing header key '", KeyName(k), "' (the header ends here)"));
      }
    }
    return absl::OkStatus();
  }
  const int index = static_cast<int>(phase_) - 1;
  if (found_ != declared_) {
    const uint64_t declared_on = first_line_[static_cast<int>(Key::kDecisions) + index];
    return Error(absl::StrCat("line ", declared_on, " declared ", declared_, " ",
                              kSectionNames[index], ", but ", found_, " follow"));
  }
  return absl::OkStatus();
}

absl::Status Parser::OpenSection(int index, const std::vector<absl::string_view>& tokens) {
  const Key key = static_cast<Key>(static_cast<int>(Key::kDecisions) + index);
  RAVEL_REPLAY_RETURN_IF_ERROR(ExpectValues(key, tokens, 1, "one count"));
  RAVEL_REPLAY_RETURN_IF_ERROR(
      Decimal(tokens[1], kMaxCount, absl::StrCat(kSectionNames[index], " count"), declared_));
  found_ = 0;
  phase_ = static_cast<Phase>(index + 1);
  return absl::OkStatus();
}

absl::Status Parser::ParseHeaderValue(Key key, const std::vector<absl::string_view>& tokens) {
  switch (key) {
    case Key::kRavelVersion:
    case Key::kCommand:
    case Key::kCwd:
    case Key::kStrategy:
    case Key::kArg: {
      RAVEL_REPLAY_RETURN_IF_ERROR(ExpectValues(key, tokens, 1, "one string"));
      std::string value;
      RAVEL_REPLAY_RETURN_IF_ERROR(String(tokens[1], value));
      if (key == Key::kRavelVersion) s_.ravel_version = std::move(value);
      if (key == Key::kCommand) s_.command = std::move(value);
      if (key == Key::kCwd) s_.cwd = std::move(value);
      if (key == Key::kStrategy) s_.strategy = std::move(value);
      if (key == Key::kArg) s_.args.push_back(std::move(value));
      return absl::OkStatus();
    }
    case Key::kExeHash:
      RAVEL_REPLAY_RETURN_IF_ERROR(ExpectValues(key, tokens, 1, "one hash"));
      return Hash(tokens[1], "exe-hash", s_.exe_hash);
    case Key::kSeed:
      RAVEL_REPLAY_RETURN_IF_ERROR(ExpectValues(key, tokens, 1, "one number"));
      return Decimal(tokens[1], std::numeric_limits<uint64_t>::max(), "seed", s_.seed);
    case Key::kOption: {
      RAVEL_REPLAY_RETURN_IF_ERROR(ExpectValues(key, tokens, 2, "a key and a value"));
      std::pair<std::string, std::string> option;
      RAVEL_REPLAY_RETURN_IF_ERROR(String(tokens[1], option.first));
      RAVEL_REPLAY_RETURN_IF_ERROR(String(tokens[2], option.second));
      const auto [it, inserted] = option_lines_.emplace(option.first, line_no_);
      if (!inserted) {
        return Error(absl::StrCat("duplicate option ", Show(tokens[1]), " (first on line ",
                                  it->second, ")"));
      }
      s_.options.push_back(std::move(option));
      return absl::OkStatus();
    }
    default:
      return Error(absl::StrCat("'", KeyName(key), "' is not a header key"));
  }
}

absl::Status Parser::ParseTrailerValue(Key key, const std::vector<absl::string_view>& tokens) {
  switch (key) {
    case Key::kOutcome:
      RAVEL_REPLAY_RETURN_IF_ERROR(ExpectValues(key, tokens, 1, "one string"));
      return String(tokens[1], s_.outcome);
    case Key::kFingerprint:
      RAVEL_REPLAY_RETURN_IF_ERROR(ExpectValues(key, tokens, 1, "one hash"));
      return Hash(tokens[1], "fingerprint", s_.fingerprint);
    case Key::kThreads: {
      RAVEL_REPLAY_RETURN_IF_ERROR(ExpectValues(key, tokens, 1, "one number"));
      uint64_t threads = 0;
      RAVEL_REPLAY_RETURN_IF_ERROR(Decimal(tokens[1], kMaxThreadId, "thread count", threads));
      s_.threads = static_cast<int>(threads);
      return absl::OkStatus();
    }
    default:
      return Error(absl::StrCat("'", KeyName(key), "' is not a trailer key"));
  }
}

absl::Status Parser::Reserve(uint64_t count) {
  // found_ <= declared_ always holds, so the subtraction cannot wrap.
  if (count > declared_ - found_) {
    const int index = static_cast<int>(phase_) - 1;
    return Error(absl::StrCat("more ", kSectionNames[index], " than the ", declared_,
                              " declared on line ",
                              first_line_[static_cast<int>(Key::kDecisions) + index]));
  }
  found_ += count;
  return absl::OkStatus();
}

absl::Status Parser::ParseBodyLine(const std::vector<absl::string_view>& tokens) {
  switch (phase_) {
    case Phase::kDecisions:
      for (absl::string_view token : tokens) {
        RAVEL_REPLAY_RETURN_IF_ERROR(ParseDecisionToken(token));
      }
      return absl::OkStatus();
    case Phase::kSteps:
      for (absl::string_view token : tokens) RAVEL_REPLAY_RETURN_IF_ERROR(ParseStepToken(token));
      return absl::OkStatus();
    case Phase::kCheckpoints:
      return ParseCheckpointLine(tokens);
    case Phase::kExternal:
      return ParseExternalLine(tokens);
    default:
      return Error(absl::StrCat("unknown key ", Show(tokens[0])));
  }
}

absl::Status Parser::ParseDecisionToken(absl::string_view token) {
  absl::string_view body;
  uint64_t count = 0;
  RAVEL_REPLAY_RETURN_IF_ERROR(SplitRun(token, body, count));
  Decision decision;
  if (body == "t+" || body == "t-") {
    decision = Decision::Time(body == "t+");
  } else if (!body.empty() && body.front() == 'w') {
    std::vector<ThreadId> wakees;
    if (body.size() > 1) {
      for (absl::string_view id : absl::StrSplit(body.substr(1), ',')) {
        ThreadId wakee = kNoThread;
        RAVEL_REPLAY_RETURN_IF_ERROR(Thread(id, /*allow_none=*/false, wakee));
        wakees.push_back(wakee);
      }
    }
    std::vector<ThreadId> sorted = wakees;
    std::sort(sorted.begin(), sorted.end());
    const auto duplicate = std::adjacent_find(sorted.begin(), sorted.end());
    if (duplicate != sorted.end()) {
      return Error(absl::StrCat("thread ", *duplicate, " woken twice in ", Show(token)));
    }
    decision = Decision::Wake(std::move(wakees));
  } else if (!body.empty() && (IsDigit(body.front()) || body.front() == '-')) {
    ThreadId thread = kNoThread;
    RAVEL_REPLAY_RETURN_IF_ERROR(Thread(body, /*allow_none=*/false, thread));
    decision = Decision::Pick(thread);
  } else {
    return Error(absl::StrCat("bad decision ", Show(token),
                              " (expected T, wT,T,..., t+ or t-, each optionally *N)"));
  }
  RAVEL_REPLAY_RETURN_IF_ERROR(Reserve(count));
  s_.decisions.insert(s_.decisions.end(), count, decision);
  return absl::OkStatus();
}

absl::Status Parser::ParseStepToken(absl::string_view token) {
  absl::string_view body;
  uint64_t count = 0;
  RAVEL_REPLAY_RETURN_IF_ERROR(SplitRun(token, body, count));
  const size_t colon = body.find(':');
  if (colon == absl::string_view::npos) {
    return Error(absl::StrCat("bad step ", Show(token), " (expected T:S, e.g. 1:202 or 0:start)"));
  }
  StepEvent event;
  RAVEL_REPLAY_RETURN_IF_ERROR(Thread(body.substr(0, colon), /*allow_none=*/true, event.thread));
  const absl::string_view what = body.substr(colon + 1);
  if (AllDigits(what)) {
    uint64_t nr = 0;
    RAVEL_REPLAY_RETURN_IF_ERROR(
        Decimal(what, std::numeric_limits<int32_t>::max(), "syscall number", nr));
    event.what = static_cast<int32_t>(nr);
  } else {
    bool known = false;
    for (int32_t code = kWhatLowest; code <= kWhatThreadStart && !known; ++code) {
      if (StepWhatName(code) == what) {
        event.what = code;
        known = true;
      }
    }
    if (!known) {
      return Error(absl::StrCat("unknown stop ", Show(what), " in ", Show(token),
                                " (expected a syscall number, start, exit, rdtsc, preempt, sync,"
                                " atomic, atomic-after or spin)"));
    }
  }
  RAVEL_REPLAY_RETURN_IF_ERROR(Reserve(count));
  s_.steps.insert(s_.steps.end(), count, event);
  return absl::OkStatus();
}

absl::Status Parser::ParseCheckpointLine(const std::vector<absl::string_view>& tokens) {
  if (tokens.size() != 2) {
    return Error(absl::StrCat("a checkpoint is 'STEP HASH', got ", tokens.size(), " tokens"));
  }
  Checkpoint checkpoint;
  RAVEL_REPLAY_RETURN_IF_ERROR(
      Decimal(tokens[0], std::numeric_limits<uint64_t>::max(), "checkpoint step", checkpoint.step));
  RAVEL_REPLAY_RETURN_IF_ERROR(Hash(tokens[1], "checkpoint hash", checkpoint.hash));
  if (!s_.checkpoints.empty() && checkpoint.step <= s_.checkpoints.back().step) {
    return Error(absl::StrCat("checkpoint step ", checkpoint.step,
                              " does not come after the previous one, step ",
                              s_.checkpoints.back().step));
  }
  RAVEL_REPLAY_RETURN_IF_ERROR(Reserve(1));
  s_.checkpoints.push_back(checkpoint);
  return absl::OkStatus();
}

absl::Status Parser::ParseExternalLine(const std::vector<absl::string_view>& tokens) {
  if (tokens.size() != 4) {
    return Error(absl::StrCat("an external event is 'STEP THREAD KIND DETAIL', got ", tokens.size(),
                              " tokens"));
  }
  ExternalEvent event;
  RAVEL_REPLAY_RETURN_IF_ERROR(
      Decimal(tokens[0], std::numeric_limits<uint64_t>::max(), "event step", event.step));
  RAVEL_REPLAY_RETURN_IF_ERROR(Thread(tokens[1], /*allow_none=*/true, event.thread));
  RAVEL_REPLAY_RETURN_IF_ERROR(String(tokens[2], event.kind));
  RAVEL_REPLAY_RETURN_IF_ERROR(String(tokens[3], event.detail));
  if (event.kind == "preempt") {
    event.preemption = ParsePreemptionSite(event.detail);
    if (!event.preemption.has_value()) {
      return Error(absl::StrCat("a preempt event's detail is 'rip=0xADDRESS regs=HASH', got '", event.detail, "'"));
    }
  }
  if (!s_.external.empty() && event.step < s_.external.back().step) {
    return Error(absl::StrCat("external event at step ", event.step,
                              " comes before the previous one, at step ", s_.external.back().step));
  }
  RAVEL_REPLAY_RETURN_IF_ERROR(Reserve(1));
  s_.external.push_back(std::move(event));
  return absl::OkStatus();
}

#undef RAVEL_REPLAY_RETURN_IF_ERROR

}  // namespace

absl::StatusOr<Schedule> ParseSchedule(absl::string_view text) { return Parser(text).Run(); }

}  // namespace ravel
