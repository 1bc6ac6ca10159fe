// `swarmplan merge SHARE...`: the report of a run whose trials ran as
// shares (`plan --shard I/N --json`). The shares are read and checked by
// planner/shard.hpp, judged by the pipeline `plan` uses (planner/
// pipeline.hpp); this prints it.
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "planner/pipeline.hpp"
#include "planner/render.hpp"
#include "planner/shard.hpp"

namespace swarmplan::cli {

int RunMerge(const std::vector<std::string>& files, bool as_json) {
  auto run = planner::MergeShares(files, [](const std::string& w) { return ScenarioOptions::ReproduceFlags().contains(w); });
  if (!run) return Fail(run.error());
  const planner::ShareHead& h = run->head;
  planner::JudgeOptions judge;
  judge.trials = h.trials_total;
  judge.threads = std::max(1u, std::thread::hardware_concurrency());
  judge.sensitivity = h.sensitivity;
  judge.fixes = h.fixes;
  judge.snapshots = h.at;
  const planner::Report rep = planner::Judge(h.scenario, h.plan, h.seed, run->stats, judge);
  // The reproduce line is built here from the share's checked words, each
  // quoted: a share can never make merge print a command of its choice.
  const std::string prefix = !h.has_reproduce_args ? std::string("swarmplan simulate SCENARIO")
                                                      : ScenarioOptions::ReproduceLine("simulate", h.reproduce_args);
  const std::string reproduce = prefix + " --seed " + std::to_string(rep.example_seed);
  if (as_json) {
    nlohmann::json out = planner::ReportToJson(rep);
    out["reproduce"] = reproduce;
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << planner::RenderText(rep, reproduce);
  }
  return rep.safe ? kExitSafe : kExitAtRisk;
}

}  // namespace swarmplan::cli
