// The paper replay (planner/paper.hpp): one account of what each step does
// to the cluster, which the plan's checks, its hazards and its budget read.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "planner/capacity.hpp"
#include "planner/hazards.hpp"
#include "planner/paper.hpp"
#include "planner/plan.hpp"

using namespace swarmplan;
using swarmplan::testing::Cluster;

namespace {

const auto k2010 = *model::EngineVersion::Parse("20.10");

// Managers m1, m2 in the swarm, m3 defined but not joined, worker w1.
model::Scenario TwoPlusSpare() {
  model::Scenario s = Cluster(3, 1, "20.10", "10.1.0.0/24", 4);
  s.nodes[2].joined = false;
  return s;
}

std::vector<std::string> HazardsOf(const model::Scenario& s, const std::string& order) {
  auto p = planner::ParseOrder(s, {order}, k2010, true);
  REQUIRE(p);
  REQUIRE(planner::CheckPlan(s, *p));
  return planner::Hazards(s, *p);
}

bool SaysQuorum(const std::vector<std::string>& hazards, const std::string& count = "") {
  for (const auto& h : hazards) {
    if (h.find("loses quorum") != std::string::npos && h.find(count) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("paper: a restart after a manager joins keeps quorum (three managers by then)", "[unit][paper]") {
  const model::Scenario s = TwoPlusSpare();
  CHECK_FALSE(SaysQuorum(HazardsOf(s, "join:m3:manager,wait,restart:m2,wait")));
  // Without the join two managers lose quorum on a restart: said.
  CHECK(SaysQuorum(HazardsOf(s, "restart:m2,wait"), "with 2 managers"));
  // The join after the restart does not help the restart.
  CHECK(SaysQuorum(HazardsOf(s, "restart:m2,wait,join:m3:manager,wait"), "with 2 managers"));
  // Joining as a worker adds no manager.
  CHECK(SaysQuorum(HazardsOf(s, "join:m3:worker,wait,restart:m2,wait"), "with 2 managers"));
}

TEST_CASE("paper: promote, demote, leave and node-rm before a restart count", "[unit][paper]") {
  const model::Scenario two = Cluster(2, 2, "20.10", "10.1.0.0/24", 4);
  CHECK_FALSE(SaysQuorum(HazardsOf(two, "promote:w1,wait,restart:m2,wait")));
  CHECK(SaysQuorum(HazardsOf(two, "restart:m2,wait,promote:w1")));
  const model::Scenario three = Cluster(3, 1, "20.10", "10.1.0.0/24", 4);
  CHECK_FALSE(SaysQuorum(HazardsOf(three, "restart:m2,wait")));
  CHECK(SaysQuorum(HazardsOf(three, "demote:m3,wait,restart:m2,wait"), "with 2 managers"));
  CHECK(SaysQuorum(HazardsOf(three, "demote:m3,leave:m3,node-rm:m3,restart:m2,wait"), "with 2 managers"));
  // Four managers less one removed: three tolerate a restart.
  const model::Scenario four = Cluster(4, 1, "20.10", "10.1.0.0/24", 4);
  CHECK_FALSE(SaysQuorum(HazardsOf(four, "demote:m4,leave:m4,node-rm:m4,restart:m2,wait")));
  // A manager stopped by the plan and one restarted: two of four down.
  CHECK(planner::CheckPlan(four, *planner::ParseOrder(four, {"stop:m1,stop:m2,start:m1,start:m2"}, k2010, true))
            .error()
            .find("quorum") != std::string::npos);
}

TEST_CASE("paper: hazards of a node follow its membership", "[unit][paper]") {
  // 17.06 managers give no node a load-balancer address; an 18.09 node that
  // joins takes tasks and waits for one. Said after the join, not before
  // (a node out of the swarm takes nothing), and not for a node that left.
  model::Scenario s = Cluster(1, 2, "17.06", "10.1.0.0/24", 4);
  s.nodes[2].engine = *model::EngineVersion::Parse("18.09");
  s.nodes[2].joined = false;
  auto h = HazardsOf(s, "drain:w1,wait,join:w2,wait");
  REQUIRE(h.size() == 1);
  CHECK(h[0].find("after step 3 (w2 joins as worker), w2 runs 18.09") != std::string::npos);
  CHECK(HazardsOf(s, "drain:w1,wait").empty());
  s.nodes[2].joined = true;
  s.nodes[2].availability = model::Availability::kDrain;
  CHECK(HazardsOf(s, "leave:w2,node-rm:w2,wait").empty());
}

TEST_CASE("paper: the checks, the hazards and the budget read one replay", "[unit][paper]") {
  model::Scenario s = TwoPlusSpare();
  planner::Paper paper(s);
  CHECK(paper.managers() == 2);
  CHECK(paper.Apply({planner::Action::kJoin, 2, {}, 0, 0, 0, 0, model::Role::kManager}));
  CHECK(paper.managers() == 3);
  CHECK(paper.managers_up() == 3);
  // A step that does not fit changes nothing.
  auto again = paper.Apply({planner::Action::kJoin, 2, {}, 0, 0, 0, 0, model::Role::kManager});
  REQUIRE_FALSE(again);
  CHECK(again.error() == "m3 is already in the swarm");
  CHECK(paper.managers() == 3);
  CHECK(paper.Apply({planner::Action::kStop, 1, {}, 0}));
  CHECK(paper.managers_up() == 2);
  CHECK(paper.CheckEnd().error().find("leaves m2's engine stopped") != std::string::npos);
  // The budget counts the joined node's load-balancer address after.
  auto p = planner::ParseOrder(s, {"join:m3:manager,wait"}, k2010, true);
  REQUIRE(p);
  const auto b = planner::Budget(s, k2010, k2010, &*p);
  REQUIRE(b.size() == 1);
  CHECK(b[0].eligible_after == b[0].eligible_nodes + 1);
}

TEST_CASE("step words: the vocabulary reads back what it writes", "[unit][paper]") {
  model::Scenario s = Cluster(3, 2, "20.10", "10.1.0.0/24", 4);
  s.nodes[4].joined = false;
  s.services.push_back(s.services[0]);
  s.services[1].name = "a,b:c=d\\";
  s.services[1].deployed = false;
  const std::vector<std::string> words = {
      "drain:w1", "stop:w1", "install:w1:23.0", "start:w1", "activate:w1", "pause:w1", "promote:w1",
      "demote:w1", "join:w2:manager", "leave:w1", "node-rm:w1", "wait", "sleep:5", "create:a\\,b\\:c\\=d\\\\",
      "scale:svc=7", "update:svc", "rollback:svc", "rm:svc"};
  std::vector<std::string> joined_words;
  for (const auto& w : words) joined_words.push_back(w);
  auto steps = planner::ParseStepWords(s, joined_words, k2010);
  REQUIRE(steps);
  CHECK(planner::StepWords(s, *steps) == words);
  // Shorthands are their steps in turn.
  auto up = planner::ParseStepWords(s, {"upgrade:w1:24.0"}, k2010);
  REQUIRE(up);
  CHECK(planner::StepWords(s, *up) == std::vector<std::string>{"stop:w1", "install:w1:24.0", "start:w1"});
  // rm of a node's name is node-rm.
  CHECK(planner::StepWords(s, *planner::ParseStepWords(s, {"rm:w1"}, k2010)) == std::vector<std::string>{"node-rm:w1"});
  // Every word of the table is in the help's summary.
  const std::string summary = ", " + planner::VerbSummary() + ",";
  for (const auto& v : planner::Verbs()) {
    INFO(v.word);
    const bool listed = v.operand == planner::Operand::kNone ? summary.find(", " + std::string(v.word) + ",") != std::string::npos
                                                             : summary.find(std::string(v.word) + ":") != std::string::npos;
    CHECK(listed);
  }
  CHECK(planner::ParseStepWords(s, {"explode:w1"}, k2010).error().find("unknown action \"explode\"") != std::string::npos);
  CHECK(planner::ParseStepWords(s, {"drain:w1:23.0"}, k2010).error().find("only install and upgrade") != std::string::npos);
  CHECK(planner::ParseStepWords(s, {"scale:svc"}, k2010).error().find("write scale:SERVICE=N") != std::string::npos);
}

TEST_CASE("paper: a cluster without services replays waits and restarts", "[unit][paper]") {
  model::Scenario s = Cluster(3, 1, "20.10", "10.1.0.0/24", 4);
  s.services.clear();
  auto p = planner::ParseOrder(s, {"restart:w1,wait,sleep:5"}, k2010, true);
  REQUIRE(p);
  CHECK(planner::CheckPlan(s, *p));
  const auto h = planner::Hazards(s, *p);
  REQUIRE(h.size() == 1);  // the stop without a drain
  CHECK(h[0].find("without draining") != std::string::npos);
}
