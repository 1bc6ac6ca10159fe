// docker/import and docker/api_state: a live swarm (recorded answers of a real one) as a scenario; odd answers refused.
#include <catch2/catch.hpp>

#include "docker_fakes.hpp"

using namespace swarmplan;
using namespace swarmplan::executor;
using namespace swarmplan::docker;
using namespace swarmplan::testing;
using nlohmann::json;

TEST_CASE("a recorded 3-node swarm imports as a scenario plan accepts", "[live][import]") {
  auto imp = ImportScenario(Recorded());
  REQUIRE(imp);
  const model::Scenario& s = imp->scenario;
  REQUIRE(s.Validate());
  REQUIRE(s.nodes.size() == 3);
  CHECK(s.nodes[0].name == "node1");  // managers first
  CHECK(s.nodes[0].role == model::Role::kManager);
  CHECK(s.leader == "node1");
  for (const auto& n : s.nodes) CHECK(n.engine == model::EngineVersion{20, 10});
  CHECK(s.nodes[2].labels.at("zone") == "a");
  REQUIRE(s.ingress);
  CHECK(s.ingress->ToString() == "10.0.0.0/24");
  REQUIRE(s.networks.size() == 2);
  std::map<std::string, const model::ServiceSpec*> svc;
  for (const auto& v : s.services) svc[v.name] = &v;
  REQUIRE(svc.size() == 3);
  CHECK(svc["ex"]->replicas == 6);
  CHECK(svc["ex"]->stop_grace_period == sim::Sec(1));
  CHECK(svc["web"]->mode == model::ServiceMode::kGlobal);
  CHECK(svc["web"]->publish_ingress);
  REQUIRE(svc["web"]->constraints.size() == 1);
  CHECK(svc["web"]->constraints[0].text == "node.role==worker");
  CHECK(svc["dns"]->endpoint_mode == model::EndpointMode::kDnsrr);
  CHECK(svc["dns"]->networks.size() == 2);
  CHECK(svc["dns"]->reserve_memory_bytes == 64LL * 1024 * 1024);
  CHECK(svc["dns"]->restart_condition == model::RestartCondition::kOnFailure);
  // What the containers run, as a Compose redeploy compares it.
  REQUIRE(svc["web"]->container);
  CHECK(*svc["web"]->container == model::ContainerSpec{.image = "local/bb:1", .args = {"httpd", "-f", "-p", "80"}});
  // Live tasks: 6 ex + 2 dns + 2 web, each with its node and address.
  std::map<std::string, int> per_service;
  for (const auto& t : s.tasks) {
    ++per_service[t.service];
    CHECK(t.state == model::TaskState::kRunning);
    CHECK_FALSE(t.node.empty());
    CHECK_FALSE(t.addresses.empty());
  }
  CHECK(per_service == std::map<std::string, int>{{"dns", 2}, {"ex", 6}, {"web", 2}});

  // The JSON round trip is exact, so `swarmplan import -o f; swarmplan plan f` plans this.
  auto back = model::ScenarioFromJson(model::ScenarioToJson(s).dump(), "round trip");
  REQUIRE(back);
  CHECK(model::ScenarioToJson(*back) == model::ScenarioToJson(s));
}

TEST_CASE("the simulated cluster starts from the imported placement", "[live][import]") {
  auto imp = ImportScenario(Recorded());
  REQUIRE(imp);
  model::Scenario s = imp->scenario;
  std::map<std::string, int> real;  // node -> ex tasks
  for (const auto& t : s.tasks) {
    if (t.service == "ex") ++real[t.node];
  }
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    model::Swarm w(s, seed);
    model::Operator op(w);
    w.Deploy();
    REQUIRE(op.WaitConverged(s.timings.settle));
    std::map<std::string, int> sim;
    for (const auto& t : w.tasks) {
      if (t.state == model::TaskState::kRunning && w.services[t.service].spec.name == "ex") ++sim[w.NodeName(t.node)];
    }
    INFO("seed " << seed);
    CHECK(sim == real);
  }
  // Without the tasks the scheduler spreads evenly instead (2 per node),
  // which is not what the recorded cluster had.
  CHECK(real != std::map<std::string, int>{{"node1", 2}, {"node2", 2}, {"node3", 2}});
}

TEST_CASE("odd API answers are errors naming the object, not crashes", "[live][import]") {
  ApiState st = Recorded();
  SECTION("a node on an unknown engine") {
    st.nodes[0]["Description"]["Engine"]["EngineVersion"] = "banana";
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    CHECK(imp.error().find("banana") != std::string::npos);
  }
  SECTION("a field of the wrong type") {
    st.services[0]["Spec"]["Name"] = 42;
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    CHECK(imp.error().find("unexpected answer from the Engine API") != std::string::npos);
  }
  SECTION("not a list") {
    st.tasks = json::object();
    REQUIRE_FALSE(ImportScenario(st));
    REQUIRE(CountUsage(st));  // usage reads tasks as a list of none
  }
  SECTION("an overlay with two subnets") {
    for (auto& n : st.networks) {
      if (n["Name"] == "exnet") n["IPAM"]["Config"].push_back({{"Subnet", "10.99.0.0/24"}});
    }
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    CHECK(imp.error().find("exnet") != std::string::npos);
  }
  SECTION("a service on a network that is not an overlay keeps its overlays, with a note") {
    st.services[0]["Spec"]["TaskTemplate"]["Networks"].push_back({{"Target", "host"}});
    auto imp = ImportScenario(st);
    REQUIRE(imp);
    bool noted = false;
    for (const auto& n : imp->notes) noted = noted || n.find("not a swarm overlay network") != std::string::npos;
    CHECK(noted);
  }
  SECTION("a node that is down is kept, marked down, and left out of the default plan") {
    for (auto& n : st.nodes) {
      if (n["Description"]["Hostname"] == "node3") n["Status"]["State"] = "down";
    }
    auto imp = ImportScenario(st);
    REQUIRE(imp);
    CHECK(imp->scenario.nodes[2].down);
    CHECK_FALSE(imp->notes.empty());
    const auto plan = planner::DefaultPlan(imp->scenario, model::EngineVersion{20, 10});
    for (const auto& step : plan.steps) CHECK(step.node != 2);
    CHECK(planner::CheckPlan(imp->scenario, plan));
    const auto trial = planner::RunTrial(imp->scenario, plan, 7, {});
    CHECK_FALSE(trial.plan_failed);
    CHECK(trial.converged);
    auto forced = planner::ParseOrder(imp->scenario, {"node3"}, model::EngineVersion{20, 10}, true);
    REQUIRE(forced);
    const auto refused = planner::CheckPlan(imp->scenario, *forced);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().find("the node is down") != std::string::npos);
  }
}

TEST_CASE("scenario tasks, held addresses and node state are checked", "[live][scenario]") {
  auto imp = ImportScenario(Recorded());
  REQUIRE(imp);
  const json base = model::ScenarioToJson(imp->scenario);
  auto err = [&](auto edit) {
    json j = base;
    edit(j);
    auto s = model::ScenarioFromJson(j.dump(), "t.json");
    return s ? std::string() : s.error();
  };
  CHECK(err([](json& j) { j["tasks"][0]["service"] = "nope"; }).find("/tasks/0/service") != std::string::npos);
  CHECK(err([](json& j) { j["tasks"][0]["state"] = "shutdown"; }).find("not a live task state") != std::string::npos);
  CHECK(err([](json& j) { j["tasks"][0]["node"] = "node9"; }).find("/tasks/0/node") != std::string::npos);
  CHECK(err([](json& j) { j["networks"][0]["held"] = {"10.99.0.5"}; }).find("outside") != std::string::npos);
  CHECK(err([](json& j) { j["networks"][0]["held"] = {j["networks"][0]["subnet"].get<std::string>().substr(0, 6) + "0.1"}; })
            .find("/networks/0/held/0") != std::string::npos);
  CHECK(err([](json& j) { j["nodes"][0]["state"] = "down"; }).find("managers are down") != std::string::npos);
  CHECK(err([](json& j) { j["nodes"][1]["state"] = "sleepy"; }).find("/nodes/1/state") != std::string::npos);
}

TEST_CASE("import reads update configs, a previous spec and recent failures", "[live][import][updater]") {
  ApiState st = Recorded();
  auto base = ImportScenario(st);  // the recorded history has failures of its own
  REQUIRE(base);
  // Two tasks of the first task's service failed on its node 30 s before
  // the daemon's clock, one 10 minutes before (outside the 5-minute window).
  json failed = st.tasks[0];
  failed["Status"] = {{"State", "rejected"}, {"Timestamp", "2026-11-27T22:23:50.5Z"}};
  st.tasks.push_back(failed);
  failed["Status"]["State"] = "failed";
  st.tasks.push_back(failed);
  failed["Status"]["Timestamp"] = "2026-11-27T22:14:20Z";
  st.tasks.push_back(failed);
  std::string name;
  for (json& v : st.services) {
    if (v["ID"] != st.tasks[0]["ServiceID"]) continue;
    name = v["Spec"]["Name"].get<std::string>();
    v["Spec"]["UpdateConfig"] = {{"Parallelism", 2}, {"Delay", 3'000'000'000LL}, {"Order", "start-first"},
                                 {"FailureAction", "rollback"}, {"MaxFailureRatio", 0.5}};
    v["PreviousSpec"] = v["Spec"];
  }
  REQUIRE_FALSE(name.empty());
  auto imp = ImportScenario(st);
  REQUIRE(imp);
  const model::Scenario& s = imp->scenario;
  REQUIRE(s.Validate());
  std::uint32_t before_count = 0, after_count = 0, total_before = 0, total_after = 0;
  for (const auto& v : base->scenario.services) {
    for (const auto& [n, c] : v.recent_failures) total_before += c;
  }
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    const auto& v = s.services[i];
    for (const auto& [n, c] : v.recent_failures) total_after += c;
    if (v.name != name) {
      CHECK(v.update == base->scenario.services[i].update);
      CHECK_FALSE(v.previous_spec);
      continue;
    }
    for (const auto& [n, c] : base->scenario.services[i].recent_failures) before_count += c;
    for (const auto& [n, c] : v.recent_failures) after_count += c;
    CHECK(v.update.parallelism == 2);
    CHECK(v.update.delay == sim::Sec(3));
    CHECK(v.update.order == model::UpdateOrder::kStartFirst);
    CHECK(v.update.failure_action == model::FailureAction::kRollback);
    CHECK(v.update.max_failure_ratio == Approx(0.5));
    CHECK(v.update.monitor == sim::Sec(5));  // left out: swarmkit's default
    CHECK(v.previous_spec);
  }
  CHECK(after_count == before_count + 2);
  CHECK(total_after == total_before + 2);
  // The model starts with those failures (they expire with the window).
  model::Swarm w(s, 1);
  std::uint32_t counted = 0;
  for (const auto& v : w.services) {
    for (const auto& [n, times] : v.failures) counted += static_cast<std::uint32_t>(times.size());
  }
  CHECK(counted == total_after);
}

TEST_CASE("API answers: a wrong type names the object and the member, odd values are refused, never dropped",
          "[live][import][safety]") {
  auto expect = [](ApiState st, const std::string& a, const std::string& b) {
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    INFO(imp.error());
    CHECK(imp.error().find("[json.exception") == std::string::npos);
    CHECK(imp.error().find(a) != std::string::npos);
    CHECK(imp.error().find(b) != std::string::npos);
  };
  const std::string svc_id = Recorded().services[0]["ID"].get<std::string>();
  const std::string task_id = Recorded().tasks[0]["ID"].get<std::string>();
  const std::string node_id = Recorded().nodes[0]["ID"].get<std::string>();
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["Name"] = 42;
    expect(st, "service " + svc_id, "member \"Name\" is a number, not a string");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["Mode"] = {{"Replicated", {{"Replicas", "3"}}}};
    expect(st, "service " + svc_id + " (web)", "member \"Replicas\" is a string, not a whole number");
  }
  {
    ApiState st = Recorded();
    st.nodes[0]["Description"]["Resources"]["NanoCPUs"] = -4000000000;
    expect(st, "node " + node_id, "\"NanoCPUs\" is -4000000000, outside 0");
  }
  {
    ApiState st = Recorded();
    st.nodes[0]["ManagerStatus"]["Leader"] = "yes";
    expect(st, "node " + node_id, "member \"Leader\" is a string, not a boolean");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["Mode"] = {{"Replicated", {{"Replicas", 4294967297ULL}}}};
    expect(st, "service " + svc_id, "\"Replicas\" is 4294967297, outside 0 to 4294967295");
  }
  {
    // Within 2^32 but beyond what a scenario holds: import refuses what plan would.
    ApiState st = Recorded();
    bool set = false;
    for (auto& v : st.services) {
      if (!set && v["Spec"]["Mode"].contains("Replicated")) {
        v["Spec"]["Mode"]["Replicated"]["Replicas"] = 2000000;
        set = true;
      }
    }
    REQUIRE(set);
    expect(st, "cannot plan", "replicas");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["TaskTemplate"]["RestartPolicy"]["Delay"] = -5;
    expect(st, "service " + svc_id, "\"Delay\" is -5");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = -1;
    expect(st, "service " + svc_id, "\"StopGracePeriod\" is -1");
  }
  {
    ApiState st = Recorded();
    st.services[0]["Spec"]["TaskTemplate"]["Resources"]["Reservations"]["NanoCPUs"] = -1;
    expect(st, "service " + svc_id, "\"NanoCPUs\" is -1");
  }
  {
    ApiState st = Recorded();
    st.tasks[0].erase("Status");
    expect(st, "task " + task_id, "no Status.State");
  }
  {
    ApiState st = Recorded();
    st.tasks[0]["Spec"]["ContainerSpec"]["Args"] = {1, 2};
    st.services[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] = {"A=1", 7};
    expect(st, "service " + svc_id, "member \"Env\" is a number, not a list of strings");
  }
  {
    // Two live tasks with one address: refused, as a scenario with it is.
    ApiState st = Recorded();
    int live = 0;
    std::string first;
    for (auto& t : st.tasks) {
      if (t["Status"]["State"] != "running" || t["NetworksAttachments"].empty()) continue;
      auto& a = t["NetworksAttachments"][0]["Addresses"][0];
      if (live++ == 0) first = a.get<std::string>();
      else a = first;
    }
    REQUIRE(live >= 2);
    auto imp = ImportScenario(st);
    REQUIRE_FALSE(imp);
    INFO(imp.error());
    CHECK(imp.error().find(first.substr(0, first.find('/'))) != std::string::npos);
  }
}

TEST_CASE("import reads a manager within one overall deadline", "[live][import][safety]") {
  const std::string info = R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":"c1"}}})";
  FakeDaemon d({{"/version", {200, kVersion}}, {"/info", {200, info}}, {"/nodes", {200, "[]"}}, {"/networks", {200, "[]"}},
                {"/services", {200, "[]"}}, {"/tasks", {200, "[]"}}});
  auto ep = DockerEndpoint::Resolve(d.host());
  REQUIRE(ep);
  auto api = DockerApi::Connect(*ep);
  REQUIRE(api);
  auto late = docker::FetchState(*api, std::chrono::seconds(0));
  REQUIRE_FALSE(late);
  CHECK(late.error().find("answers too slowly") != std::string::npos);
  CHECK(late.error().find("over 0 s in all") != std::string::npos);
  auto api2 = DockerApi::Connect(*ep);
  REQUIRE(api2);
  CHECK(docker::FetchState(*api2));  // the default deadline: a prompt manager is read whole
}
