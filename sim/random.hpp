// Rng: the one source of randomness of a simulation run.
//
// xoshiro256** seeded through splitmix64, with our own range mapping so the
// same seed gives the same numbers with every compiler and standard library.
// Split() derives an independent child stream, so trials and components can
// draw without disturbing each other's sequences. Not thread-safe: each run
// (and each thread) owns its own Rng.
#pragma once

#include <cstdint>

#include "sim/time.hpp"

namespace swarmplan::sim {

// One step of splitmix64: advances `state` and returns a well-mixed value.
std::uint64_t SplitMix64(std::uint64_t& state);

// The seed of trial `index` of a run seeded with `base`. Seeds of different
// indices are independent; the mapping is fixed forever (reports rely on it).
std::uint64_t TrialSeed(std::uint64_t base, std::uint64_t index);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t Next();
  // Uniform in [0, n). REQUIRES: n > 0.
  std::uint64_t Below(std::uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  std::int64_t Between(std::int64_t lo, std::int64_t hi);
  // Uniform time in [lo, hi].
  Time Duration(Time lo, Time hi) { return Between(lo, hi); }
  // True with probability num/den. REQUIRES: den > 0.
  bool Chance(std::uint64_t num, std::uint64_t den) { return Below(den) < num; }
  // A new generator whose stream is independent of this one's.
  Rng Split();

 private:
  std::uint64_t s_[4];
};

}  // namespace swarmplan::sim
