// Rendering a Report: the short text a person reads (render_text.cpp) and
// the one JSON document `--json` writes (render_json.cpp, schema_version 1).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "planner/report.hpp"

namespace swarmplan::planner {

nlohmann::json ReportToJson(const Report& r);
// `reproduce` is the command line that replays the report's example trial.
std::string RenderText(const Report& r, const std::string& reproduce);

}  // namespace swarmplan::planner
