#include "stress/run_message.h"

#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

namespace ravel {
namespace {

bool ReadFull(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteFull(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

std::string RunMessage::Encode() const {
  nlohmann::json msg;
  msg["seed"] = seed;
  msg["interrupted"] = interrupted;
  msg["error"] = error;
  msg["outcome"] = outcome;
  msg["signature"] = signature;
  msg["deadlock_report"] = deadlock_report;
  msg["stdout"] = guest_stdout;
  msg["stderr"] = guest_stderr;
  msg["verified"] = verified;
  msg["not_deterministic"] = not_deterministic;
  msg["schedule"] = schedule;
  msg["schedule_error"] = schedule_error;
  return msg.dump() + "\n";
}

std::optional<RunMessage> RunMessage::Decode(const std::string& line) {
  const nlohmann::json msg = nlohmann::json::parse(line, nullptr, false);
  if (msg.is_discarded() || !msg.is_object()) return std::nullopt;
  RunMessage m;
  m.seed = msg.value("seed", uint64_t{0});
  m.interrupted = msg.value("interrupted", false);
  m.error = msg.value("error", "");
  m.outcome = msg.value("outcome", "");
  m.signature = msg.value("signature", m.outcome);
  m.deadlock_report = msg.value("deadlock_report", "");
  m.guest_stdout = msg.value("stdout", "");
  m.guest_stderr = msg.value("stderr", "");
  m.verified = msg.value("verified", false);
  m.not_deterministic = msg.value("not_deterministic", "");
  m.schedule = msg.value("schedule", "");
  m.schedule_error = msg.value("schedule_error", "");
  return m;
}

bool WriteSeed(int fd, uint64_t seed) { return WriteFull(fd, &seed, sizeof(seed)); }

bool ReadSeed(int fd, uint64_t* seed) { return ReadFull(fd, seed, sizeof(*seed)); }

bool WriteAll(int fd, const std::string& text) { return WriteFull(fd, text.data(), text.size()); }

}  // namespace ravel
