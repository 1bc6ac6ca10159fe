// model/scenario_json: the one table of keys, shared by the reader, the writer and docs/scenario.md.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "model/scenario_json.hpp"

using namespace swarmplan;

namespace {

// The error reading a one-node, one-network scenario whose service "web"
// also has `fields` (JSON members, e.g. `"container": {...}`); "" if none.
std::string ServiceError(const std::string& fields) {
  auto r = model::ScenarioFromJson(
      R"({"schema_version": 1, "nodes": [{"name": "m1", "role": "manager", "engine": "20.10"}],
          "networks": [{"name": "n", "subnet": "10.1.0.0/24"}],
          "services": [{"name": "web", "networks": ["n"], )" + fields + "}]}",
      "t");
  return r ? std::string() : r.error();
}

}  // namespace

TEST_CASE("docs/scenario.md lists every scenario key the reader accepts", "[unit][scenario][docs]") {
  std::ifstream in(std::string(SWARMPLAN_SOURCE) + "/docs/scenario.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const auto section = readme.find("## Scenario format");
  REQUIRE(section != std::string::npos);
  const std::string text = readme.substr(section, readme.find("\n## ", section + 1) - section);
  for (const auto& list : model::ScenarioFieldNames()) {
    for (std::string_view key : list.keys) {
      INFO("docs/scenario.md \"Scenario format\" lacks " << list.object << "." << key);
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

TEST_CASE("update_config and rollback_config round-trip, bad values are named", "[unit][scenario][updater]") {
  model::Scenario s = model::DefaultScenario();
  s.services[0].update.parallelism = 3;
  s.services[0].update.order = model::UpdateOrder::kStartFirst;
  s.services[0].update.failure_action = model::FailureAction::kRollback;
  s.services[0].update.max_failure_ratio = 0.25;
  s.services[0].rollback.delay = sim::Sec(4);
  s.services[0].previous_spec = true;
  auto back = model::ScenarioFromJson(model::ScenarioToJson(s).dump(), "t");
  REQUIRE(back);
  CHECK(back->services[0].update == s.services[0].update);
  CHECK(back->services[0].rollback == s.services[0].rollback);
  CHECK(back->services[0].previous_spec);
  CHECK(ServiceError(R"("update_config": {"order": "sideways"})").find("/services/0/update_config/order") != std::string::npos);
  CHECK(ServiceError(R"("update_config": {"max_failure_ratio": 1.5})").find("between 0 and 1") != std::string::npos);
  CHECK(ServiceError(R"("update_config": {"paralelism": 2})").find("unknown field") != std::string::npos);
  CHECK(ServiceError(R"("rollback_config": {"failure_action": "rollback"})").find("cannot itself roll back") != std::string::npos);
  CHECK(ServiceError(R"("update_config": {"parallelism": 0, "delay_ms": 500})").empty());
}

TEST_CASE("a service's container round-trips, bad values are named", "[unit][scenario][compose]") {
  model::Scenario s = model::DefaultScenario();
  s.services[0].container = model::ContainerSpec{.image = "app:2@sha256:00ff", .command = {"/bin/sh"},
                                                 .args = {"-c", "run it"}, .env = {"A=1", "B"},
                                                 .labels = {{"tier", "web"}}, .user = "u", .dir = "/d",
                                                 .hostname = "h", .stop_signal = "SIGINT"};
  auto back = model::ScenarioFromJson(model::ScenarioToJson(s).dump(), "t");
  REQUIRE(back);
  REQUIRE(back->services[0].container);
  CHECK(*back->services[0].container == *s.services[0].container);
  CHECK_FALSE(model::ScenarioToJson(model::DefaultScenario())["services"][0].contains("container"));
  const auto err = [](const std::string& container) { return ServiceError(R"("container": )" + container); };
  CHECK(err(R"({"image": 3})") == "t: /services/0/container/image must be a string");
  CHECK(err(R"({"env": "A=1"})") == "t: /services/0/container/env must be an array of strings");
  CHECK(err(R"({"labels": {"a": 1}})") == "t: /services/0/container/labels/a must be a string");
  CHECK(err(R"({"imgae": "x"})").find("/services/0/container/imgae: unknown field") != std::string::npos);
  CHECK(err(R"({})").empty());
}

TEST_CASE("a service's update_to round-trips, bad values are named", "[unit][scenario][updater]") {
  model::Scenario s = model::DefaultScenario();
  auto to = std::make_shared<model::ServiceSpec>(s.services[0]);
  to->stop_grace_period = sim::Sec(3);
  to->restart_condition = model::RestartCondition::kOnFailure;
  to->reserve_memory_bytes = 64LL << 20;
  to->constraints.push_back(*model::Constraint::Parse("node.role==worker"));
  to->container = model::ContainerSpec{.image = "app:2"};
  s.services[0].update_to = to;
  const auto j = model::ScenarioToJson(s);
  auto back = model::ScenarioFromJson(j.dump(), "t");
  REQUIRE(back);
  REQUIRE(back->services[0].update_to);
  const auto& u = *back->services[0].update_to;
  CHECK(u.stop_grace_period == sim::Sec(3));
  CHECK(u.restart_condition == model::RestartCondition::kOnFailure);
  CHECK(u.reserve_memory_bytes == 64LL << 20);
  REQUIRE(u.constraints.size() == 1);
  CHECK(u.constraints[0].text == "node.role==worker");
  CHECK(u.container->image == "app:2");
  CHECK(u.name == s.services[0].name);
  CHECK(model::ScenarioToJson(*back) == j);
  const auto err = [](const std::string& to_json) { return ServiceError(R"("update_to": )" + to_json); };
  CHECK(err(R"({"replicas": 3})").find("/services/0/update_to/replicas: unknown field") != std::string::npos);
  CHECK(err(R"({"stop_grace_period_ms": -1})").find("/services/0/update_to/stop_grace_period_ms") != std::string::npos);
  CHECK(err(R"({"constraints": ["node.zone=a"]})").find("/services/0/update_to/constraints/0") != std::string::npos);
  CHECK(err(R"({"restart": {"condition": "any"}})").empty());
  CHECK(ServiceError(R"("mode": "global", "update_to": {"constraints": ["node.role==worker"]})") ==
        "t: /services/0/update_to: a change of a global service's placement is not modelled");
}

TEST_CASE("a live state's vips, node held and lb_missing round-trip, and each address has one holder", "[unit][scenario][import]") {
  const std::string head = R"({"schema_version": 1, "networks": [{"name": "n", "subnet": "10.1.0.0/24"}],
      "nodes": [{"name": "m1", "role": "manager", "engine": "20.10"},
                {"name": "w1", "engine": "20.10", "state": "down", "held": {"n": ["10.1.0.9"]}, "lb_missing": ["n"]}],
      "services": [{"name": "web", "networks": ["n"], "replicas": 2, "vips": {"n": "10.1.0.2"}}],
      "tasks": [{"service": "web", "slot": 1, "node": "m1", "state": "running", "addresses": {"n": )";
  auto ok = model::ScenarioFromJson(head + R"("10.1.0.3"}}]})", "t");
  REQUIRE(ok);
  CHECK(ok->services[0].vips.at("n") == *model::ParseIpv4("10.1.0.2"));
  CHECK(ok->nodes[1].held.at("n") == std::vector<std::uint32_t>{*model::ParseIpv4("10.1.0.9")});
  CHECK(ok->nodes[1].lb_missing == std::vector<std::string>{"n"});
  auto back = model::ScenarioFromJson(model::ScenarioToJson(*ok).dump(), "t");
  REQUIRE(back);
  CHECK(model::ScenarioToJson(*back) == model::ScenarioToJson(*ok));
  // The task's address is the VIP's, or the node's leftover's: refused,
  // naming both places.
  auto twice = model::ScenarioFromJson(head + R"("10.1.0.2"}}]})", "t");
  REQUIRE_FALSE(twice);
  CHECK(twice.error() == "t: /tasks/0/addresses/n: 10.1.0.2 is already given at /services/0/vips/n");
  auto left = model::ScenarioFromJson(head + R"("10.1.0.9"}}]})", "t");
  REQUIRE_FALSE(left);
  CHECK(left.error() == "t: /tasks/0/addresses/n: 10.1.0.9 is already given at /nodes/1/held/n/0");
  CHECK(ServiceError(R"("vips": {"m": "10.1.0.2"})") == "t: /services/0/vips/m: \"web\" is not on a network named \"m\"");
  CHECK(ServiceError(R"("vips": {"n": "10.2.0.2"})") == "t: /services/0/vips/n: 10.2.0.2 is outside 10.1.0.0/24");
  CHECK(ServiceError(R"("vips": {"n": 7})").find("/services/0/vips/n") != std::string::npos);
}
