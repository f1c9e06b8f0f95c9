#include "stress/artifacts.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"

namespace ravel {

Artifacts KeepArtifacts(const RunMessage& msg, const std::string& dir, const std::string& name, uint64_t seed) {
  Artifacts a;
  std::error_code made;
  std::filesystem::create_directories(dir, made);
  const std::string stem = absl::StrCat(dir, "/", name, "-seed", seed);
  a.deadlock_report = msg.deadlock_report;
  a.verified = msg.verified;
  a.not_deterministic = msg.not_deterministic;
  if (!msg.schedule_error.empty()) a.error = absl::StrCat("schedule could not be written: ", msg.schedule_error);
  auto keep = [&](const std::string& from, const std::string& to, const char* what) -> std::string {
    if (from.empty()) return "";
    absl::Status s = CopyFileAtomically(from, to);
    if (s.ok()) return to;
    if (a.error.empty()) a.error = absl::StrCat(what, " could not be written: ", s.message());
    return "";
  };
  a.schedule = keep(msg.schedule, stem + ".sched", "schedule");
  a.guest_stdout = keep(msg.guest_stdout, stem + ".stdout", "guest output");
  a.guest_stderr = keep(msg.guest_stderr, stem + ".stderr", "guest output");
  return a;
}

void Attach(const Artifacts& a, FailureBucket& b) {
  b.schedule = a.schedule;
  b.guest_stdout = a.guest_stdout;
  b.guest_stderr = a.guest_stderr;
  b.deadlock_report = a.deadlock_report;
  b.artifact_error = a.error;
  b.verified = a.verified;
  b.not_deterministic = a.not_deterministic;
}

void RemoveArtifacts(const Artifacts& a) {
  for (const std::string* path : {&a.schedule, &a.guest_stdout, &a.guest_stderr}) {
    if (!path->empty()) unlink(path->c_str());
  }
}

}  // namespace ravel
