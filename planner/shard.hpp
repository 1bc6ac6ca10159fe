// Shards: one trial's result as a JSON record, so that trials run on
// several machines (`plan --shard`) merge (`merge`) into the report a single
// run gives. TrialFromJson reads exactly what TrialToJson writes.
#pragma once

#include <expected>
#include <string>

#include <nlohmann/json.hpp>

#include "planner/trial.hpp"

namespace swarmplan::planner {

nlohmann::json TrialToJson(const TrialResult& t);
// The error names the field that is missing or of the wrong type.
std::expected<TrialResult, std::string> TrialFromJson(const nlohmann::json& j);

}  // namespace swarmplan::planner
