// Which seeds a stress job runs: the shard this process is (from --shard, --shards or
// the sharding variables of GoogleTest, Bazel and Kubernetes), and the seeds of that
// shard in order, bounded by a count or by time.
//
// Shard I of N takes the seeds whose offset from BASE is I modulo N, so shards of one job
// never run a seed twice and together run every seed of the range.
#ifndef RAVEL_STRESS_SEEDS_H_
#define RAVEL_STRESS_SEEDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace ravel {

// Which shard this process runs: --shard I/N, else GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS,
// TEST_SHARD_INDEX/TEST_TOTAL_SHARDS, or JOB_COMPLETION_INDEX with --shards N; else 0 of 1.
struct Shard {
  int index = 0;
  int count = 1;
  std::string source;  // where it came from, for messages
};
absl::StatusOr<Shard> ResolveShard(const std::string& flag, int shards);

// After ResolveShard: the sharding variables were meant for ravel, so a GoogleTest guest
// must not shard itself too (they are unset); Bazel's TEST_SHARD_STATUS_FILE is touched
// to say that ravel shards.
void TakeOverSharding();

// "30", "30s", "1.5m", "2h" -> seconds.
absl::StatusOr<double> ParseDuration(const std::string& text);

// The seeds of one shard, in order: BASE + offset for offsets index, index + count, ...,
// below `runs` (or, with runs 0, until `deadline` on MonotonicSeconds()). The sequence
// ends at 2^64-1 rather than wrapping to 0.
class SeedSource {
 public:
  SeedSource(uint64_t base, uint64_t runs, double deadline, Shard shard)
      : base_(base), runs_(runs), deadline_(deadline), shard_(shard), next_offset_(static_cast<uint64_t>(shard.index)) {}

  std::optional<uint64_t> Next();
  // Seeds this shard runs in total (0 when bounded by time).
  uint64_t Planned() const;

 private:
  uint64_t base_, runs_;
  double deadline_;
  Shard shard_;
  uint64_t next_offset_;
  bool exhausted_ = false;
};

}  // namespace ravel

#endif  // RAVEL_STRESS_SEEDS_H_
