#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "planner/report.hpp"
#include "planner/trial.hpp"
#include "planner/shard.hpp"
#include "planner/timeline.hpp"
#include "cli/output_file.hpp"

namespace swarmplan::cli {

int RunSimulate(const SimulateArgs& sim) {
  const ScenarioOptions& args = sim.scenario;
  if (sim.jsonl && args.json) return Fail("give --json or --jsonl, not both");
  for (const std::string* out : {&sim.svg, &sim.csv}) {
    if (out->empty()) continue;
    if (auto ok = CheckOutputPath(*out); !ok) return Fail(ok.error());
  }
  auto prepared = args.Prepare();
  if (!prepared) return Fail(prepared.error());
  const model::Scenario& scenario = prepared->scenario;
  const planner::Plan& plan = prepared->plan;
  const std::uint64_t seed = prepared->seed;
  if (!sim.svg.empty() || !sim.csv.empty()) {
    const planner::Timeline tl = planner::RecordTimeline(scenario, plan, seed);
    if (!sim.svg.empty()) {
      if (auto ok = WriteOutputFile(sim.svg, planner::TimelineSvg(tl, scenario.name + ", trial seed " + std::to_string(seed)));
          !ok) {
        return Fail(ok.error());
      }
    }
    if (!sim.csv.empty()) {
      if (auto ok = WriteOutputFile(sim.csv, planner::TimelineCsv(tl)); !ok) return Fail(ok.error());
    }
  }
  model::Trace trace(true);
  planner::TrialOptions opt;
  opt.heartbeat = LongTrialProgress();
  opt.explain = sim.explain;
  const planner::TrialResult r = planner::RunTrial(scenario, plan, seed, opt, &trace);
  if (sim.jsonl) {
    // One event a line, for tools that stream: {"t_ms", "kind", "text"};
    // the last line is the trial's result ("kind": "result").
    for (const auto& e : trace.events()) {
      std::cout << nlohmann::json{{"t_ms", static_cast<double>(e.time) / sim::kMillisecond}, {"kind", e.kind},
                                  {"text", e.text}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
    }
    std::cout << nlohmann::json{{"kind", "result"},
                                {"seed", seed},
                                {"scenario", scenario.name},
                                {"at_risk", r.at_risk()},
                                {"result", planner::TrialToJson(r)},
                                {"reproduce", args.Reproduce("simulate", seed) + " --jsonl"}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else if (args.json) {
    nlohmann::json j;
    j["schema_version"] = 1;
    j["kind"] = "swarmplan-timeline";
    j["seed"] = seed;
    j["unseed"] = r.unseed;
    j["scenario"] = scenario.name;
    j["events"] = nlohmann::json::array();
    for (const auto& e : trace.events()) {
      j["events"].push_back({{"t_ms", static_cast<double>(e.time) / sim::kMillisecond}, {"kind", e.kind}, {"text", e.text}});
    }
    j["result"] = planner::TrialToJson(r);
    j["at_risk"] = r.at_risk();
    j["reproduce"] = args.Reproduce("simulate", seed);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "swarmplan simulate: " << scenario.name << "\nseed " << seed << "\n\n";
    char buf[32];
    for (const auto& e : trace.events()) {
      std::snprintf(buf, sizeof buf, "%10.3f s  %-7s ", sim::ToSeconds(e.time), e.kind.c_str());
      std::cout << buf << e.text << "\n";
    }
    std::cout << "\nrejected: " << r.metrics.rejected_missing_attachments << " (missing network attachments), " << r.metrics.rejected_attachment_race
              << " (transient: attachment held but not yet seen), "
              << r.metrics.rejected_swarm_inactive << " (swarm not active); tasks left without an address: "
              << r.metrics.allocation_failures << " times; converged: " << (r.converged ? "yes" : "no") << "\n";
    for (const auto& n : r.networks) {
      std::cout << n.name << ": peak " << n.peak_used << " of " << n.capacity << " addresses, " << n.used_after
                << " in use at the end\n";
    }
    for (const auto& v : r.services) {
      std::cout << v.name << ": " << v.running_after << "/" << v.desired << " running at the end, lowest "
                << v.min_running << "\n";
    }
    if (!r.plan_error.empty()) std::cout << "plan: " << r.plan_error << "\n";
    std::cout << "reproduce: " << args.Reproduce("simulate", seed) << "\n";
  }
  return r.at_risk() ? kExitAtRisk : kExitSafe;
}

}  // namespace swarmplan::cli
