// Contract checks of the strategies library (internal to strategies/).
//
// The strategies depend on their own headers only, so they do not use base/logging's
// CHECK. A broken contract (an empty runnable set, a Pick that returns a thread that
// cannot run, a bound of 0 for a draw) is a bug in ravel itself: it is reported on
// stderr with file and line, and the process aborts. There are no exceptions.
#ifndef RAVEL_STRATEGIES_CONTRACT_H_
#define RAVEL_STRATEGIES_CONTRACT_H_

#include <string>

namespace ravel::strategies_internal {

[[noreturn]] void ContractFailure(const char* file, int line, const std::string& message);

}  // namespace ravel::strategies_internal

// RAVEL_STRATEGY_CHECK(cond, message): aborts with `message` (a std::string or C string)
// when `cond` is false. `message` is only evaluated on failure.
#define RAVEL_STRATEGY_CHECK(cond, message)                                         \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      ::ravel::strategies_internal::ContractFailure(__FILE__, __LINE__, (message)); \
    }                                                                               \
  } while (false)

#endif  // RAVEL_STRATEGIES_CONTRACT_H_
