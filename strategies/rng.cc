#include "strategies/rng.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "strategies/contract.h"

namespace ravel {
namespace {

constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

// The salt that separates stream `index` from the others: a fixed, well-mixed constant
// per stream, so that the start states of two streams of one seed are unrelated.
uint64_t StreamSalt(size_t index) { return Mix64(kGoldenGamma * (index + 1)); }

}  // namespace

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64Next(uint64_t& state) {
  state += kGoldenGamma;
  return Mix64(state);
}

void Rng::Reseed(uint64_t seed) {
  seed_ = seed;
  for (size_t i = 0; i < state_.size(); ++i) {
    // Mix64 is a bijection, so for one stream distinct seeds give distinct start states.
    state_[i] = Mix64(seed ^ StreamSalt(i));
    draws_[i] = 0;
  }
}

uint64_t Rng::Next(Stream s) {
  const size_t i = static_cast<size_t>(s);
  RAVEL_STRATEGY_CHECK(i < state_.size(), absl::StrCat("unknown stream ", i));
  ++draws_[i];
  return SplitMix64Next(state_[i]);
}

uint64_t Rng::Uniform(Stream s, uint64_t n) {
  RAVEL_STRATEGY_CHECK(n >= 1, "Rng::Uniform needs n >= 1");
  if (n == 1) return 0;
  // Values below `threshold` would make some results more likely than others (2^64 is
  // not a multiple of n): reject them. threshold = 2^64 mod n.
  const uint64_t threshold = (0 - n) % n;
  while (true) {
    const uint64_t r = Next(s);
    if (r >= threshold) return r % n;
  }
}

uint64_t Rng::UniformInRange(Stream s, uint64_t lo, uint64_t hi) {
  RAVEL_STRATEGY_CHECK(lo <= hi, absl::StrCat("empty range [", lo, ", ", hi, "]"));
  const uint64_t span = hi - lo;
  if (span == UINT64_MAX) return Next(s);
  return lo + Uniform(s, span + 1);
}

bool Rng::Chance(Stream s, uint64_t numerator, uint64_t denominator) {
  RAVEL_STRATEGY_CHECK(denominator >= 1, "Rng::Chance needs a denominator >= 1");
  if (numerator == 0) return false;
  if (numerator >= denominator) return true;
  return Uniform(s, denominator) < numerator;
}

std::vector<uint64_t> Rng::DistinctSample(Stream s, size_t count, uint64_t lo, uint64_t hi) {
  RAVEL_STRATEGY_CHECK(lo <= hi, absl::StrCat("empty range [", lo, ", ", hi, "]"));
  const uint64_t span = hi - lo;  // the range holds span + 1 values
  RAVEL_STRATEGY_CHECK(
      span == UINT64_MAX || count <= span + 1,
      absl::StrCat("cannot draw ", count, " distinct values of [", lo, ", ", hi, "]"));
  // Floyd's algorithm picks a uniformly random set of `count` offsets in [0, span]
  // with exactly `count` bounded draws; a Fisher-Yates shuffle then makes the order
  // uniform too. The set is only used for membership, never iterated.
  std::vector<uint64_t> out;
  if (count == 0) return out;
  out.reserve(count);
  std::set<uint64_t> chosen;
  for (uint64_t j = span - (count - 1); out.size() < count; ++j) {
    const uint64_t t = UniformInRange(s, 0, j);
    const uint64_t pick = chosen.count(t) ? j : t;
    chosen.insert(pick);
    out.push_back(pick);
  }
  for (size_t i = out.size(); i > 1; --i) {
    const size_t j = Uniform(s, i);
    std::swap(out[i - 1], out[j]);
  }
  for (uint64_t& v : out) v += lo;
  return out;
}

std::vector<size_t> Rng::SortedSubset(Stream s, size_t count, size_t n) {
  RAVEL_STRATEGY_CHECK(count <= n, absl::StrCat("cannot choose ", count, " of ", n));
  std::vector<size_t> out;
  if (count == 0) return out;
  if (count == n) {
    out.resize(n);
    std::iota(out.begin(), out.end(), size_t{0});
    return out;
  }
  std::set<size_t> chosen;
  for (size_t j = n - count; j < n; ++j) {
    const size_t t = static_cast<size_t>(Uniform(s, j + 1));
    chosen.insert(chosen.count(t) ? j : t);
  }
  out.assign(chosen.begin(), chosen.end());  // std::set iterates in ascending order
  return out;
}

}  // namespace ravel
