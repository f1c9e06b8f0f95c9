// Rng: the seeded random generator of one run, split into independent streams.
//
// Every random decision a strategy makes is drawn from one named Stream (which thread to
// pick, which waiters to wake, priorities, change points, time jumps, guest-visible
// random data). Each stream has its own sequence, so drawing more or fewer values from
// one stream never shifts the values of another: an extra futex wake does not change the
// picks that follow it.
//
// Invariants:
//   - The values are a pure function of (seed, stream, index of the draw in that stream).
//     They are computed with SplitMix64 and explicit rejection sampling only (no standard
//     library distributions, whose results are implementation-defined), so a seed gives
//     the same run on every machine, compiler and standard library.
//   - Uniform(s, n) is unbiased (rejection sampling) and, when n == 1, returns 0 without
//     consuming a value of the stream: a decision with a single outcome draws nothing.
//   - Changing this algorithm changes what every recorded seed means; rng_test.cc pins
//     the sequences with known values.
//
// Usage:
//   Rng rng(seed);
//   size_t i = rng.Uniform(Stream::kPick, runnable.size());
#ifndef RAVEL_STRATEGIES_RNG_H_
#define RAVEL_STRATEGIES_RNG_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ravel {

// The decision kinds that draw random numbers. Append new streams at the end only: the
// derivation of a stream's sequence depends on its index.
enum class Stream : uint8_t {
  kPick = 0,          // which runnable thread runs next
  kWake = 1,          // which futex waiters are woken
  kPriority = 2,      // PCT: rank of a new thread among the existing priorities
  kChangePoints = 3,  // PCT: the steps at which priorities change
  kTime = 4,          // whether virtual time jumps ahead although threads can run
  kData = 5,          // random values handed to the guest (Strategy::NextU64)
};
inline constexpr int kNumStreams = 6;

// One step of the SplitMix64 generator (Steele, Lea, Flood 2014): advances `state` by the
// golden-ratio increment and returns the mixed result. Exposed for tests and for callers
// that need a stateless derivation.
uint64_t SplitMix64Next(uint64_t& state);

// The SplitMix64 output function alone (a bijection on 64-bit values).
uint64_t Mix64(uint64_t value);

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { Reseed(seed); }

  // Restarts every stream from the beginning of the sequences of `seed`.
  void Reseed(uint64_t seed);
  uint64_t seed() const { return seed_; }

  // The next 64 random bits of stream `s`.
  uint64_t Next(Stream s);

  // Uniform in [0, n). Requires n >= 1. Consumes nothing when n == 1.
  uint64_t Uniform(Stream s, uint64_t n);

  // Uniform in [lo, hi], inclusive. Requires lo <= hi.
  uint64_t UniformInRange(Stream s, uint64_t lo, uint64_t hi);

  // True with probability numerator/denominator. Requires denominator >= 1; a numerator
  // of 0 or >= denominator decides without consuming a value.
  bool Chance(Stream s, uint64_t numerator, uint64_t denominator);

  // `count` distinct values of [lo, hi] in uniformly random order (each ordered sample
  // equally likely). Requires lo <= hi and count <= hi - lo + 1.
  std::vector<uint64_t> DistinctSample(Stream s, size_t count, uint64_t lo, uint64_t hi);

  // Uniformly random `count` distinct indices of [0, n), ascending.
  std::vector<size_t> SortedSubset(Stream s, size_t count, size_t n);

  // How many 64-bit values stream `s` has produced since the last Reseed.
  uint64_t draws(Stream s) const { return draws_[static_cast<size_t>(s)]; }

 private:
  uint64_t seed_ = 0;
  std::array<uint64_t, kNumStreams> state_{};
  std::array<uint64_t, kNumStreams> draws_{};
};

}  // namespace ravel

#endif  // RAVEL_STRATEGIES_RNG_H_
