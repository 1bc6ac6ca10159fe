// Nodes joining and leaving the swarm: join:NODE, leave:NODE, node-rm:NODE.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "model/operator.hpp"
#include "model/scenario_json.hpp"
#include "planner/capacity.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Cluster;
using swarmplan::testing::Count;
using swarmplan::testing::PerNode;
using swarmplan::testing::S;

namespace {

// 1 manager + 2 workers on 20.10, `replicas` on a /27; worker w3 defined
// but not in the swarm.
Scenario WithSpare(unsigned replicas) {
  Scenario s = Cluster(1, 2, "20.10", "10.1.0.0/27", replicas);
  NodeSpec spare;
  spare.name = "w3";
  spare.engine = *EngineVersion::Parse("20.10");
  spare.joined = false;
  s.nodes.push_back(spare);
  return s;
}

int RunningOn(const Swarm& w, NodeId n) {
  int c = 0;
  for (const Task& t : w.tasks) c += t.state == TaskState::kRunning && t.node == n;
  return c;
}

}  // namespace

TEST_CASE("membership: a node not in the swarm holds nothing and counts for nothing", "[unit][membership]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("reproduce: seed " << seed);
    Swarm w(WithSpare(12), seed);
    Operator op(w);
    w.Deploy();
    REQUIRE(op.WaitConverged());
    CHECK(RunningOn(w, 3) == 0);
    CHECK(w.nodes[3].attach[0] == kNoAddr);  // not even ingress
    CHECK(w.networks[1].pool.used() == 3 + 1 + 12 + 3);
    CHECK(w.managers() == 1);
  }
}

TEST_CASE("membership: join, then drain another: the new node takes the tasks", "[unit][membership]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("reproduce: seed " << seed);
    Swarm w(WithSpare(12), seed);
    Operator op(w);
    w.Deploy();
    REQUIRE(op.WaitConverged());
    REQUIRE(op.Join(3, Role::kWorker));
    CHECK_FALSE(w.ChangeNetwork(0, 1, true));  // (unrelated: already on it)
    op.Sleep(sim::Sec(10));
    CHECK(w.nodes[3].state == NodeState::kReady);
    CHECK(w.nodes[3].attach[0] != kNoAddr);  // its ingress address
    CHECK(RunningOn(w, 3) == 0);             // swarm does not rebalance
    REQUIRE(op.Drain(1));
    REQUIRE(op.WaitConverged());
    CHECK(RunningOn(w, 1) == 0);
    CHECK(RunningOn(w, 3) > 0);
    CHECK(w.networks[1].pool.used() == 3 + 1 + 12 + 3);  // w1's LB freed, w3's taken
    CHECK(w.metrics.rejected_total() == 0);
    CHECK_FALSE(w.JoinNode(3, Role::kWorker));  // already in
  }
}

TEST_CASE("membership: a node that left keeps its addresses until it is removed", "[unit][membership]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    INFO("reproduce: seed " << seed);
    // 20 replicas on a /27: 29 - VIP - 3 LB = 25 room. After w2 leaves, its
    // tasks are replaced on m1 and w1 while their old copies still hold
    // their addresses (the node is down, not gone).
    Swarm w(Cluster(1, 2, "20.10", "10.1.0.0/27", 20), seed);
    Operator op(w);
    w.Deploy();
    REQUIRE(op.WaitConverged());
    const int on_w2 = RunningOn(w, 2);
    REQUIRE(on_w2 > 0);
    CHECK_FALSE(w.LeaveNode(0));  // a manager must be demoted first
    REQUIRE(op.Leave(2));
    CHECK_FALSE(w.RemoveNode(2));  // not down yet: docker refuses
    op.Sleep(sim::Minute(2));
    CHECK(w.nodes[2].state == NodeState::kDown);
    const std::uint64_t held = w.networks[1].pool.used();
    CHECK(held > 3 + 1 + 20 + 2);  // the left node's tasks and LB still count
    REQUIRE(op.RemoveNode(2));
    op.Sleep(sim::Minute(1));
    CHECK_FALSE(w.nodes[2].member);
    CHECK(w.networks[1].pool.used() <= 3 + 1 + 20 + 2);
    CHECK(w.networks[1].pool.used() < held);
    CHECK(w.nodes[2].attach[0] == kNoAddr);
  }
}

TEST_CASE("membership: plan words, checks, budget, scenario key and a trial", "[unit][membership]") {
  Scenario s = WithSpare(12);
  const auto to = *EngineVersion::Parse("20.10");
  const std::vector<std::string> words{"join:w3:worker", "wait", "drain:w1", "wait", "leave:w1", "node-rm:w1"};
  auto p = planner::ParseOrder(s, words, to, true);
  REQUIRE(p);
  CHECK(p->steps[0].action == planner::Action::kJoin);
  CHECK(p->steps[0].Describe(s) == "w3 joins as worker");
  REQUIRE(planner::CheckPlan(s, *p));
  CHECK(planner::PlanWords(s, *p) == words);
  // rm:NODE when no service has the name.
  auto rm = planner::ParseOrder(s, {"leave:w2", "rm:w2"}, to, true);
  REQUIRE(rm);
  CHECK(rm->steps[1].action == planner::Action::kNodeRm);
  const auto err = [&](std::vector<std::string> w) {
    auto q = planner::ParseOrder(s, w, to, true);
    if (!q) return q.error();
    auto c = planner::CheckPlan(s, *q);
    return c ? std::string() : c.error();
  };
  CHECK(err({"drain:w3"}).find("w3 is not in the swarm at that point (join:w3 first)") != std::string::npos);
  CHECK(err({"join:w1"}).find("already in the swarm") != std::string::npos);
  CHECK(err({"leave:m1"}).find("demote:m1 first") != std::string::npos);
  CHECK(err({"node-rm:w1"}).find("not down") != std::string::npos);
  CHECK(err({"leave:w1", "start:w1"}).find("node-rm:w1") != std::string::npos);
  CHECK(err({"join:w3:boss"}).find("manager or worker") != std::string::npos);
  CHECK(err({"join:w3:manager", "wait"}).empty());
  // The seed procedure leaves a node out of the swarm alone.
  const planner::Plan d = planner::DefaultPlan(s, *EngineVersion::Parse("23.0"));
  for (const auto& st : d.steps) CHECK(st.node != 3);

  const auto r = planner::RunTrial(s, *p, 1, {});
  CHECK_FALSE(r.plan_failed);
  CHECK(r.converged);
  CHECK(r.metrics.rejected_total() == 0);

  // Scenario files: "joined": false round-trips; a node out of the swarm
  // cannot also be "down", nor lead.
  const auto j = ScenarioToJson(s);
  CHECK(j["nodes"][3]["joined"] == false);
  auto back = ScenarioFromJson(j.dump(), "t");
  REQUIRE(back);
  CHECK_FALSE(back->nodes[3].joined);
  auto bad = j;
  bad["nodes"][3]["state"] = "down";
  CHECK(ScenarioFromJson(bad.dump(), "t").error().find("joined") != std::string::npos);
  bad = j;
  bad["leader"] = "w3";
  bad["nodes"][3]["role"] = "manager";
  CHECK(ScenarioFromJson(bad.dump(), "t").error().find("not in the swarm yet") != std::string::npos);
}

// Quorum and roles (model/membership: promote, demote, elections).
TEST_CASE("quorum: two of three managers down leaves no leader", "[unit][quorum]") {
  Swarm w(Cluster(3, 1, "18.09", "10.1.0.0/24", 2), 6);
  w.Deploy();
  w.engine().RunUntil(S(10));
  w.StopEngine(1);
  w.engine().RunUntil(S(20));
  CHECK(w.HasLeader());
  w.StopEngine(0);  // the leader
  w.engine().RunUntil(S(40));
  CHECK_FALSE(w.HasLeader());
  auto r = w.SetAvailability(3, Availability::kDrain);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("no leader") != std::string::npos);
  w.StartEngine(1);
  w.engine().RunUntil(S(60));
  CHECK(w.HasLeader());
  CHECK(w.leader() != 0);  // m1 is still down
}

TEST_CASE("promote and demote: Raft membership, leader, role constraints", "[unit][control]") {
  auto sc = Cluster(3, 2, "20.10", "10.1.0.0/24", 0);
  sc.services[0].mode = ServiceMode::kGlobal;
  sc.services[0].constraints = {*Constraint::Parse("node.role==worker")};
  Swarm w(sc, 3);
  w.Deploy();
  w.engine().RunUntil(S(20));
  CHECK(w.services[0].running == 2);  // one per worker
  CHECK(w.managers() == 3);
  const NodeId leader = w.leader();
  // Demoting the leader: it steps down and another manager is elected.
  REQUIRE(w.SetRole(leader, Role::kWorker));
  CHECK(w.managers() == 2);
  w.engine().RunUntil(S(40));
  REQUIRE(w.HasLeader());
  CHECK(w.leader() != leader);
  CHECK(w.nodes[w.leader()].role == Role::kManager);
  // ... and, now a worker, it gets the global task.
  CHECK(w.services[0].running == 3);
  // Promoting worker 4: its global task goes (the constraint no longer holds).
  REQUIRE(w.SetRole(4, Role::kManager));
  w.engine().RunUntil(S(60));
  CHECK(w.managers() == 3);
  CHECK(w.services[0].running == 2);
  CHECK(Count(w, TaskState::kRunning, 4) == 0);
}

TEST_CASE("promote and demote in plans: quorum and the last manager", "[unit][plan]") {
  const auto to = *EngineVersion::Parse("20.10");
  auto one = Cluster(1, 2, "20.10", "10.1.0.0/24", 3);
  auto last = planner::ParseOrder(one, {"demote:m1"}, to, true);
  REQUIRE(last);
  auto refused = planner::CheckPlan(one, *last);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("last manager") != std::string::npos);
  auto swap = planner::ParseOrder(one, {"promote:w1", "demote:m1", "wait"}, to, true);
  REQUIRE(swap);
  CHECK(planner::CheckPlan(one, *swap));
  CHECK(planner::PlanWords(one, *swap) == std::vector<std::string>{"promote:w1", "demote:m1", "wait"});
  const auto r = planner::RunTrial(one, *swap, 2, {});
  CHECK_FALSE(r.plan_failed);
  CHECK(r.converged);
  auto twice = planner::ParseOrder(one, {"promote:m1"}, to, true);
  REQUIRE(twice);
  CHECK_FALSE(planner::CheckPlan(one, *twice));
  // Three managers, one stopped: demoting a running one leaves 1 of 2 up.
  auto three = Cluster(3, 0, "20.10", "10.1.0.0/24", 3);
  auto q = planner::ParseOrder(three, {"stop:m2", "demote:m3", "start:m2"}, to, true);
  REQUIRE(q);
  auto lost = planner::CheckPlan(three, *q);
  REQUIRE_FALSE(lost);
  CHECK(lost.error().find("quorum") != std::string::npos);
}
