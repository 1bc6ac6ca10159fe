// Starting from a live state (docs/swarm-semantics.md section 12): a
// simulated cluster's state is written out as `import` would write the live
// one (tasks with their addresses, VIPs, a down node's leftovers, nodes
// without their load-balancer address), and a run from it must go on as the
// cluster it came from: the same tasks waiting, the same rejections, the
// same effect of removing a node.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "model/operator.hpp"
#include "model/swarm.hpp"
#include "planner/plan.hpp"
#include "planner/trial.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using swarmplan::testing::HarnessScenario;
using swarmplan::testing::S;

namespace {

// The state of `w` as `import` writes a live cluster's: what the Engine API
// shows (tasks, their addresses, VIPs, down nodes), nothing of the model's
// insides but what import reads from the task history (lb_missing).
Scenario LiveState(const Swarm& w, const Scenario& base) {
  Scenario s = base;
  s.tasks.clear();
  for (auto& n : s.networks) n.held.clear();
  for (std::size_t i = 0; i < w.nodes.size(); ++i) {
    const Node& n = w.nodes[i];
    NodeSpec& spec = s.nodes[i];
    spec.joined = n.member;
    spec.down = n.member && n.state == NodeState::kDown;
    spec.held.clear();
    spec.lb_missing.clear();
    for (NetworkId k = 1; k < w.networks.size(); ++k) {
      if (n.member && n.net_tasks[k] > 0 && n.attach[k] == kNoAddr) spec.lb_missing.push_back(w.networks[k].name);
    }
  }
  for (std::size_t i = 0; i < w.services.size(); ++i) {
    const Service& sv = w.services[i];
    s.services[i].vips.clear();
    for (std::size_t k = 0; k < sv.nets.size(); ++k) {
      if (sv.nets[k] != 0 && sv.vips[k] != kNoAddr) {
        s.services[i].vips[w.networks[sv.nets[k]].name] = w.networks[sv.nets[k]].pool.subnet().base + sv.vips[k];
      }
    }
  }
  for (const Task& t : w.tasks) {
    if (IsTerminal(t.state)) continue;
    const Service& sv = w.services[t.service];
    std::map<std::string, std::uint32_t> addrs;
    const auto& nets = sv.NetsOf(t.version);
    for (std::size_t k = 0; k < nets.size(); ++k) {
      if (nets[k] != 0 && t.addrs[k] != kNoAddr) addrs[w.networks[nets[k]].name] = w.networks[nets[k]].pool.subnet().base + t.addrs[k];
    }
    if (t.desired > TaskState::kRunning) {
      // On its way out: a down node's leftovers are the node's; others held.
      for (const auto& [net, a] : addrs) {
        if (t.node != kNoId && w.nodes[t.node].state == NodeState::kDown) {
          s.nodes[t.node].held[net].push_back(a);
        } else {
          for (auto& n : s.networks) {
            if (n.name == net) n.held.push_back(a);
          }
        }
      }
      continue;
    }
    TaskSpec ts;
    ts.service = sv.spec.name;
    ts.slot = sv.spec.mode == ServiceMode::kReplicated ? t.slot : 0;
    ts.node = t.node != kNoId ? w.nodes[t.node].name : "";
    ts.state = t.state;
    ts.addresses = addrs;
    s.tasks.push_back(ts);
  }
  REQUIRE(s.Validate());
  return s;
}

struct Counts {
  std::uint32_t running = 0, waiting_new = 0, rejected = 0;
};
Counts Count(const Swarm& w, ServiceId s) {
  Counts c;
  for (const Task& t : w.tasks) {
    if (t.service != s) continue;
    c.running += t.state == TaskState::kRunning;
    c.waiting_new += t.state == TaskState::kNew;
    c.rejected += t.state == TaskState::kRejected;
  }
  return c;
}

// A run from `s`: deployed, settled as a trial settles, then measured.
struct Warm {
  Swarm w;
  Operator op;
  Warm(const Scenario& s, std::uint64_t seed) : w(s, seed), op(w) {
    w.Deploy();
    op.WaitConverged(s.timings.settle);
    w.StartMeasuring();
  }
};

}  // namespace

TEST_CASE("warm start: a full /27 reached by scaling waits in NEW, as it does live", "[unit][allocator][import]") {
  // 20 replicas scaled to 28 on 3 nodes: 25 run, 3 wait in NEW for an
  // address, nothing is rejected. Deployed at once, the same 28 reject
  // tasks (every address goes to a task before the nodes' load balancers).
  const Scenario base = HarnessScenario(1, 2, "10.10.0.0/27", 20);
  int cold_rejecting = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("reproduce: seed " << seed);
    swarmplan::testing::Deployed d(base, seed);
    Swarm& live = d.w;
    Operator& op = d.op;
    REQUIRE(op.ScaleService(0, 28));
    op.Sleep(S(120));
    const Counts before = Count(live, 0);
    REQUIRE(before.running == 25);
    REQUIRE(before.waiting_new == 3);
    Scenario s = LiveState(live, base);
    s.services[0].replicas = 28;
    Warm warm(s, seed + 100);
    warm.op.Sleep(S(300));
    const Counts after = Count(warm.w, 0);
    CHECK(after.running == 25);
    CHECK(after.waiting_new == 3);
    CHECK(after.rejected == 0);
    CHECK(warm.w.metrics.rejected_total() == 0);
    CHECK(warm.w.CheckInvariants() == std::nullopt);

    // The same scenario without its addresses: a redeploy from nothing.
    Scenario cold = s;
    cold.tasks.clear();
    cold.services[0].vips.clear();
    Swarm c(cold, seed + 100);
    Operator cop(c);
    c.Deploy();
    cop.Sleep(S(420));
    cold_rejecting += Count(c, 0).rejected > 0;
  }
  // What the warm start is for: cold, the model tells another story.
  CHECK(cold_rejecting >= 3);
}

TEST_CASE("warm start: a left node's leftovers hold their addresses until the node is removed", "[unit][membership][import]") {
  // 25 replicas on 3 nodes fill the /27; node3 leaves: its tasks are
  // replaced, the replacements wait in NEW (its old tasks and its load
  // balancer keep their addresses). From that state, removing node3 frees
  // them and every replica runs.
  const Scenario base = HarnessScenario(1, 2, "10.10.0.0/27", 25);
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("reproduce: seed " << seed);
    swarmplan::testing::Deployed d(base, seed);
    Swarm& live = d.w;
    Operator& op = d.op;
    const std::uint32_t on3 = static_cast<std::uint32_t>(live.nodes[2].net_tasks[1]);
    REQUIRE(on3 > 0);
    REQUIRE(op.Leave(2));
    op.Sleep(S(90));
    REQUIRE(live.nodes[2].state == NodeState::kDown);
    const Counts before = Count(live, 0);
    REQUIRE(before.waiting_new == on3);
    Scenario s = LiveState(live, base);
    REQUIRE(s.nodes[2].held.at("exnet").size() == on3);

    Warm stay(s, seed + 100);
    stay.op.Sleep(S(300));
    CHECK(Count(stay.w, 0).waiting_new == on3);
    CHECK(Count(stay.w, 0).running == 25 - on3);
    CHECK(stay.w.CheckInvariants() == std::nullopt);

    Warm rm(s, seed + 100);
    REQUIRE(rm.op.RemoveNode(2));
    CHECK(rm.op.WaitConverged());
    CHECK(Count(rm.w, 0).running == 25);
    CHECK(rm.w.metrics.rejected_total() == 0);
    CHECK(rm.w.networks[1].pool.free() == 1);  // 3 + VIP + 25 + 2 LB = 31 of 32
    CHECK(rm.w.CheckInvariants() == std::nullopt);
  }
}

TEST_CASE("warm start: a global task on a node without its load-balancer address is rejected again and again",
          "[unit][allocator][import]") {
  // 3 managers + 1 worker, /27, global g and 18 replicas: one address
  // left; w2 joins, g's task there takes it and w2's load balancer none.
  const Scenario base = swarmplan::testing::GlobalFullWithSpare();
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("reproduce: seed " << seed);
    swarmplan::testing::Deployed d(base, seed);
    Swarm& live = d.w;
    Operator& op = d.op;
    REQUIRE(op.Join(4, Role::kWorker));
    op.Sleep(S(60));
    REQUIRE(Count(live, 1).rejected >= 3);
    Scenario s = LiveState(live, base);
    REQUIRE(s.nodes[4].lb_missing == std::vector<std::string>{"net"});

    Warm warm(s, seed + 100);
    warm.op.Sleep(S(120));
    // About one rejection every 5 s, nothing else moves.
    CHECK(warm.w.metrics.rejected_total() >= 15);
    CHECK(Count(warm.w, 0).running == 18);
    CHECK(Count(warm.w, 0).rejected == 0);
    CHECK(warm.w.nodes[4].attach[1] == kNoAddr);
    CHECK(warm.w.CheckInvariants() == std::nullopt);
  }
}
