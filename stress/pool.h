// The parent side of `ravel stress` for one stressed command: J workers (stress/worker.h)
// forked with a pipe each way, seeds handed out one at a time in order, RunMessages read
// back with poll(), a progress line on stderr, and the report filled in.
//
// Without --keep-going the report ends at the lowest failing seed, whichever job found
// it first: seeds are handed out in order, so every lower seed has been started; those
// still running are waited for, higher ones are dropped (their artifacts deleted). So the
// report is a function of the seeds, not of how many jobs ran. On an interruption the
// workers get SIGTERM and the report says what finished.
#ifndef RAVEL_STRESS_POOL_H_
#define RAVEL_STRESS_POOL_H_

#include <string>

#include "stress/seeds.h"
#include "stress/stress.h"
#include "stress/stress_report.h"
#include "stress/worker.h"

namespace ravel {

// Stresses `job` over `shard`'s seeds; fills `report`. Returns false when interrupted.
bool StressJob(const Job& job, const StressOptions& options, const Shard& shard, const std::string& scratch,
               StressReport& report);

}  // namespace ravel

#endif  // RAVEL_STRESS_POOL_H_
