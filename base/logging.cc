#include "base/logging.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace ravel::logging {
namespace {

std::atomic<int> g_lowest{WARNING};
std::mutex g_listener_mutex;
LogListener g_listener = nullptr;
void* g_listener_context = nullptr;

void Emit(const std::string& line) {
  // One write per line, so lines from concurrent processes do not interleave.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

const char* Basename(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

}  // namespace

void SetLogListener(LogListener listener, void* context) {
  std::lock_guard<std::mutex> lock(g_listener_mutex);
  g_listener = listener;
  g_listener_context = context;
}

void SetLogVerbosity(Severity lowest) { g_lowest = lowest; }
bool IsLogged(Severity severity) { return severity >= g_lowest.load(std::memory_order_relaxed); }

LogMessage::LogMessage(const char* file, int line, Severity severity)
    : file_(file), line_(line), severity_(severity) {}

LogMessage::~LogMessage() {
  static const char* const kLabels[] = {"", "warning: ", "error: ", "fatal: "};
  std::string text = "ravel: " + std::string(kLabels[severity_]) + stream_.str();
  if (severity_ == INFO) text += " [" + std::string(Basename(file_)) + ":" + std::to_string(line_) + "]";
  Emit(text + "\n");
  std::lock_guard<std::mutex> lock(g_listener_mutex);
  if (g_listener != nullptr) g_listener(severity_, stream_.str(), g_listener_context);
}

FatalMessage::FatalMessage(const char* file, int line) : file_(file), line_(line) {}

FatalMessage::~FatalMessage() {
  Emit("ravel: internal error at " + std::string(Basename(file_)) + ":" + std::to_string(line_) +
       ": " + stream_.str() + "\n");
  abort();
}

}  // namespace ravel::logging
