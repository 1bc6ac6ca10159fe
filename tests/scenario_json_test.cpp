// model/scenario_json: the one table of keys, shared by the reader, the writer and the README.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "model/scenario_json.hpp"

using namespace swarmplan;

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
