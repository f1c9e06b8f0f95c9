// Minimal logging and invariant checks for ravel's own diagnostics.
//
// The Abseil that Debian 12 ships (20220623) predates absl/log, so these few macros stand
// in for it with the same spelling, and can be swapped for absl/log without touching
// callers:
//   LOG(WARNING) << "no trampoline in pid " << pid;     // "ravel: warning: ..." on stderr
//   CHECK(t.fiber) << "handler for tid " << tid;        // aborts with file:line and message
// INFO lines appear only when the command line asked for them (SetLogVerbosity).
#ifndef RAVEL_BASE_LOGGING_H_
#define RAVEL_BASE_LOGGING_H_

#include <sstream>
#include <string>

namespace ravel::logging {

enum Severity { INFO = 0, WARNING = 1, ERROR = 2, FATAL = 3 };

// Lowest severity that is printed (default WARNING). Called by the command line only.
void SetLogVerbosity(Severity lowest);
bool IsLogged(Severity severity);

// Sees every message that is printed, after it is printed (its text without the "ravel: "
// prefix), until replaced; nullptr removes it. For a caller that reports on the warnings
// of a run (ravel run --verify); the core never sets one.
using LogListener = void (*)(Severity severity, const std::string& text, void* context);
void SetLogListener(LogListener listener, void* context);

class LogMessage {
 public:
  LogMessage(const char* file, int line, Severity severity);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  const char* file_;
  int line_;
  Severity severity_;
  std::ostringstream stream_;
};

class FatalMessage {
 public:
  FatalMessage(const char* file, int line);
  [[noreturn]] ~FatalMessage();
  std::ostream& stream() { return stream_; }

 private:
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

// Turns `stream << ...` into a void expression for the ?: in CHECK.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace ravel::logging

#define RAVEL_LOG_INFO ::ravel::logging::LogMessage(__FILE__, __LINE__, ::ravel::logging::INFO)
#define RAVEL_LOG_WARNING ::ravel::logging::LogMessage(__FILE__, __LINE__, ::ravel::logging::WARNING)
#define RAVEL_LOG_ERROR ::ravel::logging::LogMessage(__FILE__, __LINE__, ::ravel::logging::ERROR)
#define RAVEL_LOG_FATAL ::ravel::logging::FatalMessage(__FILE__, __LINE__)

#define LOG(severity)                                                  \
  !::ravel::logging::IsLogged(::ravel::logging::severity)              \
      ? (void)0                                                        \
      : ::ravel::logging::Voidify() & RAVEL_LOG_##severity.stream()

#define CHECK(condition)                                               \
  (condition) ? (void)0                                                \
              : ::ravel::logging::Voidify() &                          \
                    RAVEL_LOG_FATAL.stream() << "Check failed: " #condition " "

#define CHECK_EQ(a, b) CHECK((a) == (b))
#define CHECK_NE(a, b) CHECK((a) != (b))
#define CHECK_LE(a, b) CHECK((a) <= (b))
#define CHECK_LT(a, b) CHECK((a) < (b))
#define CHECK_GE(a, b) CHECK((a) >= (b))

#endif  // RAVEL_BASE_LOGGING_H_
