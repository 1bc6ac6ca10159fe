#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "planner/report.hpp"
#include "planner/render.hpp"
#include "planner/shard.hpp"
#include "model/scenario_json.hpp"

namespace swarmplan::cli {

using nlohmann::json;

int RunMerge(const std::vector<std::string>& files, bool as_json) {
  if (files.empty()) return Fail("merge needs the share files written by `swarmplan plan --shard I/N --json`");
  json first;
  std::vector<std::pair<std::uint64_t, std::vector<planner::TrialResult>>> parts;
  for (const std::string& f : files) {
    std::ifstream in(f);
    if (!in) return Fail(f + ": cannot open");
    json j;
    try {
      j = json::parse(in);
    } catch (const json::exception& e) {
      return Fail(f + ": malformed JSON: " + e.what());
    }
    if (!j.is_object() || j.value("kind", "") != "swarmplan-shard") return Fail(f + ": not a share written by `swarmplan plan --shard`");
    if (first.is_null()) {
      first = j;
    } else {
      for (const char* key : {"seed", "trials_total", "scenario", "plan"}) {
        if (j.at(key) != first.at(key)) return Fail(f + ": its " + std::string(key) + " differs from " + files[0] + "'s: shares of different runs");
      }
    }
    std::vector<planner::TrialResult> rs;
    for (const auto& t : j.at("results")) {
      auto r = planner::TrialFromJson(t);
      if (!r) return Fail(f + ": " + r.error());
      rs.push_back(std::move(*r));
    }
    parts.emplace_back(j.at("shard").at("first").get<std::uint64_t>(), std::move(rs));
  }
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<planner::TrialResult> all;
  for (auto& [start, rs] : parts) {
    if (start != all.size()) {
      return Fail(start < all.size() ? "shares overlap at trial " + std::to_string(start)
                                     : "trials " + std::to_string(all.size()) + " to " + std::to_string(start - 1) + " are missing");
    }
    for (auto& r : rs) all.push_back(std::move(r));
  }
  const std::uint64_t total = first.at("trials_total").get<std::uint64_t>();
  if (all.size() != total) return Fail("the shares hold " + std::to_string(all.size()) + " of " + std::to_string(total) + " trials");
  auto s = model::ScenarioFromJson(first.at("scenario").dump(), "the shares' scenario");
  if (!s) return Fail(s.error());
  auto words = first.at("plan").at("words").get<std::vector<std::string>>();
  auto plan = planner::ParseOrder(*s, words, *s->upgrade.to, s->upgrade.activate_managers_last);
  if (!plan) return Fail("the shares' plan: " + plan.error());
  plan->origin = first.at("plan").at("origin").get<std::string>();
  const std::uint64_t seed = first.at("seed").get<std::uint64_t>();
  const planner::Report rep = planner::Aggregate(*s, *plan, seed, all);
  const std::string reproduce = "swarmplan simulate SCENARIO --seed " + std::to_string(rep.example_seed);
  if (as_json) {
    std::cout << planner::ReportToJson(rep).dump(2) << "\n";
  } else {
    std::cout << planner::RenderText(rep, reproduce);
  }
  return rep.safe ? kExitSafe : kExitAtRisk;
}

}  // namespace swarmplan::cli
