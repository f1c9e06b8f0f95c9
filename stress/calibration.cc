#include "stress/calibration.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "engine/scheduled_run.h"
#include "stress/interrupt.h"

namespace ravel {
namespace {

// A calibration run of `job`'s command: `strategy` and `seed`, output thrown away.
ScheduleConfig CalibrationConfig(const Job& job, const char* strategy, uint64_t seed) {
  ScheduleConfig config;
  config.command = job.command;
  config.settings = job.settings;
  config.settings.strategy = strategy;
  config.settings.seed = seed;
  return config;
}

void SayCannotRun(const absl::Status& error) {
  if (StressInterrupt() == 0) {
    fprintf(stderr, "ravel: stress: the command cannot run: %s\n", std::string(error.message()).c_str());
  }
}

bool CalibratePct(Job& job) {
  uint64_t most = 0;
  const uint64_t seed_base = job.settings.seed;
  const std::pair<const char*, uint64_t> calibrations[] = {
      {"rr", seed_base}, {"random", seed_base}, {"random", seed_base + 1}};
  for (const auto& [strategy, seed] : calibrations) {
    ScheduleConfig config = CalibrationConfig(job, strategy, seed);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int& fd : config.stdio) fd = devnull;
    ScheduleResult r = RunSchedule(config);
    close(devnull);
    if (!r.error.ok()) {
      if (r.exit_code > 128) SetStressInterrupt(r.exit_code - 128);  // Ctrl-C during the measurement
      SayCannotRun(r.error);
      return false;
    }
    most = std::max(most, r.choices);
  }
  job.settings.pct_steps = std::max<uint64_t>(2 * most, 1);
  if (job.verbose) {
    fprintf(stderr, "ravel: pct: k = %llu (twice the most choice points of 3 calibration runs)\n",
            static_cast<unsigned long long>(job.settings.pct_steps));
  }
  return true;
}

bool CalibrateSurw(Job& job) {
  ScheduleConfig like = CalibrationConfig(job, "rr", 0);
  like.verbose = job.verbose;
  absl::StatusOr<std::shared_ptr<const EventProfile>> profile = ProfileEvents(like);
  if (!profile.ok()) {
    SayCannotRun(profile.status());
    return false;
  }
  job.event_profile = *profile;
  return true;
}

}  // namespace

bool Calibrate(Job& job) {
  if (job.settings.strategy == "pct" && job.settings.pct_steps == 0 && !CalibratePct(job)) return false;
  if (job.settings.strategy == "surw") return CalibrateSurw(job);
  return true;
}

}  // namespace ravel
