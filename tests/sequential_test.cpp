#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "planner/pipeline.hpp"
#include "planner/plan.hpp"
#include "planner/render.hpp"
#include "planner/sequential.hpp"

using namespace swarmplan;

namespace {
planner::TrialStats Counts(std::uint64_t n, std::uint64_t rejected, std::uint64_t not_converged = 0) {
  planner::TrialStats st;
  st.n = n;
  st.reject_any = rejected;
  st.not_converged = not_converged;
  return st;
}

bool SameStats(const planner::TrialStats& a, const planner::TrialStats& b) {
  return a.n == b.n && a.events == b.events && a.unseed == b.unseed && a.reject_any == b.reject_any &&
         a.rejected == b.rejected && a.not_converged == b.not_converged && a.plan_us == b.plan_us &&
         a.worst_index == b.worst_index && a.rejected_hist == b.rejected_hist && a.plan_hist == b.plan_hist;
}
}  // namespace

TEST_CASE("the sequential rule: a safe run needs 300 clean trials, a risk a tight enough interval", "[unit][sequential]") {
  CHECK(planner::Decided(Counts(99, 60)).empty());  // never before the first look
  CHECK(planner::Decided(Counts(100, 0)).empty());
  CHECK(planner::Decided(Counts(299, 0)).empty());
  const std::string safe = planner::Decided(Counts(300, 0));
  CHECK(safe == "no trial at risk in 300: P(at risk) < 1.3% at 95% confidence");
  // Half the trials rejecting: known to +-10 points at 100, a quarter of 50%.
  CHECK(planner::Decided(Counts(100, 50)) == "tasks rejected in 50 of 100 trials: P = 50.0% (95% CI 40.4% - 59.6%)");
  // 5%: the interval (2.2% - 11.2%) is too wide at 100, narrow enough at 300.
  CHECK(planner::Decided(Counts(100, 5)).empty());
  CHECK_FALSE(planner::Decided(Counts(300, 15)).empty());
  // Not converging without a rejection is at risk too.
  CHECK(planner::Decided(Counts(300, 0, 150)).rfind("at risk in 150 of 300", 0) == 0);
}

TEST_CASE("a cheap plan runs every trial, an expensive one stops once decided with the stats of that prefix",
          "[unit][sequential]") {
  const model::Scenario s = model::DefaultScenario();
  const planner::Plan p = planner::DefaultPlan(s, *s.upgrade.to);
  // Cheap (the real threshold): all 400, the same as one run of them.
  const auto all = planner::RunSequential(s, p, 5, 400, 2);
  CHECK(all.stopped.empty());
  CHECK(SameStats(all.stats, planner::RunTrialStats(s, p, 5, {0, 400}, 2)));
  // The same scenario counted as expensive: the seed's risk is far from
  // zero and decided at the first look it can be.
  const auto early = planner::RunSequential(s, p, 5, 1000, 2, {}, {}, /*cheap_events=*/100);
  REQUIRE_FALSE(early.stopped.empty());
  CHECK(early.stats.n < 1000);
  CHECK(early.stats.reject_any > 0);
  CHECK(early.stopped == planner::Decided(early.stats));
  CHECK(SameStats(early.stats, planner::RunTrialStats(s, p, 5, {0, early.stats.n}, 1)));
  // The report says it stopped, why, and what the budget was.
  planner::JudgeOptions o;
  o.trials = early.stats.n;
  o.trials_budget = 1000;
  o.stopped_early = early.stopped;
  o.sensitivity = false;
  o.fixes = false;
  const planner::Report rep = planner::Judge(s, p, 5, early.stats, o);
  const std::string text = planner::RenderText(rep, "reproduce");
  CHECK(text.find("stopped after " + std::to_string(early.stats.n) + " of up to 1000 trials, the verdict decided: " +
                  early.stopped) != std::string::npos);
  const auto j = planner::ReportToJson(rep);
  CHECK(j["trials"] == early.stats.n);
  CHECK(j["stopped_early"]["trials_budget"] == 1000);
  CHECK(j["stopped_early"]["why"] == early.stopped);
}
