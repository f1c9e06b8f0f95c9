#include "engine/schedule_config.h"

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "engine/preempt.h"
#include "strategies/strategy.h"

namespace ravel {

absl::Status ScheduleConfig::Validate() const {
  if (!preempt.empty()) {
    if (absl::StatusOr<Preempt> points = ParsePreempt(preempt); !points.ok()) return points.status();
  }
  // MakeStrategy takes names in any case.
  if (replay == nullptr && guide == nullptr && !IsStrategyName(absl::AsciiStrToLower(strategy))) {
    return UnknownStrategyError(strategy);
  }
  return absl::OkStatus();
}

}  // namespace ravel
