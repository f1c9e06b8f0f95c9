// What stress measures before the seeds run, the same way on every shard, so that each
// seed's run is a function of the seed alone:
//   - PCT's k (without --pct-steps): twice the most choice points of three calibration
//     runs (round-robin with the base seed, random with the base seed and the next). A PCT
//     run may offer more choices than these; k too small would never place a change point
//     late in the run, k too large only makes each one a little less likely.
//   - surw's event profile: the calibration `ravel run --strategy surw` makes too
//     (ProfileEvents), so that a failing seed's by-seed line reproduces it.
#ifndef RAVEL_STRESS_CALIBRATION_H_
#define RAVEL_STRESS_CALIBRATION_H_

#include "stress/worker.h"

namespace ravel {

// Fills in what `job`'s strategy needs measured (settings.pct_steps for pct when 0, the
// event profile for surw), from its first seed (settings.seed). False when the command cannot run (said on stderr, unless ravel was
// interrupted meanwhile: then StressInterrupt() says so).
bool Calibrate(Job& job);

}  // namespace ravel

#endif  // RAVEL_STRESS_CALIBRATION_H_
