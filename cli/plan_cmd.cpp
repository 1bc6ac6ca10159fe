#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "model/scenario.hpp"
#include "planner/report.hpp"
#include "planner/runner.hpp"
#include "planner/render.hpp"
#include "planner/shard.hpp"
#include "model/scenario_json.hpp"

namespace swarmplan::cli {

int Fail(const std::string& what) {
  std::cerr << "swarmplan: error: " << what << "\n";
  return kExitError;
}

int RunPlan(const PlanArgs& args) {
  auto prepared = args.scenario.Prepare();
  if (!prepared) return Fail(prepared.error());
  const model::Scenario& scenario = prepared->scenario;
  const planner::Plan& plan = prepared->plan;
  const std::uint64_t seed = prepared->seed;
  auto trials = ParseCount(args.trials, "--trials", 1, 10'000'000);
  if (!trials) return Fail(trials.error());
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (!args.threads.empty()) {
    auto t = ParseCount(args.threads, "--threads", 1, 1024);
    if (!t) return Fail(t.error());
    threads = static_cast<unsigned>(*t);
  }
  planner::TrialRange range{0, *trials};
  std::uint64_t shard_index = 0, shard_count = 1;
  if (!args.shard.empty()) {
    const auto slash = args.shard.find('/');
    if (slash == std::string::npos) return Fail("--shard must be I/N, e.g. 0/4 for the first of four shares");
    auto n = ParseCount(args.shard.substr(slash + 1), "--shard's N", 1, 100000);
    if (!n) return Fail(n.error());
    auto i = ParseCount(args.shard.substr(0, slash), "--shard's I", 0, *n - 1);
    if (!i) return Fail(i.error() + " (shares are numbered from 0)");
    if (!args.scenario.json) return Fail("--shard writes a share for `swarmplan merge`: add --json");
    shard_index = *i;
    shard_count = *n;
    range = planner::Shard(*trials, shard_index, shard_count);
  }
  std::cerr << "swarmplan: seed " << seed << ", " << range.count << " trials on " << threads << " threads\n";
  const auto results = planner::RunTrials(scenario, plan, seed, range, threads);

  if (!args.shard.empty()) {
    nlohmann::json j;
    j["schema_version"] = 1;
    j["kind"] = "swarmplan-shard";
    j["seed"] = seed;
    j["trials_total"] = *trials;
    j["shard"] = {{"index", shard_index}, {"count", shard_count}, {"first", range.first}, {"trials", range.count}};
    j["scenario"] = model::ScenarioToJson(scenario);
    j["plan"] = {{"origin", plan.origin}, {"words", planner::PlanWords(scenario, plan)}};
    j["reproduce_prefix"] = args.scenario.ReproducePrefix("simulate");
    j["sensitivity"] = !args.no_sensitivity;
    j["results"] = nlohmann::json::array();
    for (const auto& r : results) j["results"].push_back(planner::TrialToJson(r));
    std::cout << j.dump() << "\n";
    return kExitSafe;
  }
  planner::Report rep = planner::Aggregate(scenario, plan, seed, results);
  if (!args.no_sensitivity) planner::AddSensitivity(rep, scenario, plan, *trials, threads);
  if (args.scenario.json) {
    nlohmann::json j = planner::ReportToJson(rep);
    j["reproduce"] = args.scenario.Reproduce("simulate", rep.example_seed);
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << planner::RenderText(rep, args.scenario.Reproduce("simulate", rep.example_seed));
  }
  return rep.safe ? kExitSafe : kExitAtRisk;
}

}  // namespace swarmplan::cli
