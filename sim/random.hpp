// Rng: the one source of randomness of a simulation run.
//
// xoshiro256** seeded through splitmix64, with our own range mapping so the
// same seed gives the same numbers with every compiler and standard library.
// Split() derives an independent child stream, so trials and components can
// draw without disturbing each other's sequences. Not thread-safe: each run
// (and each thread) owns its own Rng.
#pragma once

#include <cassert>
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

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n). REQUIRES: n > 0.
  std::uint64_t Below(std::uint64_t n) {
    assert(n > 0);
    // Lemire's nearly divisionless method, with rejection for exact
    // uniformity.
    U128 m = static_cast<U128>(Next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<U128>(Next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {
    assert(lo <= hi);
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<std::int64_t>(Next());  // full 64-bit range
    return lo + static_cast<std::int64_t>(Below(span));
  }
  // Uniform time in [lo, hi].
  Time Duration(Time lo, Time hi) { return Between(lo, hi); }
  // lo + (hi - lo) * U1 * U2, U1 and U2 uniform on [0, 1]: mostly near lo,
  // now and then near hi (an fsync, a host's slow spell). Draws twice, in
  // order (also when lo == hi, so a fixed value keeps the stream's place).
  // REQUIRES: lo <= hi.
  Time Skewed(Time lo, Time hi) {
    const Time span = hi - lo;
    const Time u1 = Duration(0, span);
    const Time u2 = Duration(0, span);
    return span > 0 ? lo + u1 * u2 / span : lo;
  }
  // True with probability num/den. REQUIRES: den > 0.
  bool Chance(std::uint64_t num, std::uint64_t den) { return Below(den) < num; }
  // A new generator whose stream is independent of this one's.
  Rng Split();

 private:
  __extension__ typedef unsigned __int128 U128;
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace swarmplan::sim
