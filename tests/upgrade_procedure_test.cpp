// The behaviours of the 2018 engine-upgrade procedure (17.06 -> 18.09; docs/swarm-semantics.md sections 1, 6 and 7), checked on the model.
#include <catch2/catch.hpp>

#include <map>

#include "helpers.hpp"
#include "planner/capacity.hpp"
#include "planner/plan.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "planner/trial.hpp"
#include "planner/render.hpp"
#include "planner/shard.hpp"
#include "planner/hazards.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::Cluster;
using swarmplan::testing::Count;

namespace {
const EngineVersion k1809{18, 9};
std::string Repro(const char* extra, std::uint64_t seed) {
  return std::string("reproduce: swarmplan simulate ") + extra + " --seed " + std::to_string(seed);
}
}  // namespace

TEST_CASE("seed arithmetic: /27 - 24 replicas - 5 nodes -> 23 addresses for 24 tasks", "[scenario][seed]") {
  const Scenario s = DefaultScenario();
  const auto b = planner::Budget(s, EngineVersion{17, 6}, k1809);
  REQUIRE(b.size() == 1);
  CHECK(b[0].Sum(true) == "32 - 3 reserved - 1 VIP - 5 node LB = 23 for 24 tasks");
  CHECK(b[0].free_after() == -1);
  CHECK(b[0].free_before() == 4);  // 17.06: no LB addresses on user overlays
  // One node holding no task: 32 - 3 - 1 - 4 = 24, all fit.
  CHECK(b[0].capacity - 3 - b[0].vips - (b[0].lb_after - 1) == 24);
  CHECK(b[0].SuggestedPrefix() == 26);
}

TEST_CASE("seed arithmetic: the same cluster on a /26 is safe", "[scenario][seed]") {
  Scenario s = DefaultScenario();
  s.networks[0].subnet = *Ipv4Cidr::Parse("10.0.0.0/26");
  const auto b = planner::Budget(s, EngineVersion{17, 6}, k1809);
  CHECK(b[0].free_after() == 64 - 3 - 1 - 5 - 24);
  const planner::Plan p = planner::DefaultPlan(s, k1809);
  const auto results = planner::RunTrials(s, p, 1, {0, 40}, 2);
  const auto rep = planner::Aggregate(s, p, 1, results);
  for (const auto& r : results) {
    INFO(Repro("--subnet 10.0.0.0/26", r.seed));
    CHECK(r.metrics.rejected_missing_attachments + r.metrics.rejected_swarm_inactive == 0);
    CHECK(r.converged);
  }
  CHECK(rep.safe);
}

TEST_CASE("seed exhaustion: 19 of 24 run while one node's tasks wait - then are rejected", "[scenario][seed]") {
  const Scenario s = Cluster(3, 2, "18.09", "10.0.0.0/27", 24);
  int saw_19 = 0, settled_24_with_empty_node = 0, not_settled = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    INFO(Repro("data/seed-exhaustion.json", seed));
    Swarm w(s, seed);
    w.Deploy();
    w.engine().RunUntil(sim::Sec(25));
    // Every waiting task sits on the one node that got no LB address.
    std::set<NodeId> waiting_nodes;
    int waiting = 0;
    for (const auto& t : w.tasks) {
      if (t.agent.waiting_attach) {
        waiting_nodes.insert(t.node);
        ++waiting;
        CHECK(t.state == TaskState::kPreparing);
      }
    }
    REQUIRE(waiting_nodes.size() == 1);
    const NodeId starved = *waiting_nodes.begin();
    CHECK(w.nodes[starved].attach[1] == kNoAddr);
    CHECK(Count(w, TaskState::kRunning) == 24 - waiting);
    saw_19 += Count(w, TaskState::kRunning) == 19;
    CHECK(w.networks[1].pool.used() == 32);
    w.engine().RunUntil(sim::Sec(31));
    int rejected = 0;
    for (const auto& t : w.tasks) {
      if (t.state == TaskState::kRejected) {
        CHECK(t.err == kErrMissingAttachments);
        CHECK(t.node == starved);
        ++rejected;
      }
    }
    CHECK(rejected >= 1);
    w.engine().RunUntil(sim::Minute(10));
    int empty_nodes = 0;
    for (const auto& n : w.nodes) empty_nodes += n.tasks.empty();
    if (Count(w, TaskState::kRunning) == 24 && empty_nodes == 1) ++settled_24_with_empty_node;
    if (Count(w, TaskState::kRunning) < 24) ++not_settled;
  }
  CHECK(saw_19 > 0);
  // "This is not guaranteed to occur": across seeds, both outcomes.
  CHECK(settled_24_with_empty_node > 0);
  CHECK(not_settled > 0);
}

namespace {
// Runs `trials` of an order on a roomy network: only version effects remain.
std::vector<planner::TrialResult> RunOrder(const std::vector<std::string>& order, int trials) {
  Scenario s = Cluster(3, 2, "17.06", "10.1.0.0/24", 10);
  planner::Plan p;
  if (order.empty()) {
    p = planner::DefaultPlan(s, k1809);
  } else {
    auto parsed = planner::ParseOrder(s, order, k1809, true);
    REQUIRE(parsed);
    p = *parsed;
  }
  REQUIRE(planner::CheckPlan(s, p));
  return planner::RunTrials(s, p, 99, {0, static_cast<std::uint64_t>(trials)}, 2);
}
std::uint64_t Rejected(const std::vector<planner::TrialResult>& rs) {
  std::uint64_t n = 0;
  for (const auto& r : rs) n += r.metrics.rejected_missing_attachments;
  return n;
}
}  // namespace

TEST_CASE("version order: the seed's order rejects nothing", "[scenario][version]") {
  const auto rs = RunOrder({}, 30);
  for (const auto& r : rs) {
    INFO(Repro("(3 managers + 2 workers, 10 replicas on 10.1.0.0/24)", r.seed));
    CHECK(r.metrics.rejected_missing_attachments == 0);
    CHECK(r.converged);
  }
}

TEST_CASE("version order: activating an upgraded manager under an old leader rejects tasks", "[scenario][version]") {
  // m2 is upgraded and activated while m1 (17.06) still leads; then a drain
  // of w1 sends tasks to m2.
  const auto rs = RunOrder({"drain:m2,upgrade:m2,activate:m2,drain:w1,wait,activate:w1,"
                            "drain:m3,upgrade:m3,activate:m3,drain:m1,upgrade:m1,activate:m1,"
                            "drain:w1,upgrade:w1,activate:w1,drain:w2,upgrade:w2,activate:w2,wait"}, 20);
  CHECK(Rejected(rs) > 0);
  for (const auto& r : rs) CHECK(r.metrics.rejected_missing_attachments > 0);
}

TEST_CASE("version order: upgrading workers before managers rejects tasks", "[scenario][version]") {
  const auto rs = RunOrder({"w1,w2,m2,m3,m1"}, 20);
  CHECK(Rejected(rs) > 0);
}

TEST_CASE("determinism: same seed - same timeline - other seeds differ", "[scenario][determinism]") {
  const Scenario s = DefaultScenario();
  const planner::Plan p = planner::DefaultPlan(s, k1809);
  auto timeline = [&](std::uint64_t seed) {
    Trace t(true);
    const auto r = planner::RunTrial(s, p, seed, {}, &t);
    std::string all;
    for (const auto& e : t.events()) all += std::to_string(e.time) + e.kind + e.text + "\n";
    return std::pair{all, planner::TrialToJson(r).dump()};
  };
  const auto a = timeline(12345), b = timeline(12345);
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
  int differ = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) differ += timeline(seed).first != a.first;
  CHECK(differ == 5);
  // Whole reports do not depend on the thread count.
  const auto one = planner::Aggregate(s, p, 7, planner::RunTrials(s, p, 7, {0, 64}, 1));
  const auto two = planner::Aggregate(s, p, 7, planner::RunTrials(s, p, 7, {0, 64}, 2));
  CHECK(planner::ReportToJson(one) == planner::ReportToJson(two));
}

TEST_CASE("merge of shards equals the unsharded run", "[scenario][shard]") {
  const Scenario s = DefaultScenario();
  const planner::Plan p = planner::DefaultPlan(s, k1809);
  const auto whole = planner::RunTrials(s, p, 5, {0, 50}, 2);
  std::vector<planner::TrialResult> joined;
  for (std::uint64_t i = 0; i < 3; ++i) {
    const auto part = planner::RunTrials(s, p, 5, planner::Shard(50, i, 3), 1);
    for (const auto& r : part) {
      // Through JSON, as `plan --shard` and `merge` do.
      auto back = planner::TrialFromJson(planner::TrialToJson(r));
      REQUIRE(back);
      joined.push_back(*back);
    }
  }
  CHECK(planner::ReportToJson(planner::Aggregate(s, p, 5, whole)) ==
        planner::ReportToJson(planner::Aggregate(s, p, 5, joined)));
}

TEST_CASE("plans that lose quorum or break a node's lifecycle are refused", "[unit][plan]") {
  const Scenario s = Cluster(3, 2, "17.06", "10.1.0.0/24", 10);
  auto check = [&](const char* order) {
    auto p = planner::ParseOrder(s, {order}, k1809, true);
    REQUIRE(p);
    return planner::CheckPlan(s, *p);
  };
  auto r = check("stop:m1,stop:m2,start:m1,start:m2");
  REQUIRE_FALSE(r);
  CHECK(r.error().find("quorum") != std::string::npos);
  CHECK(r.error().find("step 2") != std::string::npos);
  CHECK_FALSE(check("install:m1"));
  CHECK_FALSE(check("stop:m1"));  // left stopped
  CHECK(check("stop:m1,start:m1"));
  // With one or two managers a manager's restart loses quorum whatever the
  // order: one at a time is allowed, with the hazard said; two at once is not.
  const Scenario two = Cluster(2, 1, "17.06", "10.1.0.0/24", 1);
  auto p2 = planner::ParseOrder(two, {"m1"}, k1809, true);
  REQUIRE(p2);
  CHECK(planner::CheckPlan(two, *p2));
  bool said = false;
  for (const auto& h : planner::Hazards(two, *p2)) said = said || h.find("loses quorum") != std::string::npos;
  CHECK(said);
  auto both = planner::ParseOrder(two, {"stop:m1,stop:m2,start:m1,start:m2"}, k1809, true);
  REQUIRE(both);
  CHECK(planner::CheckPlan(two, *both).error().find("add managers") != std::string::npos);
  for (const auto& h : planner::Hazards(s, *planner::ParseOrder(s, {"m1"}, k1809, true))) {
    CHECK(h.find("loses quorum") == std::string::npos);  // 3 managers tolerate one down
  }
  CHECK(planner::ParseOrder(s, {"m9"}, k1809, true).error().find("no node is named \"m9\"") != std::string::npos);
  CHECK_FALSE(planner::ParseOrder(s, {"explode:m1"}, k1809, true));
}

TEST_CASE("restart without a drain: sometimes \"swarm is not active\", with a drain never", "[scenario][seed]") {
  // The seed's "service stop and start without upgrade" on an active node:
  // tasks the worker prepares just after its engine starts, before
  // libnetwork's agent is up, are rejected. A short race (swarm_active_after_ready),
  // and only when the node is back before its heartbeat expires (10-16.5 s
  // after the stop): then its failed tasks' replacements go back to it at
  // once. A node marked down first has its tasks replaced elsewhere and
  // nothing to race: about 1 restart in 250 rejects (4 of seeds 1-1000).
  Scenario s = Cluster(1, 2, "20.10", "10.10.0.0/24", 12);
  s.ingress = *Ipv4Cidr::Parse("10.0.0.0/24");
  const auto bare = planner::ParseOrder(s, {"restart:w1"}, EngineVersion{20, 10}, true);
  const auto drained = planner::ParseOrder(s, {"drain:w1,restart:w1,activate:w1"}, EngineVersion{20, 10}, true);
  REQUIRE(bare);
  REQUIRE(drained);
  int bare_rejecting = 0, drained_rejecting = 0;
  std::string error;
  constexpr int kSeeds = 2000;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const auto r = planner::RunTrial(s, *bare, seed);
    INFO(Repro("--managers 1 --workers 2 --from 20.10 --subnet 10.10.0.0/24 --ingress 10.0.0.0/24 --replicas 12 --order restart:worker1", seed));
    CHECK(r.metrics.rejected_missing_attachments == 0);
    if (r.metrics.rejected_swarm_inactive > 0) ++bare_rejecting;
    CHECK(r.converged);
    const auto d = planner::RunTrial(s, *drained, seed);
    drained_rejecting += d.metrics.rejected_swarm_inactive > 0;
  }
  INFO("rejected \"swarm is not active\" in " << bare_rejecting << "/" << kSeeds << " restarts without a drain");
  CHECK(bare_rejecting > 0);             // the race happens...
  CHECK(bare_rejecting < kSeeds / 50);   // ...but rarely (real 20.10 restarts: 0 of 4)
  CHECK(drained_rejecting == 0);
}
