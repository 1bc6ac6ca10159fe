// Sensitivity: how much a plan's risk depends on the timing constants the
// model cannot know exactly (docs/swarm-semantics.md "Timings"). The trials
// are run again at points of a Latin hypercube over those constants' ranges,
// with the same trial seeds at every point (common random numbers), and the
// probability of a rejection at each point is regressed on the constants
// (Eigen, least squares) to say which ones it depends on most.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::planner {

// One uncertain constant: the upper end of a Range timing, varied over
// [lo_ms, hi_ms] (the lower end stays, clamped below the upper).
struct UncertainTiming {
  const char* key;  // as in scenario files
  model::Range model::Timings::*field;
  std::int64_t lo_ms, hi_ms;
  const char* why;  // what the range rests on
};
const std::vector<UncertainTiming>& UncertainTimings();

struct Sensitivity {
  std::uint64_t points = 0;            // design points run
  std::uint64_t trials_per_point = 0;
  double p_min = 0, p_max = 0;         // P(rejection) over the points
  struct Effect {
    std::string key;
    double change = 0;  // P(rejection) from the low to the high end, other constants mid-range
  };
  std::vector<Effect> effects;  // largest |change| first
};

// The design a run of `trials` trials uses: 12 points of
// clamp(trials / 12, 16, 200) trials each (bounded, so that `merge` can
// redo it for the report of a sharded run).
inline constexpr std::uint64_t kSensitivityPoints = 12;
std::uint64_t SensitivityTrialsPerPoint(std::uint64_t trials);

// REQUIRES: points >= 2, trials_per_point >= 1.
Sensitivity RunSensitivity(const model::Scenario& s, const Plan& p, std::uint64_t seed, std::uint64_t points,
                           std::uint64_t trials_per_point, unsigned threads);

}  // namespace swarmplan::planner
