// State kept per guest process, in a map from pid: what a fork does to it.
#ifndef RAVEL_SCHEDULER_PER_PROCESS_H_
#define RAVEL_SCHEDULER_PER_PROCESS_H_

#include <sys/types.h>

#include <utility>

namespace ravel {

// Process `child` was forked from `parent`: it starts with a copy of the parent's entry
// (and none when the parent has none). A child that is the parent (a thread, not a
// process) changes nothing.
template <typename PerProcessMap>
void CopyToForkedChild(PerProcessMap& per_process, pid_t parent, pid_t child) {
  if (parent == child) return;
  auto it = per_process.find(parent);
  if (it == per_process.end()) return;
  // Copied before inserting: an insertion may move the map's elements.
  auto copy = it->second;
  per_process[child] = std::move(copy);
}

}  // namespace ravel

#endif  // RAVEL_SCHEDULER_PER_PROCESS_H_
