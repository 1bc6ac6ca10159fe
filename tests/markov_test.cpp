// An independent calculation of one race, against the simulated trials.
//
// The race (docs/timings.md, "An absorbing Markov chain of one race"): one
// node, one service, one overlay whose free addresses are exactly the
// replicas asked for, so the node's load balancer finds none. The service is
// scaled from 0 to R: every task takes an address and waits in PREPARING for
// the node's load-balancer address; none comes, and all R are rejected after
// the attachment wait. Their replacements are created at once (the dispatcher
// commits the rejections at one of its batch boundaries) and start preparing
// with desired state READY; when their restart delay ends the desired state
// becomes RUNNING. The dispatcher's stream sends the node all the changes in
// one message, and the worker hands each task its change after its own
// delay D ~ U[lo, hi] (worker_update; here the stream's quiet wait and the
// message's latency are zero, so D is the whole delay). That change cancels
// the attachment wait: the task is rejected, and its rejection is committed
// at the next dispatcher boundary.
// The allocator then sees all the rejections of one commit at once. If the
// node still has a task, its load balancer takes one of the freed addresses
// (node events before tasks), the remaining waiters go on, and the race is
// over: one replacement stays NEW. If the commit held every task of the
// round, the node no longer needs a load balancer, the replacements take
// every address, and the round begins again.
//
// So each round after the first ends the race with probability
// 1 - sum_w P_w^R, where P_w is the chance that D falls in the w-th
// dispatcher window after the delay, and j (0 < j < R) tasks are rejected in
// its last round with probability sum_w C(R, j) P_w^j S_w^(R - j), S_w the
// chance of a later window. The absorbing chain over rounds is solved with
// Eigen (fundamental matrix), giving the distribution of the number of tasks
// rejected in a trial; the planner's trials must show the same distribution.
#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <cstdint>
#include <map>
#include <sstream>
#include <vector>

#include "helpers.hpp"
#include "planner/plan.hpp"
#include "planner/runner.hpp"

using namespace swarmplan;
using namespace swarmplan::testing;

namespace {

struct Race {
  const char* subnet;
  unsigned replicas;  // = the subnet's free addresses after the VIP
  sim::Time change_lo, change_hi;
};

model::Scenario RaceScenario(const Race& r) {
  model::Scenario s = Cluster(1, 0, "20.10", r.subnet, 0);
  // Timings that make the race exactly the chain's: no allocator delay, no
  // spread between tasks of one dispatch, the attachment poll at once; the
  // restart delay (5 s) is a whole number of dispatcher batches (100 ms).
  s.timings.allocator_latency = {0, 0};
  s.timings.assignment_quiet = 0;
  s.timings.dispatch_latency = {0, 0};
  s.timings.worker_accept = {0, 0};
  s.timings.task_db_write = {0, 0};  // the worker's status writes take no time
  s.timings.worker_update = {r.change_lo, r.change_hi};
  s.timings.dispatcher_tick_late = {0, 0};  // batches on a fixed grid
  s.timings.report_send = {0, 0};           // a report reaches the dispatcher when it is made
  s.timings.attachment_poll = 1;
  return s;
}

// Probability of each number of rejected tasks, from the absorbing chain of
// `rounds` rounds (the last one's repeat is "not settled", index 0).
std::map<std::uint64_t, double> ChainDistribution(const Race& r, const model::Timings& tm, sim::Time restart_delay,
                                                  int rounds) {
  const unsigned n = r.replicas;
  const sim::Time b = tm.dispatcher_batch;
  REQUIRE(restart_delay % b == 0);
  // P_w: the share of integer handling delays (microseconds) whose
  // rejection is committed at the w-th boundary after the delay ends.
  std::map<std::int64_t, double> window;
  const double span = static_cast<double>(r.change_hi - r.change_lo + 1);
  for (sim::Time lo = r.change_lo; lo <= r.change_hi;) {
    const std::int64_t w = lo / b + 1;
    const sim::Time hi = std::min(r.change_hi, w * b - 1);
    window[w] += static_cast<double>(hi - lo + 1) / span;
    lo = hi + 1;
  }
  std::vector<double> p_last(n, 0.0);  // j rejected in the round that ends the race
  double repeat = 0;
  double later = 1;
  for (const auto& [w, p] : window) {
    later -= p;
    repeat += std::pow(p, n);
    for (unsigned j = 1; j < n; ++j) {
      p_last[j] += std::exp(std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0)) *
                   std::pow(p, j) * std::pow(std::max(later, 0.0), n - j);
    }
  }
  // Transient states: round 1 (always all rejected: every task waits the
  // same attachment wait), rounds 2..rounds. Absorbing: "not settled" (0),
  // then "k tasks rejected" for k = 1..n * rounds.
  const Eigen::Index t = rounds;
  const Eigen::Index a = 1 + static_cast<Eigen::Index>(n) * rounds;
  Eigen::MatrixXd q = Eigen::MatrixXd::Zero(t, t);
  Eigen::MatrixXd to_abs = Eigen::MatrixXd::Zero(t, a);
  q(0, 1 < t ? 1 : 0) = 1 < t ? 1.0 : 0.0;
  for (Eigen::Index i = 1; i < t; ++i) {
    const Eigen::Index before = static_cast<Eigen::Index>(n) * i;  // rejected in rounds 1..i
    if (i + 1 < t) q(i, i + 1) = repeat; else to_abs(i, 0) = repeat;
    for (unsigned j = 1; j < n; ++j) to_abs(i, before + j) = p_last[j];
  }
  const Eigen::MatrixXd fundamental = (Eigen::MatrixXd::Identity(t, t) - q).partialPivLu().inverse();
  const Eigen::MatrixXd absorbed = fundamental * to_abs;
  std::map<std::uint64_t, double> dist;
  for (Eigen::Index k = 0; k < a; ++k) dist[static_cast<std::uint64_t>(k)] = absorbed(0, k);
  return dist;
}

// Wilson score interval at z.
std::pair<double, double> Wilson(std::uint64_t k, std::uint64_t n, double z) {
  const double p = static_cast<double>(k) / static_cast<double>(n);
  const double z2n = z * z / static_cast<double>(n);
  const double centre = (p + z2n / 2) / (1 + z2n);
  const double half = z / (1 + z2n) * std::sqrt(p * (1 - p) / static_cast<double>(n) + z2n / (4.0 * n));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

// P(X >= k) for X ~ Poisson(mean): how surprising k rare events are.
double PoissonAtLeast(std::uint64_t k, double mean) {
  double below = 0, term = std::exp(-mean);
  for (std::uint64_t i = 0; i < k; ++i) {
    below += term;
    term *= mean / static_cast<double>(i + 1);
  }
  return std::max(0.0, 1 - below);
}

// Upper 0.1% point of chi-square with `df` degrees of freedom
// (Wilson-Hilferty).
double ChiSquare999(int df) {
  const double z = 3.090232;
  const double d = static_cast<double>(df);
  const double c = 1 - 2 / (9 * d) + z * std::sqrt(2 / (9 * d));
  return d * c * c * c;
}

// Chi-square of simulated counts against a chain's distribution, the cells
// expected in fewer than 5 trials pooled: (statistic, cells).
std::pair<double, int> ChiSquare(const std::map<std::uint64_t, std::uint64_t>& seen,
                                 const std::map<std::uint64_t, double>& chain, std::uint64_t trials) {
  double chi2 = 0, pooled_p = 0, pooled_seen = 0;
  int cells = 0;
  const auto add = [&](double p, double got) {
    const double expected = p * static_cast<double>(trials);
    chi2 += (got - expected) * (got - expected) / expected;
    ++cells;
  };
  for (const auto& [k, p] : chain) {
    const double got = seen.count(k) ? static_cast<double>(seen.at(k)) : 0.0;
    if (p * static_cast<double>(trials) >= 5) {
      add(p, got);
    } else {
      pooled_p += p;
      pooled_seen += got;
    }
  }
  if (pooled_p * static_cast<double>(trials) >= 5) add(pooled_p, pooled_seen);
  return {chi2, cells};
}

}  // namespace

TEST_CASE("markov: the chain's own arithmetic", "[markov]") {
  // Dispatch latency U[50 ms, 150 ms): half the tasks of a round are
  // committed at the first boundary. With 4 tasks a round repeats when all
  // four fall on one side (1/16 + 1/16).
  const Race r{"10.9.0.0/29", 4, sim::Ms(50), sim::Ms(150) - 1};
  const model::Timings tm;
  const auto d = ChainDistribution(r, tm, sim::Sec(5), 40);
  double total = 0;
  for (const auto& [k, p] : d) total += p;
  CHECK(total == Approx(1.0).epsilon(1e-12));
  // Ends in round 2 with j of 4 rejected: C(4, j) / 16 each way.
  CHECK(d.at(4 + 1) == Approx(4.0 / 16).epsilon(1e-9));
  CHECK(d.at(4 + 2) == Approx(6.0 / 16).epsilon(1e-9));
  CHECK(d.at(4 + 3) == Approx(4.0 / 16).epsilon(1e-9));
  // Round 3 after one repeat (1/8).
  CHECK(d.at(8 + 2) == Approx(6.0 / 16 / 8).epsilon(1e-9));
  CHECK(d.at(4) == 0.0);
  CHECK(d.at(0) < 1e-30);
}

TEST_CASE("markov: the simulated race matches the absorbing chain", "[markov]") {
  // Three races: two windows, even (4 tasks on a /29) and uneven (12 on a
  // /28); three windows (4 tasks, D up to 250 ms).
  const Race races[] = {
      {"10.9.0.0/29", 4, sim::Ms(50), sim::Ms(150) - 1},
      {"10.9.0.0/28", 12, sim::Ms(20), sim::Ms(150) - 1},
      {"10.9.0.0/29", 4, sim::Ms(5), sim::Ms(250) - 1},
  };
  constexpr std::uint64_t kTrials = 4000;
  constexpr std::uint64_t kSeed = 20261128;
  for (const Race& r : races) {
    const model::Scenario s = RaceScenario(r);
    const auto plan = planner::ParseOrder(s, {"scale:svc=" + std::to_string(r.replicas)}, s.nodes[0].engine, false);
    REQUIRE(plan.has_value());
    const planner::TrialStats stats = planner::RunTrialStats(s, *plan, kSeed, {0, kTrials}, 2);
    REQUIRE(stats.n == kTrials);
    REQUIRE(stats.plan_failed == 0);
    // The trial waits for convergence (5 min) after the scale: round 1 takes
    // the attachment wait, every later one the restart delay and at most a
    // few hundred ms; 40 rounds is more than fit.
    const auto chain = ChainDistribution(r, s.timings, s.services[0].restart_delay, 40);
    std::ostringstream why;
    why << "race: " << r.replicas << " tasks on " << r.subnet << ", change handled after " << r.change_lo << "-"
        << r.change_hi << " us; reproduce: swarmplan_tests \"markov: the simulated race matches the absorbing "
        << "chain\" (base seed " << kSeed << ", " << kTrials << " trials)\n";
    // Each outcome expected in at least 5 trials is checked on its own
    // (Wilson, two-sided 1e-4) and in the chi-square; rarer ones are pooled
    // into one cell, checked the same way; an outcome the chain gives no
    // chance at all must not occur.
    double pooled_p = 0;
    std::uint64_t pooled_seen = 0;
    std::map<std::uint64_t, std::uint64_t> seen = stats.rejected_hist;
    const auto check_cell = [&](const std::string& what, double p, std::uint64_t got) {
      const auto [lo, hi] = Wilson(got, kTrials, 3.890592);
      why << "  " << what << ": chain " << p << ", simulated " << got << "/" << kTrials << " [" << lo << ", " << hi
          << "]\n";
      INFO(why.str());
      CHECK(p >= lo);
      CHECK(p <= hi);
    };
    for (const auto& [k, p] : chain) {
      const std::uint64_t got = seen.count(k) ? seen.at(k) : 0;
      if (p == 0.0) continue;  // left in `seen`: must be absent
      seen.erase(k);
      if (p * static_cast<double>(kTrials) >= 5) {
        check_cell(std::to_string(k) + " rejected", p, got);
      } else {
        pooled_p += p;
        pooled_seen += got;
      }
    }
    if (pooled_p * static_cast<double>(kTrials) >= 5) {
      check_cell("rarer outcomes together", pooled_p, pooled_seen);
    } else {
      why << "  rarer outcomes together: chain " << pooled_p << ", simulated " << pooled_seen << "/" << kTrials
          << "\n";
      INFO(why.str());
      CHECK(PoissonAtLeast(pooled_seen, pooled_p * static_cast<double>(kTrials)) > 1e-4);
    }
    INFO(why.str());
    for (const auto& [k, count] : seen) {
      INFO("simulated " << count << " trials with " << k << " rejected, which the chain gives no chance");
      CHECK(count == 0);
    }
    const auto [chi2, cells] = ChiSquare(stats.rejected_hist, chain, kTrials);
    INFO("chi-square " << chi2 << " over " << cells << " cells, 0.1% point " << ChiSquare999(cells - 1));
    REQUIRE(cells >= 2);
    CHECK(chi2 < ChiSquare999(cells - 1));
    // The same trials tell apart a chain whose dispatch latency is 10 ms
    // longer at both ends (the first window's share moves by a tenth or
    // less): the test has the power to see a wrong rule.
    Race off = r;
    off.change_lo += sim::Ms(10);
    off.change_hi += sim::Ms(10);
    const auto [chi2_off, cells_off] =
        ChiSquare(stats.rejected_hist, ChainDistribution(off, s.timings, s.services[0].restart_delay, 40), kTrials);
    INFO("against a chain 10 ms off: chi-square " << chi2_off << " over " << cells_off << " cells");
    CHECK(chi2_off > ChiSquare999(cells_off - 1));
  }
}
