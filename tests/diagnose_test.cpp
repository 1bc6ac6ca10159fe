// `swarmplan diagnose` on answers recorded from the harness swarm
// (tests/data/engine-api/diagnose-*, by tests/realswarm/capture.sh), each a
// trouble the real swarm was in: 24 replicas with 3 waiting in NEW on a
// full /27 (diagnose-full); a global service's task rejected again and
// again on node3, which has no load-balancer address (diagnose-global,
// about 700 rejections an hour on the real swarm); node3 left while a task
// of the global service held an address there (diagnose-left).
#include <catch2/catch.hpp>

#include "docker/trouble.hpp"
#include "docker_fakes.hpp"
#include "helpers.hpp"
#include "planner/diagnose.hpp"
#include "run_swarmplan.hpp"

using namespace swarmplan;
using namespace swarmplan::docker;
using namespace swarmplan::testing;
using nlohmann::json;

namespace {

const NetworkTrouble& Exnet(const Trouble& t) {
  for (const auto& n : t.networks) {
    if (n.name == "exnet") return n;
  }
  FAIL("no exnet");
  throw;
}

planner::Diagnosis Simulated(const ApiState& st, const Trouble& t, std::uint64_t trials) {
  auto imp = ImportScenario(st);
  REQUIRE(imp);
  std::vector<std::string> tight;
  for (const auto& n : t.networks) {
    if (n.troubled()) tight.push_back(n.name);
  }
  planner::DiagnoseOptions opt;
  opt.trials = trials;
  opt.fix_trials = 20;
  opt.threads = 2;
  opt.trouble = !t.healthy();
  return planner::Diagnose(imp->scenario, tight, opt);
}

const planner::LiveFix* FixOf(const planner::Diagnosis& d, const std::string& kind) {
  for (const auto& f : d.fixes) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("diagnose reads a full /27 with tasks waiting in NEW", "[live][diagnose]") {
  const ApiState st = Recorded("diagnose-full");
  auto t = ReadTrouble(st);
  REQUIRE(t);
  const NetworkTrouble& n = Exnet(*t);
  // What `docker service ps` showed: ex 21 of 24 running, 3 in NEW; g on
  // all 3 nodes; every node with a load-balancer address.
  CHECK(n.capacity == 32);
  CHECK(n.vips.size() == 2);
  CHECK(n.task_addresses.at("ex") == 21);
  CHECK(n.task_addresses.at("g") == 3);
  CHECK(n.lb_nodes == std::vector<std::string>{"node1", "node2", "node3"});
  CHECK(n.in_use() == 32);
  REQUIRE(n.waiting.size() == 1);
  CHECK(n.waiting[0].service == "ex");
  CHECK(n.waiting[0].tasks == 3);
  CHECK(n.waiting[0].first <= t->now);
  // g's rejections of a few minutes before are over: g runs everywhere.
  CHECK(n.rejected.empty());
  CHECK(n.lb_missing.empty());
  CHECK(n.troubled());
  CHECK_FALSE(t->healthy());

  const auto d = Simulated(st, *t, 60);
  CHECK(d.next.verdict() == "waits for good");
  const planner::LiveFix* scale = FixOf(d, "scale");
  REQUIRE(scale != nullptr);
  CHECK(scale->proven);
  CHECK(scale->commands == std::vector<std::string>{"docker service scale ex=21"});
  CHECK(d.fixes.front().proven);
}

TEST_CASE("diagnose reads a global service rejected again and again on a node without its load-balancer address",
          "[live][diagnose]") {
  const ApiState st = Recorded("diagnose-global");
  auto t = ReadTrouble(st);
  REQUIRE(t);
  const NetworkTrouble& n = Exnet(*t);
  CHECK(n.lb_missing == std::vector<std::string>{"node3"});
  CHECK(n.lb_nodes == std::vector<std::string>{"node1", "node2"});
  REQUIRE(n.rejected.size() == 1);
  CHECK(n.rejected[0].service == "g");
  CHECK(n.rejected[0].node == "node3");
  CHECK(n.rejected[0].tasks == 4);
  // The real swarm: one about every 5 s.
  REQUIRE(n.rejected[0].per_hour);
  CHECK(*n.rejected[0].per_hour > 500);
  CHECK(*n.rejected[0].per_hour < 900);
  CHECK(n.in_use() == 32);

  const auto d = Simulated(st, *t, 60);
  CHECK(d.next.verdict() == "rejects again and again");
  CHECK(d.next.rejections_per_hour > 470);
  CHECK(d.next.rejections_per_hour < 940);
  const planner::LiveFix* pause = FixOf(d, "pause");
  REQUIRE(pause != nullptr);
  CHECK(pause->proven);
  CHECK(pause->commands == std::vector<std::string>{"docker node update --availability pause node3"});
  const planner::LiveFix* drain = FixOf(d, "drain");
  const planner::LiveFix* scale = FixOf(d, "scale");
  REQUIRE(drain != nullptr);
  REQUIRE(scale != nullptr);
  CHECK(drain->proven);
  CHECK(drain->commands == std::vector<std::string>{"docker node update --availability drain node3"});
  CHECK(scale->proven);
  CHECK(scale->commands == std::vector<std::string>{"docker service scale ex=21"});
}

TEST_CASE("diagnose reads a left node whose old task still holds its address", "[live][diagnose]") {
  const ApiState st = Recorded("diagnose-left");
  auto t = ReadTrouble(st);
  REQUIRE(t);
  const NetworkTrouble& n = Exnet(*t);
  REQUIRE(n.leftovers.size() == 1);
  CHECK(n.leftovers[0].node == "node3");
  CHECK(n.leftovers[0].state == "down");
  CHECK(n.leftovers[0].addresses == 1);
  CHECK(t->down_nodes == std::vector<std::string>{"node3"});
  CHECK(n.troubled());

  auto imp = ImportScenario(st);
  REQUIRE(imp);
  const auto& node3 = imp->scenario.nodes[*imp->scenario.FindNode("node3")];
  CHECK(node3.down);
  REQUIRE(node3.held.contains("exnet"));
  CHECK(node3.held.at("exnet").size() == 1);

  const auto d = Simulated(st, *t, 40);
  CHECK(d.next.verdict() == "converges");
  REQUIRE(!d.fixes.empty());
  CHECK(d.fixes.front().kind == "node-rm");
  CHECK(d.fixes.front().proven);
  CHECK(d.fixes.front().commands == std::vector<std::string>{"docker node rm node3"});
  CHECK(FixOf(d, "scale") == nullptr);  // nothing waits: only the leftovers are trouble
}

TEST_CASE("swarmplan diagnose: exit 2 on trouble, what happens next, the fixes to type, and the same as JSON", "[live][diagnose][cli]") {
  FakeDaemon d(RecordedRoutes(kVersion, "diagnose-global"));
  const Run text = Swarmplan("diagnose --host " + d.host() + " --trials 40 --fix-trials 10");
  INFO(text.out << text.err);
  CHECK(text.status == 2);
  CHECK(text.out.find("seed 1") != std::string::npos);
  CHECK(text.out.find("TROUBLE exnet 10.10.0.0/27") != std::string::npos);
  CHECK(text.out.find("node3 has no load-balancer address on exnet") != std::string::npos);
  CHECK(text.out.find("rejects again and again, about ") != std::string::npos);
  CHECK(text.out.find("$ docker service scale ex=21") != std::string::npos);

  const Run j = Swarmplan("diagnose --host " + d.host() + " --json --trials 40 --fix-trials 10");
  CHECK(j.status == 2);
  const json doc = json::parse(j.out);
  CHECK_FALSE(doc["healthy"].get<bool>());
  CHECK(doc["next"]["verdict"] == "rejects again and again");
  CHECK(doc["seed"] == 1);
  CHECK(doc["fixes"].size() >= 2);
}

TEST_CASE("swarmplan diagnose: exit 0 on a healthy swarm", "[live][diagnose][cli]") {
  // The answers of import_test: a healthy 3-node swarm.
  FakeDaemon d(RecordedRoutes(kVersion));
  const Run r = Swarmplan("diagnose --host " + d.host() + " --trials 20");
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("healthy: nothing waits, nothing is being rejected") != std::string::npos);
}

TEST_CASE("swarmplan diagnose: bad input is one error, exit 1", "[live][diagnose][cli]") {
  ExpectError("diagnose --host tcp://host:0", "port");
  ExpectError("diagnose --trials 0 --host unix:///nonexistent.sock", "--trials");
  ExpectError("diagnose --seed x --host unix:///nonexistent.sock", "--seed");
  ExpectError("diagnose --host unix:///nonexistent.sock", "nonexistent.sock");
}
