// planner/report, trial_stats, sensitivity: what many trials say, and how sure it is.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "helpers.hpp"
#include "planner/plan.hpp"
#include "planner/render.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "planner/sensitivity.hpp"

using namespace swarmplan;

TEST_CASE("a SAFE verdict carries no advice" , "[unit][report]") {
  model::Scenario s = testing::Cluster(3, 2, "17.06", "10.1.0.0/24", 10);
  const planner::Plan p = planner::DefaultPlan(s, {18, 9});
  const auto rep = planner::Aggregate(s, p, 1, planner::RunTrials(s, p, 1, {0, 5}, 1));
  REQUIRE(rep.safe);
  CHECK(rep.recommendations.empty());
}

TEST_CASE("sensitivity: every report carries the range over plausible timings" , "[unit][report][sensitivity]") {
  model::Scenario s = model::DefaultScenario();
  const planner::Plan p = planner::DefaultPlan(s, {18, 9});
  auto rep = planner::Aggregate(s, p, 3, planner::RunTrials(s, p, 3, {0, 40}, 2));
  planner::AddSensitivity(rep, s, p, 40, 2);
  REQUIRE(rep.has_sensitivity);
  const auto& v = rep.sensitivity;
  CHECK(v.points == planner::kSensitivityPoints);
  CHECK(v.trials_per_point == 16);
  CHECK(v.p_min <= v.p_max);
  CHECK(v.p_max > 0);
  REQUIRE(v.effects.size() == planner::UncertainTimings().size());
  for (std::size_t i = 1; i < v.effects.size(); ++i) CHECK(std::abs(v.effects[i - 1].change) >= std::abs(v.effects[i].change));
  // Seeded: the same run gives the same design and the same numbers.
  auto again = planner::Aggregate(s, p, 3, planner::RunTrials(s, p, 3, {0, 40}, 1));
  planner::AddSensitivity(again, s, p, 40, 1);
  CHECK(again.sensitivity.p_min == v.p_min);
  CHECK(again.sensitivity.p_max == v.p_max);
  CHECK(planner::ReportToJson(rep)["sensitivity"]["p_rejected_range"].size() == 2);
  // A report safe at the default timings is at risk when a design rejects.
  planner::Report safe_by_default = rep;
  safe_by_default.safe = true;
  safe_by_default.p_reject = 0;
  planner::AddSensitivity(safe_by_default, s, p, 40, 2);
  CHECK_FALSE(safe_by_default.safe);
  CHECK(planner::RenderText(safe_by_default, "x").find("AT RISK under some timings") != std::string::npos);
}

TEST_CASE("trial statistics do not depend on the order trials arrive in" , "[unit][report]") {
  model::Scenario s = model::DefaultScenario();
  const planner::Plan p = planner::DefaultPlan(s, {18, 9});
  const auto results = planner::RunTrials(s, p, 5, {0, 30}, 2);
  const auto in_order = planner::ReportToJson(planner::Aggregate(s, p, 5, results));
  // Streamed on two threads, without keeping the trials.
  const auto streamed = planner::ReportToJson(planner::Aggregate(s, p, 5, planner::RunTrialStats(s, p, 5, {0, 30}, 2)));
  CHECK(streamed == in_order);
  // Added backwards, in two accumulators merged the other way round.
  planner::TrialStats a, b;
  for (std::size_t i = results.size(); i-- > 0;) (i % 2 ? a : b).Add(results[i], i);
  b.Merge(a);
  CHECK(planner::ReportToJson(planner::Aggregate(s, p, 5, b)) == in_order);
  // Quantiles come from 1/64-octave bins: within 1.1% of the exact value.
  std::vector<double> d;
  for (const auto& r : results) d.push_back(r.plan_s);
  std::sort(d.begin(), d.end());
  const double exact_p50 = d[static_cast<std::size_t>(std::ceil(0.5 * static_cast<double>(d.size()))) - 1];
  CHECK(std::abs(b.PlanQuantile(0.5) - exact_p50) <= 0.011 * exact_p50);
}

TEST_CASE("engines newer than the harness's are said to be read from source", "[unit][report]") {
  model::Scenario s = testing::Cluster(3, 2, "20.10", "10.1.0.0/24", 6);
  const auto note_of = [](const planner::Report& rep) {
    for (const auto& n : rep.plan_notes) {
      if (n.find("docs/engine-versions.md") != std::string::npos) return n;
    }
    return std::string();
  };
  const planner::Plan same = planner::DefaultPlan(s, {20, 10});
  CHECK(note_of(planner::Aggregate(s, same, 1, planner::RunTrials(s, same, 1, {0, 3}, 1))).empty());
  s.nodes[4].engine = {23, 0};
  const planner::Plan up = planner::DefaultPlan(s, {24, 0});
  const std::string note = note_of(planner::Aggregate(s, up, 1, planner::RunTrials(s, up, 1, {0, 3}, 1)));
  CHECK(note.rfind("engine 23.0, 24.0: the conformance harness runs 20.10", 0) == 0);
}
