#include "replay/schedule.h"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "strategies/rng.h"
#include "xxhash.h"

namespace ravel {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Strings that stress the escaping: spaces, quotes, backslashes, control bytes, NUL,
// UTF-8 and raw high bytes, things that look like keys, comments or numbers.
const std::vector<std::string>& NastyStrings() {
  static const auto* strings = new std::vector<std::string>{
      "",
      " ",
      "two words",
      " leading and trailing ",
      "\"",
      "\"quoted\"",
      "back\\slash",
      "\\x41",
      "new\nline",
      "tab\there",
      "cr\r",
      std::string("nul\0byte", 8),
      std::string(1, '\0'),
      "\x01\x1f\x7f\x80\xff",
      "caf\xc3\xa9",
      "# not a comment",
      "end",
      "decisions 3",
      "0*5",
      "-",
      "0x1234",
      "a=b",
      "fail(signal SIGSEGV)",
      std::string(300, 'x'),
  };
  return *strings;
}

// A schedule with a bit of everything, and nasty strings where strings go.
Schedule SampleSchedule() {
  Schedule s;
  s.ravel_version = "0.1.0";
  s.command = "/work/build/tests/guests/lost wakeup";
  s.args = {"/work/build/tests/guests/lost wakeup",
            "--name",
            "it's \"quoted\"",
            "",
            "line1\nline2",
            std::string("a\0b", 3),
            "caf\xc3\xa9 \x01\xff"};
  s.cwd = "/tmp/dir with spaces/\\back";
  s.exe_hash = 0x0123456789abcdefULL;
  s.strategy = "pct";
  s.seed = 18446744073709551615ULL;
  s.options = {{"pct-depth", "3"}, {"pct-steps", "412"}, {"odd key", "odd\tvalue"}};
  for (int i = 0; i < 40; ++i) s.decisions.push_back(Decision::Pick(i % 3));
  for (int i = 0; i < 17; ++i) s.decisions.push_back(Decision::Pick(2));
  s.decisions.push_back(Decision::Wake({1, 3}));
  s.decisions.push_back(Decision::Wake({1, 3}));
  s.decisions.push_back(Decision::Wake({}));
  s.decisions.push_back(Decision::Time(true));
  s.decisions.push_back(Decision::Time(false));
  s.decisions.push_back(Decision::Pick(INT_MAX));
  s.steps = {{0, kWhatThreadStart},
             {0, 56},
             {1, kWhatThreadStart},
             {1, 202},
             {1, 202},
             {1, 202},
             {0, kWhatRdtsc},
             {kNoThread, kWhatPreempt},
             {2, kWhatSync},
             {2, kWhatAtomic},
             {2, kWhatThreadExit},
             {0, INT32_MAX},
             {0, 0}};
  s.checkpoints = {{0, 1}, {5, 0xffffffffffffffffULL}, {12, 0x8000000000000000ULL}};
  s.external = {{3, 1, "external-ready", "fd 3", std::nullopt},
                {3, kNoThread, "kernel-return", "", std::nullopt},
                {9, 2, "odd kind", "\"detail\"\n", std::nullopt}};
  s.outcome = "fail(signal SIGSEGV)";
  s.fingerprint = 0xfeedfacecafebeefULL;
  s.threads = 3;
  return s;
}

// A deterministic generator of valid schedules.
class ScheduleGenerator {
 public:
  explicit ScheduleGenerator(uint64_t seed) : state_(seed) {}

  uint64_t Below(uint64_t n) { return SplitMix64Next(state_) % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }

  std::string String() {
    if (OneIn(3)) return NastyStrings()[Below(NastyStrings().size())];
    std::string s(Below(12), '\0');
    for (char& c : s) {
      // Mostly printable, often a special byte, sometimes anything.
      const uint64_t kind = Below(10);
      if (kind < 6) {
        c = static_cast<char>(0x20 + Below(0x5f));
      } else if (kind < 8) {
        c = " \"\\\n\t\r#*:,"[Below(10)];
      } else {
        c = static_cast<char>(Below(256));
      }
    }
    return s;
  }

  ThreadId Thread() {
    if (OneIn(50)) return INT_MAX - static_cast<ThreadId>(Below(3));
    return static_cast<ThreadId>(Below(6));
  }

  Decision MakeDecision() {
    switch (Below(4)) {
      case 0: {
        std::vector<ThreadId> wakees;
        const uint64_t n = Below(5);
        for (ThreadId id = static_cast<ThreadId>(Below(3)); wakees.size() < n; id += 1 + Below(4)) {
          wakees.push_back(id);
        }
        // Any order is valid (FIFO order of the waiters), as long as they are distinct.
        if (wakees.size() > 1 && OneIn(2)) std::swap(wakees.front(), wakees.back());
        return Decision::Wake(std::move(wakees));
      }
      case 1:
        return Decision::Time(OneIn(2));
      default:
        return Decision::Pick(Thread());
    }
  }

  StepEvent MakeStep() {
    StepEvent e;
    e.thread = OneIn(10) ? kNoThread : Thread();
    e.what = OneIn(3)    ? -1 - static_cast<int32_t>(Below(6))
             : OneIn(50) ? INT32_MAX
                         : static_cast<int32_t>(Below(450));
    return e;
  }

  // Runs of equal items, now and then one longer than a token can hold.
  template <typename T, typename Make>
  std::vector<T> Runs(Make make) {
    std::vector<T> items;
    const uint64_t runs = Below(40);
    for (uint64_t r = 0; r < runs; ++r) {
      const T item = make();
      const uint64_t length =
          OneIn(60) ? kMaxRunLength + 1 + Below(3) : 1 + Below(OneIn(4) ? 30 : 2);
      items.insert(items.end(), length, item);
    }
    return items;
  }

  Schedule Make() {
    Schedule s;
    s.ravel_version = String();
    s.command = String();
    for (uint64_t i = Below(5); i > 0; --i) s.args.push_back(String());
    s.cwd = String();
    s.exe_hash = SplitMix64Next(state_);
    s.strategy = String();
    s.seed = OneIn(4) ? Below(100) : SplitMix64Next(state_);
    for (uint64_t i = Below(4); i > 0; --i) {
      s.options.emplace_back(absl::StrCat(String(), "#", i), String());  // distinct keys
    }
    s.decisions = Runs<Decision>([this] { return MakeDecision(); });
    s.steps = Runs<StepEvent>([this] { return MakeStep(); });
    uint64_t step = Below(3);
    for (uint64_t i = Below(5); i > 0; --i) {
      s.checkpoints.push_back({step, SplitMix64Next(state_)});
      step += 1 + Below(1000);
    }
    step = 0;
    for (uint64_t i = Below(5); i > 0; --i) {
      step += Below(3);
      if (OneIn(3)) {
        s.external.push_back(PreemptionEvent(step, Thread(), PreemptionSite{SplitMix64Next(state_), SplitMix64Next(state_)}));
      } else {
        std::string kind = String();
        if (kind == "preempt") kind = "preempted";  // a preempt event's detail is a site
        s.external.push_back({step, OneIn(4) ? kNoThread : Thread(), kind, String(), std::nullopt});
      }
    }
    s.outcome = String();
    s.fingerprint = SplitMix64Next(state_);
    s.threads = static_cast<int>(OneIn(10) ? INT_MAX : Below(20));
    return s;
  }

 private:
  uint64_t state_;
};

// The one-line "line N: ..." form every reader error has.
::testing::AssertionResult IsLineError(const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionFailure() << "parsed";
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "not InvalidArgument: " << status;
  }
  const absl::string_view message = status.message();
  if (!absl::StartsWith(message, "line ") || absl::StrContains(message, "\n") ||
      message.size() > 300) {
    return ::testing::AssertionFailure() << "not one 'line N: ' line: " << message;
  }
  return ::testing::AssertionSuccess();
}

// The reader's error on `text`: a one-line "line `line`: ..." message containing `fragment`.
void ExpectError(absl::string_view text, int line, absl::string_view fragment) {
  const absl::StatusOr<Schedule> parsed = ParseSchedule(text);
  ASSERT_FALSE(parsed.ok()) << "parsed:\n" << text;
  ASSERT_TRUE(IsLineError(parsed.status()));
  EXPECT_THAT(std::string(parsed.status().message()),
              StartsWith(absl::StrCat("line ", line, ": ")));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(std::string(fragment)));
}

// A small valid file, written by hand; the error tests edit one line of it.
constexpr absl::string_view kSmallFile =
    "ravel-schedule 1\n"               // 1
    "ravel-version 0.1.0\n"            // 2
    "command /bin/true\n"              // 3
    "arg /bin/true\n"                  // 4
    "cwd /\n"                          // 5
    "exe-hash 0x0123456789abcdef\n"    // 6
    "strategy pct\n"                   // 7
    "seed 42\n"                        // 8
    "option pct-depth 3\n"             // 9
    "decisions 4\n"                    // 10
    "  0*2 w1,2 t+\n"                  // 11
    "steps 3\n"                        // 12
    "  0:start 0:202*2\n"              // 13
    "checkpoints 1\n"                  // 14
    "  2 0xff\n"                       // 15
    "external 1\n"                     // 16
    "  1 0 external-ready \"fd 3\"\n"  // 17
    "outcome pass\n"                   // 18
    "fingerprint 0x1\n"                // 19
    "threads 3\n"                      // 20
    "end\n";                           // 21

std::vector<std::string> SmallLines() {
  std::vector<std::string> lines = absl::StrSplit(kSmallFile, '\n');
  lines.pop_back();  // after the final newline
  return lines;
}
std::string Join(const std::vector<std::string>& lines) {
  return absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
}
// kSmallFile with line `n` (from 1) replaced by `text`.
std::string Replace(int n, absl::string_view text) {
  std::vector<std::string> lines = SmallLines();
  lines.at(n - 1) = std::string(text);
  return Join(lines);
}
// kSmallFile with `text` inserted as line `n`.
std::string Insert(int n, absl::string_view text) {
  std::vector<std::string> lines = SmallLines();
  lines.insert(lines.begin() + (n - 1), std::string(text));
  return Join(lines);
}
// kSmallFile without lines [first, last].
std::string Delete(int first, int last) {
  std::vector<std::string> lines = SmallLines();
  lines.erase(lines.begin() + (first - 1), lines.begin() + last);
  return Join(lines);
}

TEST(ScheduleTest, SmallFileParses) {
  const absl::StatusOr<Schedule> s = ParseSchedule(kSmallFile);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ravel_version, "0.1.0");
  EXPECT_EQ(s->command, "/bin/true");
  EXPECT_EQ(s->args, std::vector<std::string>{"/bin/true"});
  EXPECT_EQ(s->cwd, "/");
  EXPECT_EQ(s->exe_hash, 0x0123456789abcdefULL);
  EXPECT_EQ(s->strategy, "pct");
  EXPECT_EQ(s->seed, 42u);
  EXPECT_EQ(s->options, (std::vector<std::pair<std::string, std::string>>{{"pct-depth", "3"}}));
  EXPECT_EQ(s->decisions, (std::vector<Decision>{Decision::Pick(0), Decision::Pick(0),
                                                 Decision::Wake({1, 2}), Decision::Time(true)}));
  EXPECT_EQ(s->steps, (std::vector<StepEvent>{{0, kWhatThreadStart}, {0, 202}, {0, 202}}));
  EXPECT_EQ(s->checkpoints, (std::vector<Checkpoint>{{2, 0xff}}));
  EXPECT_EQ(s->external, (std::vector<ExternalEvent>{{1, 0, "external-ready", "fd 3", std::nullopt}}));
  EXPECT_EQ(s->outcome, "pass");
  EXPECT_EQ(s->fingerprint, 1u);
  EXPECT_EQ(s->threads, 3);
}

TEST(ScheduleTest, SerializedFormIsReadable) {
  Schedule s;
  s.ravel_version = "0.1.0";
  s.command = "/bin/prog";
  s.args = {"/bin/prog", "two words"};
  s.cwd = "/tmp";
  s.strategy = "random";
  s.seed = 7;
  s.decisions = {Decision::Pick(2),      Decision::Pick(2),     Decision::Pick(2),
                 Decision::Wake({1, 3}), Decision::Time(false), Decision::Pick(0)};
  s.steps = {{1, 202}, {1, 202}, {1, 202}, {0, kWhatRdtsc}, {kNoThread, kWhatPreempt}};
  s.outcome = "fail(exit 1)";
  s.threads = 2;
  const std::string text = SerializeSchedule(s);
  EXPECT_THAT(text, StartsWith("ravel-schedule 1\nravel-version 0.1.0\ncommand /bin/prog\n"
                               "arg /bin/prog\narg \"two words\"\ncwd /tmp\n"
                               "exe-hash 0x0000000000000000\nstrategy random\nseed 7\n"));
  EXPECT_THAT(text, HasSubstr("\ndecisions 6\n  2*3 w1,3 t- 0\n"));
  EXPECT_THAT(text, HasSubstr("\nsteps 5\n  1:202*3 0:rdtsc -:preempt\n"));
  EXPECT_THAT(text, HasSubstr("\ncheckpoints 0\n"));
  EXPECT_THAT(text, HasSubstr("\nexternal 0\n"));
  EXPECT_THAT(text, HasSubstr("\noutcome \"fail(exit 1)\"\nfingerprint 0x0000000000000000\n"
                              "threads 2\nend\n"));
}

TEST(ScheduleTest, EscapesNastyStrings) {
  Schedule s;
  s.args = {std::string("a\0\"\\\n\t\r\x7f\xff b", 11), ""};
  const std::string text = SerializeSchedule(s);
  EXPECT_THAT(text, HasSubstr("\narg \"a\\x00\\\"\\\\\\n\\t\\r\\x7f\\xff b\"\n"));
  EXPECT_THAT(text, HasSubstr("\narg \"\"\n"));
}

TEST(ScheduleTest, RoundTripsHandBuiltSchedules) {
  for (const Schedule& s : {Schedule{}, SampleSchedule()}) {
    const std::string text = SerializeSchedule(s);
    const absl::StatusOr<Schedule> parsed = ParseSchedule(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
    EXPECT_TRUE(*parsed == s) << text;
  }
}

TEST(ScheduleTest, RoundTripsNastyStringsEverywhere) {
  for (const std::string& nasty : NastyStrings()) {
    Schedule s = SampleSchedule();
    s.ravel_version = s.command = s.cwd = s.strategy = s.outcome = nasty;
    s.args = {nasty, nasty};
    s.options = {{nasty, nasty}};
    s.external = {{0, 0, nasty, nasty, std::nullopt}};
    const absl::StatusOr<Schedule> parsed = ParseSchedule(SerializeSchedule(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(*parsed == s) << absl::CEscape(nasty);
  }
}

TEST(ScheduleTest, RoundTripsTheLongestStrings) {
  const std::string longest(kMaxStringBytes, '\x01');  // escaped as \x01: 4 bytes each
  Schedule s;
  s.command = longest;
  s.args = {longest, std::string(kMaxStringBytes, 'a')};
  s.options = {{longest, longest}};
  s.external = {{UINT64_MAX, INT_MAX, longest, longest, std::nullopt}};
  const std::string text = SerializeSchedule(s);
  const absl::StatusOr<Schedule> parsed = ParseSchedule(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == s);
}

TEST(ScheduleTest, RoundTripsRandomSchedules) {
  ScheduleGenerator generator(20240611);
  for (int i = 0; i < 400; ++i) {
    const Schedule s = generator.Make();
    const std::string text = SerializeSchedule(s);
    const absl::StatusOr<Schedule> parsed = ParseSchedule(text);
    ASSERT_TRUE(parsed.ok()) << "schedule " << i << ": " << parsed.status();
    ASSERT_TRUE(*parsed == s) << "schedule " << i << ":\n" << text;
    EXPECT_EQ(SerializeSchedule(*parsed), text);
  }
}

TEST(ScheduleTest, WrapsTokenLinesAndSplitsLongRuns) {
  Schedule s;
  for (int i = 0; i < 1000; ++i) s.decisions.push_back(Decision::Pick(i % 7));
  s.decisions.insert(s.decisions.end(), 2 * kMaxRunLength + 5, Decision::Pick(1));
  for (int i = 0; i < 1000; ++i) s.steps.push_back({i % 5, i % 300});
  const std::string text = SerializeSchedule(s);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    EXPECT_LE(line.size(), 100u) << line;
  }
  EXPECT_THAT(text, HasSubstr(absl::StrCat(" 1*", kMaxRunLength, " 1*", kMaxRunLength, " 1*5\n")));
  const absl::StatusOr<Schedule> parsed = ParseSchedule(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == s);
}

TEST(ScheduleTest, AcceptsHandEditing) {
  // Comments (any bytes but control characters), blank lines, tabs, indentation, quoted
  // strings where bare ones would do, keys in any order within the header.
  const std::string edited = absl::StrCat(
      "ravel-schedule 1\n"
      "# edited by Jos\xc3\xa9: \"unbalanced quote\n"
      "\n"
      "strategy \"pct\"\n"
      "seed\t42\n"
      "ravel-version 0.1.0\n"
      "command /bin/true\n"
      "arg \"/bin/true\"\n"
      "cwd /\n"
      "exe-hash 0X0123456789ABCDEF\n"
      "option pct-depth 3\n"
      "decisions 4\n"
      "0*1 0\n"
      "   # a comment inside a section\n"
      "\tw1,2   t+\n"
      "steps 3\n"
      "  0:start 0:202*1 0:202\n"
      "checkpoints 1\n"
      "  2 0xFF\n"
      "external 1\n"
      "  1 0 external-ready \"fd 3\"\n"
      "threads 3\n"
      "fingerprint 0x01\n"
      "outcome pass\n"
      "end\n");
  const absl::StatusOr<Schedule> a = ParseSchedule(kSmallFile);
  const absl::StatusOr<Schedule> b = ParseSchedule(edited);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(*a == *b);
}

TEST(ScheduleTest, EditedDecisionStillParses) {
  // An engineer may change a decision by hand: the file must still parse (the replay then
  // reports a divergence), and a count kept in step with the edit too.
  const absl::StatusOr<Schedule> s = ParseSchedule(Replace(11, "  0 3 w2 t-"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->decisions, (std::vector<Decision>{Decision::Pick(0), Decision::Pick(3),
                                                 Decision::Wake({2}), Decision::Time(false)}));
}

TEST(ScheduleReaderErrorTest, Magic) {
  ExpectError("", 1, "not a ravel schedule (expected 'ravel-schedule 1')");
  ExpectError("hello\n", 1, "not a ravel schedule");
  ExpectError(std::string("\x7f"
                          "ELF\x02\x01\x01\0\0\0",
                          10),
              1, "not a ravel schedule");
  ExpectError("ravel-schedulex 1\n", 1, "not a ravel schedule");
  ExpectError("ravel-schedule\n", 1, "expected 'ravel-schedule VERSION'");
  ExpectError("ravel-schedule 1 2\n", 1, "expected 'ravel-schedule VERSION'");
  ExpectError("ravel-schedule x\n", 1, "malformed format version 'x'");
  ExpectError("ravel-schedule 99999999999999999999\n", 1, "out of range");
  ExpectError("ravel-schedule 1", 1, "truncated");
  ExpectError("ravel-schedule 1\n", 2, "truncated: missing 'end'");
}

TEST(ScheduleReaderErrorTest, UnsupportedVersion) {
  const absl::StatusOr<Schedule> s = ParseSchedule(Replace(1, "ravel-schedule 7"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "line 1: schedule format version 7; this ravel reads version 1");
  ExpectError(Replace(1, "ravel-schedule 0"), 1, "schedule format version 0;");
}

TEST(ScheduleReaderErrorTest, HeaderKeys) {
  ExpectError(Replace(5, "colour blue"), 5, "unknown key 'colour'");
  ExpectError(Insert(9, "seed 1"), 9, "duplicate 'seed' (first on line 8)");
  ExpectError(Insert(4, "command /bin/false"), 4, "duplicate 'command' (first on line 3)");
  ExpectError(Delete(8, 8), 9, "missing header key 'seed'");
  ExpectError(Delete(3, 3), 9, "missing header key 'command'");
  ExpectError(Insert(18, "seed 1"), 18, "header key 'seed' after the header");
  ExpectError(Insert(12, "arg x"), 12, "header key 'arg' after the header");
  ExpectError(Replace(3, "command /usr/bin/my prog"), 3, "'command' takes one string, got 2");
  ExpectError(Replace(3, "command"), 3, "'command' takes one string, got 0");
  ExpectError(Replace(9, "option pct-depth"), 9, "'option' takes a key and a value");
  ExpectError(Insert(10, "option pct-depth 4"), 10,
              "duplicate option 'pct-depth' (first on line 9)");
  ExpectError(Replace(2, "ravel-version"), 2, "takes one string");
}

TEST(ScheduleReaderErrorTest, Numbers) {
  ExpectError(Replace(8, "seed 12a"), 8, "malformed seed '12a'");
  ExpectError(Replace(8, "seed -1"), 8, "malformed seed '-1'");
  ExpectError(Replace(8, "seed +1"), 8, "malformed seed '+1'");
  ExpectError(Replace(8, "seed 18446744073709551616"), 8,
              "seed '18446744073709551616' out of range");
  ExpectError(Replace(8, "seed 99999999999999999999999"), 8, "out of range");
  EXPECT_TRUE(ParseSchedule(Replace(8, "seed 18446744073709551615")).ok());
  ExpectError(Replace(6, "exe-hash 0x"), 6, "malformed exe-hash '0x'");
  ExpectError(Replace(6, "exe-hash 123"), 6, "malformed exe-hash '123'");
  ExpectError(Replace(6, "exe-hash 0x12345678901234567"), 6, "malformed exe-hash");
  ExpectError(Replace(6, "exe-hash 0xfg"), 6, "malformed exe-hash");
  ExpectError(Replace(19, "fingerprint 1"), 19, "malformed fingerprint '1'");
  ExpectError(Replace(20, "threads 2147483648"), 20, "thread count '2147483648' out of range");
  ExpectError(Replace(20, "threads -1"), 20, "malformed thread count");
  ExpectError(Replace(10, "decisions 100000001"), 10, "decisions count '100000001' out of range");
  ExpectError(Replace(10, "decisions four"), 10, "malformed decisions count 'four'");
  ExpectError(Replace(10, "decisions"), 10, "'decisions' takes one count, got 0");
  ExpectError(Replace(15, "  18446744073709551616 0xff"), 15, "out of range");
}

TEST(ScheduleReaderErrorTest, Strings) {
  ExpectError(Replace(4, "arg \"a\\qb\""), 4, "bad escape '\\q'");
  ExpectError(Replace(4, "arg \"\\x4\""), 4, "bad escape '\\x4' (\\x takes two hex digits)");
  ExpectError(Replace(4, "arg \"\\xg0\""), 4, "\\x takes two hex digits");
  ExpectError(Replace(4, "arg \"abc"), 4, "unterminated string starting at column 5");
  ExpectError(Replace(4, "arg \"abc\\\""), 4, "unterminated string");
  ExpectError(Replace(4, "arg a\\nb"), 4, "backslash outside quotes in 'a\\nb'");
  ExpectError(Replace(4, "arg a\"b"), 4, "stray quote in 'a\"b'");
  ExpectError(Replace(4, "arg \"a\"b"), 4, "text right after the closing quote at column 8");
  ExpectError(Replace(4, "arg caf\xc3\xa9"), 4, "byte 0xc3 at column 8 is not printable ASCII");
  ExpectError(Replace(4, "arg \"\x01\""), 4, "byte 0x01 at column 6");
  ExpectError(Replace(4, std::string("arg a\0b", 7)), 4, "NUL byte at column 6");
  ExpectError(Replace(4, "arg /bin/true\r"), 4, "carriage return at column 14");
  ExpectError(absl::StrReplaceAll(kSmallFile, {{"\n", "\r\n"}}), 1, "carriage return");
  ExpectError(Replace(4, "arg " + std::string(kMaxStringBytes + 1, 'a')), 4,
              absl::StrCat("string longer than ", kMaxStringBytes, " bytes"));
  ExpectError(
      Replace(4, absl::StrCat("arg \"", std::string(kMaxStringBytes / 4 + 1, 'a'),
                              absl::StrJoin(std::vector<std::string>(kMaxStringBytes, "\\x00"), ""),
                              "\"")),
      4, "string longer than");
  EXPECT_TRUE(ParseSchedule(Replace(4, "arg " + std::string(kMaxStringBytes, 'a'))).ok());
}

TEST(ScheduleReaderErrorTest, LongLine) {
  ExpectError(Replace(4, "arg " + std::string(kMaxLineBytes, 'a')), 4,
              absl::StrCat("longer than ", kMaxLineBytes, " bytes"));
  // Even when the over-long line is the last, unterminated one.
  ExpectError(absl::StrCat(kSmallFile.substr(0, 17), std::string(kMaxLineBytes + 5, 'a')), 2,
              "longer than");
}

TEST(ScheduleReaderErrorTest, SectionCounts) {
  ExpectError(Replace(10, "decisions 5"), 12, "line 10 declared 5 decisions, but 4 follow");
  ExpectError(Replace(10, "decisions 3"), 11, "more decisions than the 3 declared on line 10");
  ExpectError(Replace(12, "steps 4"), 14, "line 12 declared 4 steps, but 3 follow");
  ExpectError(Replace(12, "steps 2"), 13, "more steps than the 2 declared on line 12");
  ExpectError(Replace(14, "checkpoints 2"), 16, "line 14 declared 2 checkpoints, but 1 follow");
  ExpectError(Replace(14, "checkpoints 0"), 15, "more checkpoints than the 0 declared");
  ExpectError(Replace(16, "external 2"), 18, "line 16 declared 2 external, but 1 follow");
  ExpectError(Replace(16, "external 0"), 17, "more external than the 0 declared");
  // A huge declared count with a little data: an error, quickly, without allocating it.
  ExpectError(Replace(10, "decisions 100000000"), 12, "declared 100000000 decisions, but 4 follow");
  ExpectError(Replace(11, absl::StrCat("  0*", kMaxRunLength + 1)), 11,
              absl::StrCat("run length in '0*", kMaxRunLength + 1, "' out of range (at most ",
                           kMaxRunLength, "; split longer runs)"));
}

TEST(ScheduleReaderErrorTest, SectionOrder) {
  ExpectError(Delete(12, 13), 12, "missing 'steps' section before 'checkpoints'");
  ExpectError(Delete(10, 11), 10, "missing 'decisions' section before 'steps'");
  ExpectError(Delete(10, 17), 10, "missing 'decisions' section before 'outcome'");
  ExpectError(Delete(16, 17), 16, "missing 'external' section before 'outcome'");
  ExpectError(Insert(12, "decisions 0"), 12, "duplicate 'decisions' section (first on line 10)");
  ExpectError(Insert(18, "steps 0"), 18, "duplicate 'steps' section (first on line 12)");
  ExpectError(Delete(18, 18), 20, "missing 'outcome' before 'end'");
  ExpectError(Delete(19, 19), 20, "missing 'fingerprint' before 'end'");
  ExpectError(Insert(21, "outcome fail"), 21, "duplicate 'outcome' (first on line 18)");
  ExpectError(Replace(21, "end now"), 21, "'end' takes no value");
  ExpectError(Replace(18, "verdict pass"), 18, "unknown key 'verdict'");
}

TEST(ScheduleReaderErrorTest, Threads) {
  ExpectError(Replace(11, "  -1*2 w1,2 t+"), 11, "negative thread id '-1'");
  ExpectError(Replace(11, "  0*2 w1,-2 t+"), 11, "negative thread id '-2'");
  ExpectError(Replace(11, "  - 0 w1,2 t+"), 11, "malformed thread id '-'");
  ExpectError(Replace(13, "  -2:start 0:202*2"), 13,
              "negative thread id '-2' (write - for no thread)");
  ExpectError(Replace(17, "  1 -3 external-ready x"), 17, "negative thread id '-3'");
  ExpectError(Replace(11, "  2147483648 0 w1,2 t+"), 11, "thread id '2147483648' out of range");
  // kNoThread is "-" in steps and external events.
  const absl::StatusOr<Schedule> s = ParseSchedule(
      Replace(17, "  1 - external-ready x").replace(kSmallFile.find("0:start"), 7, "-:start"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->steps[0].thread, kNoThread);
  EXPECT_EQ(s->external[0].thread, kNoThread);
}

TEST(ScheduleReaderErrorTest, DecisionTokens) {
  ExpectError(Replace(11, "  x 0 w1,2 t+"), 11, "bad decision 'x'");
  ExpectError(Replace(11, "  0 0 w1,2 t"), 11, "bad decision 't'");
  ExpectError(Replace(11, "  0 0 w1,2 t+x"), 11, "bad decision 't+x'");
  ExpectError(Replace(11, "  *2 w1,2 t+"), 11, "bad decision '*2'");
  ExpectError(Replace(11, "  0*0 0 0 w1,2 t+"), 11, "run length 0 in '0*0'");
  ExpectError(Replace(11, "  0* 0 w1,2 t+"), 11, "malformed run length in '0*'");
  ExpectError(Replace(11, "  0*2*2 w1,2 t+"), 11, "malformed run length in '0*2*2'");
  ExpectError(Replace(11, "  0*2 w1,1 t+"), 11, "thread 1 woken twice in 'w1,1'");
  ExpectError(Replace(11, "  0*2 w1,,2 t+"), 11, "malformed thread id ''");
  ExpectError(Replace(11, "  0*2 w1,2, t+"), 11, "malformed thread id ''");
  ExpectError(Replace(11, "  0*2 \"w1,2\" t+"), 11, "bad decision");
}

TEST(ScheduleReaderErrorTest, StepTokens) {
  ExpectError(Replace(13, "  0 0:202*2"), 13, "bad step '0' (expected T:S");
  ExpectError(Replace(13, "  0:frob 0:202*2"), 13, "unknown stop 'frob' in '0:frob'");
  ExpectError(Replace(13, "  0:-1 0:202*2"), 13, "unknown stop '-1'");
  ExpectError(Replace(13, "  0: 0:202*2"), 13, "unknown stop ''");
  ExpectError(Replace(13, "  0:start 0:202*x"), 13, "malformed run length in '0:202*x'");
  ExpectError(Replace(13, "  0:start 0:2147483648*2"), 13,
              "syscall number '2147483648' out of range");
  ExpectError(Replace(13, "  x:start 0:202*2"), 13, "malformed thread id 'x'");
}

TEST(ScheduleReaderErrorTest, CheckpointsAndExternal) {
  ExpectError(Replace(15, "  2"), 15, "a checkpoint is 'STEP HASH', got 1 tokens");
  ExpectError(Replace(15, "  2 0xff 3"), 15, "got 3 tokens");
  ExpectError(Replace(15, "  2 255"), 15, "malformed checkpoint hash '255'");
  std::vector<std::string> lines = SmallLines();
  lines[13] = "checkpoints 2";
  lines.insert(lines.begin() + 15, "  2 0x1");
  ExpectError(Join(lines), 16, "checkpoint step 2 does not come after the previous one, step 2");
  ExpectError(Replace(17, "  1 0 external-ready"), 17,
              "an external event is 'STEP THREAD KIND DETAIL', got 3 tokens");
  ExpectError(Replace(17, "  1 0 external-ready fd 3"), 17, "got 5 tokens");
  lines = SmallLines();
  lines[15] = "external 2";
  lines.insert(lines.begin() + 17, "  0 1 kernel-return \"\"");
  ExpectError(Join(lines), 18, "external event at step 0 comes before the previous one, at step 1");
  ExpectError(Replace(17, "  1 0 preempt \"rip=0x401000\""), 17,
              "a preempt event's detail is 'rip=0xADDRESS regs=HASH', got 'rip=0x401000'");
  ExpectError(Replace(17, "  1 0 preempt \"rip=0x40100g regs=ab\""), 17, "got 'rip=0x40100g regs=ab'");
}

// A liveness preemption is a typed event: its site is read from, and written as, the
// event's detail.
TEST(ScheduleTest, APreemptEventCarriesItsSite) {
  const PreemptionSite site{0x401000, 0xab};
  const ExternalEvent event = PreemptionEvent(4, 1, site);
  EXPECT_EQ(event.detail, "rip=0x401000 regs=00000000000000ab");
  EXPECT_EQ(ParsePreemptionSite(event.detail), site);
  EXPECT_EQ(ParsePreemptionSite("rip=0xffffffffffffffff regs=ffffffffffffffff"),
            (PreemptionSite{UINT64_MAX, UINT64_MAX}));
  for (const char* bad : {"", "rip=0x regs=1", "rip=0x1", "rip=0x1 regs=", "rip=1 regs=1", "rip=0x1 regs=1 x",
                          "rip=0x11111111111111111 regs=1", "rip=0x-1 regs=1", "regs=1 rip=0x1"}) {
    EXPECT_FALSE(ParsePreemptionSite(bad).has_value()) << bad;
  }
  std::vector<std::string> lines = SmallLines();
  lines[16] = "  1 0 preempt \"rip=0x401000 regs=00000000000000ab\"";
  absl::StatusOr<Schedule> parsed = ParseSchedule(Join(lines));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->external.size(), 1u);
  EXPECT_EQ(parsed->external[0], PreemptionEvent(1, 0, site));
}

TEST(ScheduleReaderErrorTest, TruncationAndTrailingText) {
  const std::string without_end = Delete(21, 21);
  EXPECT_EQ(ParseSchedule(without_end).status().message(), "line 21: truncated: missing 'end'");
  ExpectError(kSmallFile.substr(0, kSmallFile.size() - 1), 21,
              "truncated: the last line has no newline");
  ExpectError(absl::StrCat(kSmallFile, "x\n"), 22, "text after 'end'");
  ExpectError(absl::StrCat(kSmallFile, "\n"), 22, "text after 'end'");
  ExpectError(absl::StrCat(kSmallFile, "# comment\n"), 22, "text after 'end'");
}

// Cut a valid file anywhere: always an error, never a crash, never a partial schedule.
TEST(ScheduleTest, EveryTruncationIsAnError) {
  const std::string text = SerializeSchedule(SampleSchedule());
  ASSERT_TRUE(ParseSchedule(text).ok());
  int lines = 0;
  for (size_t cut = 0; cut < text.size(); ++cut) {
    const absl::string_view prefix = absl::string_view(text).substr(0, cut);
    const absl::StatusOr<Schedule> parsed = ParseSchedule(prefix);
    ASSERT_FALSE(parsed.ok()) << "cut at " << cut << " parsed";
    ASSERT_TRUE(IsLineError(parsed.status())) << "cut at " << cut;
    // The error is on a line of the prefix, or just after it.
    int line = 0;
    ASSERT_TRUE(absl::SimpleAtoi(
        absl::StripPrefix(parsed.status().message(), "line ")
            .substr(0, absl::StripPrefix(parsed.status().message(), "line ").find(':')),
        &line));
    if (cut > 0 && text[cut - 1] == '\n') ++lines;
    EXPECT_GE(line, 1);
    EXPECT_LE(line, lines + 1) << "cut at " << cut << ": " << parsed.status();
  }
}

// Change one byte of a valid file to a few values: never a crash; a schedule that still
// parses must round-trip. Some edits must parse (hand editing), and most must not.
TEST(ScheduleTest, SingleByteCorruptionNeverCrashes) {
  const std::string text(kSmallFile);
  int parsed_count = 0;
  int error_count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char original = text[i];
    for (char value : {'\0',
                       '\n',
                       ' ',
                       '\t',
                       '"',
                       '\\',
                       '0',
                       '1',
                       '9',
                       '*',
                       ',',
                       '-',
                       '#',
                       ':',
                       'x',
                       'w',
                       't',
                       '+',
                       static_cast<char>(0x80),
                       static_cast<char>(0xff),
                       static_cast<char>(original ^ 0x01),
                       static_cast<char>(original ^ 0x20)}) {
      if (value == original) continue;
      std::string corrupt = text;
      corrupt[i] = value;
      const absl::StatusOr<Schedule> s = ParseSchedule(corrupt);
      if (!s.ok()) {
        ASSERT_TRUE(IsLineError(s.status())) << "offset " << i;
        ++error_count;
        continue;
      }
      ++parsed_count;
      const absl::StatusOr<Schedule> again = ParseSchedule(SerializeSchedule(*s));
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_TRUE(*again == *s) << "offset " << i;
    }
  }
  EXPECT_GT(parsed_count, 50);
  EXPECT_GT(error_count, parsed_count);
}

class ScheduleFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("replay_test_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(ScheduleFileTest, WriteThenRead) {
  const std::string path = dir_ / "run.schedule";
  const Schedule s = SampleSchedule();
  ASSERT_TRUE(WriteScheduleFile(path, s).ok());
  absl::StatusOr<Schedule> read = ReadScheduleFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read == s);

  // Overwriting replaces the file whole, and leaves no temporary file behind.
  Schedule other;
  other.seed = 9;
  ASSERT_TRUE(WriteScheduleFile(path, other).ok());
  read = ReadScheduleFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read == other);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "run.schedule");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(ScheduleFileTest, Errors) {
  const std::string missing = dir_ / "missing.schedule";
  EXPECT_EQ(ReadScheduleFile(missing).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(ReadScheduleFile(missing).status().message()), HasSubstr(missing));
  EXPECT_FALSE(WriteScheduleFile((dir_ / "no-such-dir" / "x").string(), Schedule{}).ok());

  const std::string bad = dir_ / "bad.schedule";
  std::ofstream(bad) << "ravel-schedule 2\n";
  const absl::Status status = ReadScheduleFile(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            absl::StrCat(bad, ": line 1: schedule format version 2; this ravel reads version 1"));
}

TEST_F(ScheduleFileTest, HashFile) {
  std::string bytes;
  uint64_t state = 5;
  for (int i = 0; i < 300000; ++i) bytes.push_back(static_cast<char>(SplitMix64Next(state)));
  const std::string path = dir_ / "exe";
  std::ofstream(path, std::ios::binary) << bytes;
  const absl::StatusOr<uint64_t> hash = HashFile(path);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(*hash, XXH3_64bits(bytes.data(), bytes.size()));

  const std::string empty = dir_ / "empty";
  std::ofstream(empty).close();
  EXPECT_EQ(*HashFile(empty), XXH3_64bits("", 0));
  EXPECT_EQ(HashFile(dir_ / "missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(DescribeDecisionTest, Kinds) {
  EXPECT_EQ(DescribeDecision(Decision::Pick(3)), "pick of T3");
  EXPECT_EQ(DescribeDecision(Decision::Wake({1, 3})), "wake of [1, 3]");
  EXPECT_EQ(DescribeDecision(Decision::Time(true)), "time jump");
  EXPECT_EQ(DescribeDecision(Decision::Time(false)), "no time jump");
  EXPECT_EQ(StepWhatName(kWhatRdtsc), "rdtsc");
  EXPECT_EQ(StepWhatName(202), "");
  EXPECT_EQ(StepWhatName(kWhatSpin), "spin");
  EXPECT_EQ(StepWhatName(kWhatAtomicAfter), "atomic-after");
  EXPECT_EQ(StepWhatName(-9), "");
}

}  // namespace
}  // namespace ravel
