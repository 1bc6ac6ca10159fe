// Regressions of issue 8: one rule per concept (the initial leader, the
// default target), a plan check that can fail only on real violations, and
// the README's list of scenario keys kept in step with the reader.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "model/scenario_json.hpp"
#include "model/swarm.hpp"
#include "planner/capacity.hpp"
#include "planner/hazards.hpp"
#include "planner/plan.hpp"
#include "planner/render.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "planner/sensitivity.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;

TEST_CASE("the initial leader is the named manager - else the first manager that is up", "[unit][scenario]") {
  // Five managers, so one may be down and the rest still upgraded one by one.
  model::Scenario s = testing::Cluster(5, 2, "18.09", "10.1.0.0/24", 4);
  CHECK(s.InitialLeader() == 0u);
  s.nodes[0].down = true;  // the first listed manager is down
  REQUIRE(s.Validate());
  CHECK(s.InitialLeader() == 1u);
  // The simulation and the report agree with it: m2 leads, not the down m1.
  model::Trace trace(true);
  const planner::Plan p = planner::DefaultPlan(s, s.DefaultTarget());
  REQUIRE(planner::CheckPlan(s, p));
  (void)planner::RunTrial(s, p, 7, {}, &trace);
  bool m2_leads = false, m1_leads = false;
  for (const auto& e : trace.events()) {
    m2_leads = m2_leads || e.text.rfind("m2 leads", 0) == 0;
    m1_leads = m1_leads || e.text.rfind("m1 leads", 0) == 0;
  }
  CHECK(m2_leads);
  CHECK_FALSE(m1_leads);
  // A named leader that is down is refused, naming /leader.
  s.leader = "m1";
  auto bad = s.Validate();
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("/leader") != std::string::npos);
  CHECK(bad.error().find("down") != std::string::npos);
}

TEST_CASE("the default target is upgrade.to - else 18.09 or the newest engine present", "[unit][scenario]") {
  model::Scenario s = testing::Cluster(1, 1, "17.06", "10.1.0.0/24", 1);
  CHECK(s.DefaultTarget() == model::EngineVersion{18, 9});
  s.nodes[1].engine = {20, 10};
  CHECK(s.DefaultTarget() == model::EngineVersion{20, 10});
  s.upgrade.to = model::EngineVersion{19, 3};
  CHECK(s.DefaultTarget() == model::EngineVersion{19, 3});
}

TEST_CASE("plan check: starting a down node is no cycle - real lifecycle violations are refused", "[unit][plan]") {
  model::Scenario s = testing::Cluster(3, 1, "18.09", "10.1.0.0/24", 4);
  s.nodes[3].down = true;  // w1
  auto check = [&](const std::string& order) {
    auto p = planner::ParseOrder(s, {order}, {18, 9}, true);
    REQUIRE(p);
    return planner::CheckPlan(s, *p);
  };
  // The old graph turned a first step on a down node into a self-loop.
  CHECK(check("start:w1,wait"));
  CHECK(check("wait,start:w1,wait"));
  auto stop_down = check("stop:w1");
  REQUIRE_FALSE(stop_down);
  CHECK(stop_down.error().find("the node is down") != std::string::npos);
  auto twice = check("start:w1,start:w1");
  REQUIRE_FALSE(twice);
  CHECK(twice.error().find("step 2") != std::string::npos);
  auto install_running = check("install:m2");
  REQUIRE_FALSE(install_running);
  CHECK(install_running.error().find("must be stopped first") != std::string::npos);
  auto left_stopped = check("stop:m2,install:m2");
  REQUIRE_FALSE(left_stopped);
  CHECK(left_stopped.error().find("stopped at the end") != std::string::npos);
  auto downgrade = check("stop:m2,install:m2:18.06,start:m2");
  REQUIRE_FALSE(downgrade);
  CHECK(downgrade.error().find("not downgrades") != std::string::npos);
}

TEST_CASE("a plan that upgrades only part of the cluster says so", "[unit][plan]") {
  model::Scenario s = testing::Cluster(3, 2, "17.06", "10.1.0.0/24", 4);
  auto p = planner::ParseOrder(s, {"wait"}, {18, 9}, true);
  REQUIRE(p);
  REQUIRE(p->notes.size() == 1);
  CHECK(p->notes[0].find("incomplete") != std::string::npos);
  const auto rep = planner::Aggregate(s, *p, 1, planner::RunTrials(s, *p, 1, {0, 2}, 1));
  CHECK(planner::RenderText(rep, "x").find("the upgrade is incomplete") != std::string::npos);
  CHECK(planner::ReportToJson(rep)["plan"]["notes"].size() == 1);
  auto whole = planner::ParseOrder(s, {"m2,m3,m1,w1,w2"}, {18, 9}, true);
  REQUIRE(whole);
  CHECK(whole->notes.empty());
}

TEST_CASE("the README lists every scenario key the reader accepts", "[unit][scenario][docs]") {
  std::ifstream in(std::string(SWARMPLAN_SOURCE) + "/README.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const auto section = readme.find("## Scenario format");
  REQUIRE(section != std::string::npos);
  const std::string text = readme.substr(section, readme.find("\n## ", section + 1) - section);
  for (const auto& list : model::ScenarioFieldNames()) {
    for (std::string_view key : list.keys) {
      INFO("README \"Scenario format\" lacks " << list.object << "." << key);
      CHECK(text.find("\"" + std::string(key) + "\"") + text.find("`" + std::string(key) + "`") !=
            2 * std::string::npos);
    }
  }
}

TEST_CASE("every timing round-trips through the one table", "[unit][scenario]") {
  model::Scenario s = model::DefaultScenario();
  s.timings.worker_accept = {sim::Ms(3), sim::Ms(40)};
  s.timings.dispatcher_batch = sim::Ms(77);
  s.timings.task_history = 9;
  const auto j = model::ScenarioToJson(s);
  for (const auto& list : model::ScenarioFieldNames()) {
    if (list.object != "timings") continue;
    for (std::string_view k : list.keys) CHECK(j["timings"].contains(std::string(k)));
    CHECK(j["timings"].size() == list.keys.size());
  }
  auto back = model::ScenarioFromJson(j.dump(), "t");
  REQUIRE(back);
  CHECK(back->timings.worker_accept.hi == sim::Ms(40));
  CHECK(back->timings.dispatcher_batch == sim::Ms(77));
  CHECK(back->timings.task_history == 9);
}

TEST_CASE("enum names parse and print from one table", "[unit][types]") {
  using namespace swarmplan::model;
  for (auto a : {Availability::kActive, Availability::kPause, Availability::kDrain}) {
    CHECK(ParseName<Availability>(ToString(a)) == a);
  }
  for (int i = 0; i <= static_cast<int>(TaskState::kOrphaned); ++i) {
    const auto st = static_cast<TaskState>(i);
    CHECK(ParseTaskState(ApiName(st)) == st);
    CHECK(ParseTaskState(ToString(st)) == st);
  }
  CHECK_FALSE(ParseName<Role>("Manager"));
  CHECK(NameChoices<RestartCondition>() == "any, on-failure or none");
}

TEST_CASE("the address budget after the plan counts the nodes it activates", "[unit][capacity]") {
  model::Scenario s = testing::Cluster(1, 3, "18.09", "10.1.0.0/27", 20);
  s.nodes[3].availability = model::Availability::kDrain;  // w3 drained at the start
  auto p = planner::ParseOrder(s, {"activate:w3,wait"}, {18, 9}, true);
  REQUIRE(p);
  const auto before_only = planner::Budget(s, {18, 9}, {18, 9});
  const auto with_plan = planner::Budget(s, {18, 9}, {18, 9}, &*p);
  CHECK(before_only[0].lb_after == 3);
  CHECK(with_plan[0].lb_before == 3);
  CHECK(with_plan[0].lb_after == 4);  // w3 takes tasks once active, and an address
  CHECK(with_plan[0].free_after() == with_plan[0].free_before() - 1);
}

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
