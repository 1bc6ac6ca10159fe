#include "planner/sensitivity.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

#include "planner/runner.hpp"
#include "sim/random.hpp"

namespace swarmplan::planner {

using model::Timings;

const std::vector<UncertainTiming>& UncertainTimings() {
  // The ranges (of each constant's upper end) run from about the harness's
  // measurements (docs/timings.md) to what a busier or more distant cluster
  // plausibly shows (README, "Sensitivity").
  static const std::vector<UncertainTiming> knobs = {
      {"worker_accept_ms", &Timings::worker_accept, 10, 150,
       "how spread out a worker's task starts are after one dispatcher message"},
      {"allocator_latency_ms", &Timings::allocator_latency, 5, 100, "allocator commit latency"},
      {"dispatch_latency_ms", &Timings::dispatch_latency, 20, 200, "manager to worker message latency"},
      {"container_start_ms", &Timings::container_start, 500, 3000, "container start time"},
      {"swarm_active_after_ready_ms", &Timings::swarm_active_after_ready, 0, 1500,
       "how long after an engine start libnetwork refuses swarm networks"},
      // The slowest status write to a worker's task database (an fsync):
      // 4 ms is a fast local SSD, 60 ms a slow network disk; the harness's
      // disk measured 16 (docs/timings.md).
      {"task_db_write_ms", &Timings::task_db_write, 4, 60,
       "how long a worker takes to write one task status to its disk"},
      // A stopped container's cleanup before its network teardown: 200 ms
      // on the quiet harness, ~0.5 s more with two harness swarms on two
      // cores (docs/timings.md); a loaded production host, more.
      {"container_cleanup_ms", &Timings::container_cleanup, 200, 1200,
       "how long a stopped container takes to be cleaned up on a busy host"},
  };
  return knobs;
}

std::uint64_t SensitivityTrialsPerPoint(std::uint64_t trials) {
  return std::clamp<std::uint64_t>(trials / kSensitivityPoints, 16, 200);
}

Sensitivity RunSensitivity(const model::Scenario& s, const Plan& p, std::uint64_t seed, std::uint64_t points,
                           std::uint64_t trials_per_point, unsigned threads) {
  const auto& knobs = UncertainTimings();
  const std::size_t k = knobs.size();
  Sensitivity out;
  out.points = points;
  out.trials_per_point = trials_per_point;
  // Latin hypercube: each constant's range cut in `points` strata, one point
  // per stratum, strata paired at random (seeded: the design is part of the
  // run's determinism).
  sim::Rng rng(seed ^ 0x5e5171717ULL);
  Eigen::MatrixXd x(static_cast<Eigen::Index>(points), static_cast<Eigen::Index>(k + 1));
  for (std::size_t j = 0; j < k; ++j) {
    std::vector<std::uint64_t> perm(points);
    for (std::uint64_t i = 0; i < points; ++i) perm[i] = i;
    for (std::uint64_t i = points; i > 1; --i) std::swap(perm[i - 1], perm[rng.Below(i)]);
    for (std::uint64_t i = 0; i < points; ++i) {
      const double u = (static_cast<double>(perm[i]) + static_cast<double>(rng.Below(1000)) / 1000.0) /
                       static_cast<double>(points);
      x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j + 1)) = 2 * u - 1;  // [-1, 1]
    }
  }
  Eigen::VectorXd y(static_cast<Eigen::Index>(points));
  for (std::uint64_t i = 0; i < points; ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    x(row, 0) = 1;
    model::Scenario v = s;
    for (std::size_t j = 0; j < k; ++j) {
      const double u = (x(row, static_cast<Eigen::Index>(j + 1)) + 1) / 2;
      const double ms = static_cast<double>(knobs[j].lo_ms) + u * static_cast<double>(knobs[j].hi_ms - knobs[j].lo_ms);
      model::Range& r = v.timings.*(knobs[j].field);
      r.hi = sim::Ms(static_cast<std::int64_t>(std::llround(ms)));
      r.lo = std::min(r.lo, r.hi);
    }
    const auto results = RunTrials(v, p, seed, {0, trials_per_point}, threads);
    std::uint64_t rejecting = 0;
    for (const TrialResult& t : results) rejecting += t.metrics.rejected_total() > 0;
    y(row) = static_cast<double>(rejecting) / static_cast<double>(results.size());
  }
  out.p_min = y.minCoeff();
  out.p_max = y.maxCoeff();
  // P = b0 + sum b_j x_j, x_j in [-1, 1]: going from the low to the high
  // end of constant j changes P by 2 b_j.
  const Eigen::VectorXd b = x.colPivHouseholderQr().solve(y);
  for (std::size_t j = 0; j < k; ++j) out.effects.push_back({knobs[j].key, 2 * b(static_cast<Eigen::Index>(j + 1))});
  std::stable_sort(out.effects.begin(), out.effects.end(),
                   [](const auto& a, const auto& c) { return std::abs(a.change) > std::abs(c.change); });
  return out;
}

}  // namespace swarmplan::planner
