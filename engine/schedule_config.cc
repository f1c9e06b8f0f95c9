#include "engine/schedule_config.h"

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "engine/preempt.h"
#include "strategies/strategy.h"

namespace ravel {

absl::Status ScheduleConfig::Validate() const {
  if (!settings.preempt.empty()) {
    if (absl::StatusOr<Preempt> points = ParsePreempt(settings.preempt); !points.ok()) return points.status();
  }
  // MakeStrategy takes names in any case.
  if (replay == nullptr && guide == nullptr && !IsStrategyName(absl::AsciiStrToLower(settings.strategy))) {
    return UnknownStrategyError(settings.strategy);
  }
  return absl::OkStatus();
}

}  // namespace ravel
