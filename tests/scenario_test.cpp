#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "model/scenario.hpp"
#include "model/swarm.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"
#include "model/scenario_json.hpp"

using namespace swarmplan;
using namespace swarmplan::model;

namespace {
std::string Err(const std::string& text) {
  auto s = ScenarioFromJson(text, "x.json");
  REQUIRE_FALSE(s);
  return s.error();
}
const char* kNodes = R"("nodes":[{"name":"m1","role":"manager","engine":"18.09"}])";
}  // namespace

TEST_CASE("engine versions parse - and unknown ones are refused", "[unit][version]") {
  CHECK(EngineVersion::Parse("17.06")->ToString() == "17.06");
  CHECK(EngineVersion::Parse("v18.09.1-ce")->ToString() == "18.09");
  CHECK(EngineVersion::Parse("20.10.24+dfsg1")->ToString() == "20.10");
  CHECK(EngineVersion::Parse("24.0.7")->ToString() == "24.0");
  CHECK_FALSE(EngineVersion::Parse("18.07"));
  CHECK_FALSE(EngineVersion::Parse("banana"));
  CHECK_FALSE(EngineVersion::Parse("18"));
  CHECK(EngineVersion::Parse("17.06")->lb_policy() == LbPolicy::kNone);
  CHECK(EngineVersion::Parse("18.06")->lb_policy() == LbPolicy::kAllNodes);
  CHECK(EngineVersion::Parse("17.12")->lb_policy() == LbPolicy::kAllNodes);
  CHECK(EngineVersion::Parse("18.09")->lb_policy() == LbPolicy::kOnDemand);
  CHECK_FALSE(EngineVersion::Parse("18.06")->worker_waits_for_attachments());
  CHECK(EngineVersion::Parse("19.03")->worker_waits_for_attachments());
}

TEST_CASE("scenario JSON is read strictly - errors name the field", "[unit][scenario]") {
  CHECK(Err("{").find("malformed JSON") != std::string::npos);
  CHECK(Err(R"({"nodes":[], "bogus": 1})").find("/bogus: unknown field") != std::string::npos);
  CHECK(Err(R"({"nodes":[]})").find("at least one node") != std::string::npos);
  CHECK(Err(R"({"nodes":[{"name":"a","engine":"18.09"}]})").find("manager") != std::string::npos);
  CHECK(Err(R"({"nodes":[{"name":"m1","role":"manager","engine":"18.07"}]})").find("/nodes/0/engine") != std::string::npos);
  CHECK(Err(R"({"nodes":[{"name":"m1","role":"boss","engine":"18.09"}]})").find("/nodes/0/role") != std::string::npos);
  CHECK(Err(std::string("{") + kNodes + R"(,"services":[{"name":"s","replicas":3.7}]})").find("/services/0/replicas must be a whole number") != std::string::npos);
  CHECK(Err(std::string("{") + kNodes + R"(,"services":[{"name":"s","replicas":-1}]})").find("/services/0/replicas") != std::string::npos);
  CHECK(Err(std::string("{") + kNodes + R"(,"services":[{"name":"s","networks":["nope"]}]})").find("no overlay network is named \"nope\"") != std::string::npos);
  CHECK(Err(std::string("{") + kNodes + R"(,"networks":[{"name":"n","subnet":"10.0.0.0/31"}]})").find("/networks/0/subnet") != std::string::npos);
  CHECK(Err(std::string("{") + kNodes + R"(,"networks":[{"name":"n","subnet":"10.0.0.0/27"}]})").find("Pool overlaps") != std::string::npos);
  CHECK(Err(std::string("{") + kNodes + R"(,"networks":[{"name":"a","subnet":"10.1.0.0/24"},{"name":"b","subnet":"10.1.0.128/25"}]})").find("Pool overlaps") != std::string::npos);
  CHECK(Err(std::string("{") + kNodes + R"(,"services":[{"name":"s","constraints":["node.colour==red"]}]})").find("unknown attribute") != std::string::npos);
  CHECK(Err(std::string("{") + kNodes + R"(,"timings":{"warp_ms":3}})").find("/timings/warp_ms") != std::string::npos);
}

TEST_CASE("the default scenario round-trips through JSON", "[unit][scenario]") {
  const Scenario d = DefaultScenario();
  const auto j = ScenarioToJson(d);
  auto back = ScenarioFromJson(j.dump(), "roundtrip");
  REQUIRE(back);
  CHECK(ScenarioToJson(*back) == j);
  // The default ingress of a cluster born on 17.06 is 10.255.0.0/16, so the
  // seed's 10.0.0.0/27 does not overlap it.
  CHECK(d.EffectiveIngress().ToString() == "10.255.0.0/16");
}

TEST_CASE("constraints match labels - roles and names", "[unit][scenario]") {
  const std::map<std::string, std::string> labels{{"zone", "a"}};
  auto c = [](const char* t) { return *Constraint::Parse(t); };
  CHECK(ConstraintsMatch({c("node.role==manager")}, "m1", Role::kManager, labels));
  CHECK_FALSE(ConstraintsMatch({c("node.role!=manager")}, "m1", Role::kManager, labels));
  CHECK(ConstraintsMatch({c("node.labels.zone==a")}, "m1", Role::kWorker, labels));
  CHECK_FALSE(ConstraintsMatch({c("node.labels.rack==1")}, "m1", Role::kWorker, labels));
  CHECK(ConstraintsMatch({c("node.labels.rack!=1")}, "m1", Role::kWorker, labels));
  CHECK(ConstraintsMatch({c("node.hostname == m1")}, "m1", Role::kWorker, labels));
}

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
