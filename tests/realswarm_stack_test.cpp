// Conformance rows of Compose stacks deployed and redeployed by swarmplan
// apply on the real swarm (tests/realswarm_conformance.hpp says how rows
// are compared).
#include <catch2/catch.hpp>

#include "realswarm_conformance.hpp"

using namespace swarmplan;
using namespace swarmplan::model;
using namespace swarmplan::testing;

TEST_CASE("real swarm: 3 nodes - a Compose stack of two services deployed by swarmplan apply", "[realswarm][rs1]") {
  // swarmplan apply --compose with the docker executor: the plan's create
  // steps are docker stack deploy itself, gated by the prediction. 13 + 10
  // tasks on one /27: 3 reserved + 2 VIPs + 23 + 3 load balancers = 31.
  // Then two redeploys read against the live cluster: the same file again
  // (nothing changes: no step), and web with one more environment variable
  // (a start-first rolling update of its 13 tasks with one free address).
  const auto stack = [](const std::string& web_env) {
    return "services:\n"
           "  web:\n"
           "    image: local/bb:1\n"
           "    command: sleep 100000\n"
           "    stop_grace_period: 2s\n" +
           web_env +
           "    networks: [net]\n"
           "    deploy: {replicas: 13, update_config: {order: start-first, parallelism: 1}}\n"
           "  api:\n"
           "    image: local/bb:1\n"
           "    command: sleep 100000\n"
           "    stop_grace_period: 2s\n"
           "    networks: [net]\n"
           "    deploy: {replicas: 10}\n"
           "networks:\n"
           "  net:\n"
           "    driver: overlay\n"
           "    ipam: {config: [{subnet: 10.10.0.0/27}]}\n";
  };
  const std::string yaml = stack("");
  const std::string file = "rs-stack-" + RsPrefix() + ".yml";
  const std::string file2 = "rs-stack2-" + RsPrefix() + ".yml";
  std::ofstream(file) << yaml;
  std::ofstream(file2) << stack("    environment: [RELEASE=2]\n");
  Row row, row2;
  row.scenario = "3 nodes, a Compose stack (13 + 10 replicas on one /27) applied by swarmplan (docker stack deploy)";
  row2.scenario = "3 nodes, that stack redeployed with a new environment for web: start-first update, 1 free address";
  {
    Harness h(3, 1);
    const std::string host = "unix:///run/" + RsPrefix() + "1/docker.sock";
    const Run a = ApplyStack(file);
    INFO(a.out << a.err);
    CHECK(a.status == 0);
    CHECK(a.err.find("(the stack's deploy): docker stack deploy st") != std::string::npos);
    CHECK(a.err.find("swarmplan apply: done") != std::string::npos);
    SettleReal("st_web st_api");
    row.real = MeasureReal(3, "st_net", {"st_api", "st_web"});
    // The same file against the live cluster: its containers read back
    // equal, so the plan is only the wait.
    const Run same = RunSwarmplan("plan --host " + host + " --compose " + file + " --stack st --trials 20 --json");
    INFO(same.out << same.err);
    CHECK(same.status == 0);
    const auto steps = nlohmann::json::parse(same.out, nullptr, false);
    CHECK((steps.is_object() && steps["plan"]["steps"] == nlohmann::json::array({"wait for convergence"})));
    const Run b = ApplyStack(file2);
    INFO(b.out << b.err);
    CHECK(b.status == 0);
    CHECK(b.err.find("rolling update") != std::string::npos);
    CHECK(b.err.find("swarmplan apply: done") != std::string::npos);
    SettleReal("st_web st_api");
    row2.real = MeasureReal(3, "st_net", {"st_api", "st_web"});
  }
  Scenario cluster = HarnessScenario(1, 2, "10.10.0.0/27", 1);
  cluster.services.clear();
  cluster.networks.clear();
  auto st = compose::Deploy(cluster, yaml, file, "st", [](const std::string&) { return std::nullopt; });
  REQUIRE(st);
  const Scenario& s = st->scenario;
  REQUIRE(s.services.size() == 2);
  REQUIRE(s.networks.size() == 1);
  REQUIRE(s.services[1].name == "st_web");
  Model(row, s, [](Swarm&, Operator& op) {
    REQUIRE(op.CreateService(0));
    REQUIRE(op.CreateService(1));
  }, 1);
  Record(row);
  Model(row2, s, [](Swarm&, Operator& op) {
    REQUIRE(op.CreateService(0));
    REQUIRE(op.CreateService(1));
    op.Sleep(sim::Minute(3));
    REQUIRE(op.UpdateService(1));
  }, 1);
  Record(row2);
}

TEST_CASE("real swarm: 3 nodes - a stack redeployed with a constraint that leaves node3", "[realswarm][rs2]") {
  // A change of the placement alone (docker stack deploy of the same stack
  // with `node.hostname != node3`): swarmkit replaces only the tasks on the
  // node that no longer meets it (IsTaskDirtyPlacementConstraintsOnly); the
  // others keep running untouched, and node3's load-balancer address goes
  // with its last task: 3 reserved + 1 VIP + 12 tasks + 2 = 18.
  const auto stack = [](const std::string& placement) {
    return "services:\n"
           "  web:\n"
           "    image: local/bb:1\n"
           "    command: sleep 100000\n"
           "    stop_grace_period: 2s\n"
           "    networks: [net]\n"
           "    deploy:\n"
           "      replicas: 12\n" +
           placement +
           "networks:\n"
           "  net:\n"
           "    driver: overlay\n"
           "    ipam: {config: [{subnet: 10.10.0.0/27}]}\n";
  };
  const std::string file = "rs-place-" + RsPrefix() + ".yml";
  const std::string file2 = "rs-place2-" + RsPrefix() + ".yml";
  std::ofstream(file) << stack("");
  std::ofstream(file2) << stack("      placement: {constraints: [node.hostname != node3]}\n");
  Row row;
  row.scenario = "3 nodes, /27, a 12-replica stack redeployed with node.hostname != node3 (placement only)";
  int real_on_node3 = -1, real_replaced = -1;
  {
    Harness h(3, 1);
    const Run a = ApplyStack(file);
    INFO(a.out << a.err);
    REQUIRE(a.status == 0);
    SettleReal("st_web");
    const std::string before = Dk(1, "service ps st_web --filter desired-state=running --format '{{.Node}}'");
    real_on_node3 = static_cast<int>(std::count(before.begin(), before.end(), '3'));
    const Run b = ApplyStack(file2);
    INFO(b.out << b.err);
    CHECK(b.status == 0);
    CHECK(b.err.find("swarmplan apply: done") != std::string::npos);
    SettleReal("st_web");
    row.real = MeasureReal(3, "st_net", {"st_web"});
    const std::string after = Dk(1, "service ps st_web --format '{{.Node}} {{.DesiredState}}'");
    real_replaced = 0;
    std::istringstream in(after);
    std::string node, desired;
    while (in >> node >> desired) real_replaced += desired == "Shutdown";
    CHECK(Dk(1, "service ps st_web --filter desired-state=running --format '{{.Node}}'").find("node3") ==
          std::string::npos);
  }
  Scenario cluster = HarnessScenario(1, 2, "10.10.0.0/27", 1);
  cluster.services.clear();
  cluster.networks.clear();
  const compose::Environment none = [](const std::string&) { return std::nullopt; };
  auto first = compose::Deploy(cluster, stack(""), file, "st", none);
  REQUIRE(first);
  Scenario running = first->scenario;
  for (auto& v : running.services) v.deployed = true;
  auto second = compose::Deploy(running, stack("      placement: {constraints: [node.hostname != node3]}\n"), file2,
                                "st", none);
  REQUIRE(second);
  CHECK(second->order == std::vector<std::string>{"update:st_web", "wait"});
  const Scenario& s = second->scenario;
  int model_replaced_min = 1 << 30, model_replaced_max = 0, model_node3_min = 1 << 30, model_node3_max = 0;
  Model(row, s, [&](Swarm& w, Operator& op) {
    int on3 = 0;
    for (const Task& t : w.tasks) on3 += t.state == TaskState::kRunning && t.node == 2;
    model_node3_min = std::min(model_node3_min, on3);
    model_node3_max = std::max(model_node3_max, on3);
    REQUIRE(op.UpdateService(0));
    op.Sleep(sim::Minute(3));
    int replaced = 0;
    for (const Task& t : w.tasks) replaced += t.version == 0 && IsTerminal(t.state);
    model_replaced_min = std::min(model_replaced_min, replaced);
    model_replaced_max = std::max(model_replaced_max, replaced);
    CHECK(replaced == on3);  // only node3's tasks, in every seed
  });
  INFO("real: " << real_on_node3 << " on node3 before, " << real_replaced << " replaced; model: " << model_node3_min
                << "-" << model_node3_max << " on node3, " << model_replaced_min << "-" << model_replaced_max
                << " replaced");
  CHECK(real_replaced == real_on_node3);
  CHECK(real_on_node3 >= model_node3_min);
  CHECK(real_on_node3 <= model_node3_max);
  Record(row);
}
