#include "sim/random.hpp"

#include <cassert>

namespace swarmplan::sim {

std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t TrialSeed(std::uint64_t base, std::uint64_t index) {
  std::uint64_t s = base ^ (index * 0xd1b54a32d192ed03ULL);
  SplitMix64(s);
  return SplitMix64(s);
}

Rng::Rng(std::uint64_t seed) {
  std::uint64_t sm = seed;
  for (auto& w : s_) w = SplitMix64(sm);
}

Rng Rng::Split() { return Rng(Next() ^ 0x6a09e667f3bcc909ULL); }

}  // namespace swarmplan::sim
