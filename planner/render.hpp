// Rendering a Report: the short text a person reads (render_text.cpp) and
// the one JSON document `--json` writes (render_json.cpp, schema_version 1).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "planner/report.hpp"
#include "planner/timeline.hpp"
#include "planner/search.hpp"

namespace swarmplan::planner {

nlohmann::json ReportToJson(const Report& r);
// `reproduce` is the command line that replays the report's example trial.
// A probability as the reports write it: "12.3%", "<0.1%" below a tenth.
std::string Percent(double p);

std::string RenderText(const Report& r, const std::string& reproduce);

// `plan --search`: what the search found against the seed procedure, and
// the order taken (`order`: its words, as --order takes them).
std::string RenderSearchText(const SearchResult& found, const std::string& order);
nlohmann::json SearchToJson(const SearchResult& found, const std::string& order, std::uint64_t trials_per_candidate);

// One self-contained HTML page a person attaches to a change ticket: the
// verdict, the address budget, the timeline picture (`svg`, from
// TimelineSvg), the fixes, the plan's steps and the whole text report, with
// the report's JSON inside for tools. A small script checks the picture's
// series and says how many it found (no network, no external files).
std::string RenderHtml(const Report& r, const std::string& text_report, const std::string& svg, const Timeline& tl);

}  // namespace swarmplan::planner
