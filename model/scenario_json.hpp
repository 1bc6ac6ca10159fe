// Scenario files: the strict JSON reader and the writer of model::Scenario.
// The fields both use are listed once (the tables in scenario_json.cpp and
// ScenarioFieldNames() below), so the README's list of keys, the reader and
// the writer cannot drift apart: a test checks the README against it.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/scenario.hpp"

namespace swarmplan::model {

// Loads a scenario from JSON text. `origin` (a file name) prefixes errors,
// and every error names the field by its JSON pointer.
std::expected<Scenario, std::string> ScenarioFromJson(std::string_view text, const std::string& origin);
// The same from a file (at most 64 MiB; not a directory).
std::expected<Scenario, std::string> ScenarioFromFile(const std::string& path);
// The scenario as a file would hold it; ScenarioFromJson reads it back
// unchanged.
nlohmann::json ScenarioToJson(const Scenario& s);

// Every key a scenario file may hold, per object ("timings",
// "nodes[]", ...), in the order the README lists them.
struct FieldList {
  std::string_view object;
  std::vector<std::string_view> keys;
};
const std::vector<FieldList>& ScenarioFieldNames();

}  // namespace swarmplan::model
