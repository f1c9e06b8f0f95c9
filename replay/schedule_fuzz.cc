// libFuzzer target of the schedule reader (built with -DRAVEL_FUZZ=ON, clang only; see
// bench/FUZZ.md). ParseSchedule must never crash, and whatever it accepts must survive a
// round trip: serialising it and parsing that text gives the same schedule, and the
// writer's text is canonical (serialising again gives the same bytes).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replay/schedule.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "schedule_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<ravel::Schedule> parsed = ravel::ParseSchedule(text);
  if (!parsed.ok()) {
    const absl::string_view message = parsed.status().message();
    if (message.substr(0, 5) != "line " || message.find('\n') != absl::string_view::npos) {
      Fail("error message is not one line starting 'line N: '", std::string(message));
    }
    return 0;
  }
  const std::string serialized = ravel::SerializeSchedule(*parsed);
  const absl::StatusOr<ravel::Schedule> reparsed = ravel::ParseSchedule(serialized);
  if (!reparsed.ok()) Fail("the writer's text does not parse", reparsed.status().ToString());
  if (!(*reparsed == *parsed)) Fail("round trip changed the schedule", serialized);
  if (ravel::SerializeSchedule(*reparsed) != serialized) {
    Fail("the writer is not canonical", serialized);
  }
  return 0;
}
